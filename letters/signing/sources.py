"""Where a signature comes from, without tracking anyone: the campaign page, an embed, a link.

A visitor arrives on the campaign page or its embed, perhaps with `?source=<code>` from a share
link (the site's own share links carry one per channel) or a partner's embed code (the
partner's own code, campaigns.Partnership.source_code). The page resolves the code once and
puts the result in the form as a signed value; the sign POST reads the source from that value
only. So a code nobody issued, a partner's code on another campaign, or a value changed in the
form is recorded as UNKNOWN, never as a partner. Nothing else about the visitor is kept.
"""

import re
from dataclasses import dataclass

from django.core import signing

from campaigns.models import Campaign, Partnership

from ..models import Source

# The channels of the share links on the campaign and thank-you pages (campaigns.views).
SHARE_CODES = frozenset(Campaign.SHARE_CHANNELS)
CODE = re.compile(r"[a-z0-9_-]{1,40}")
SOURCE_SALT = "letters.sign-source"
# What a code that is not one of ours becomes before it is resolved (see normalise_code).
INVALID = "?"
# A signed value is about 100 characters; a longer one is not ours (and is not unpacked).
MAX_VALUE_LENGTH = 300


@dataclass(frozen=True)
class SignatureSource:
    kind: str = Source.PAGE
    code: str = ""
    partner_id: int | None = None
    partner_name: str = ""

    @property
    def fields(self) -> dict:
        """The signature's fields for this source."""
        return {"source": self.kind, "source_code": self.code, "partner_id": self.partner_id}


def normalise_code(raw: str | None) -> str:
    """A `?source=` value as the pages see it: lower case, or INVALID if no code looks so."""
    code = (raw or "").strip().lower()
    if not code:
        return ""
    return code if CODE.fullmatch(code) else INVALID


def code_from(request) -> str:
    return normalise_code(request.GET.get("source"))


def resolve(campaign, code: str, *, embed: bool) -> SignatureSource:
    """The source a page visit with this (normalised) code stands for."""
    plain = SignatureSource(Source.EMBED if embed else Source.PAGE)
    if not code:
        return plain
    if code in SHARE_CODES:
        return SignatureSource(Source.LINK, code)
    partnership = (
        Partnership.objects.filter(campaign=campaign, source_code=code)
        .select_related("organisation")
        .first()
        if code != INVALID
        else None
    )
    if partnership is None:
        return SignatureSource(Source.UNKNOWN)
    return SignatureSource(
        Source.EMBED if embed else Source.LINK,
        "",
        partnership.organisation_id,
        partnership.organisation.name,
    )


def sign_value(campaign, source: SignatureSource) -> str:
    """The form's hidden `source`: the resolved source, signed, bound to this campaign."""
    return signing.dumps(
        [campaign.pk, source.kind, source.code, source.partner_id], salt=SOURCE_SALT
    )


def read_value(campaign, value: str | None, *, embed: bool) -> SignatureSource:
    """The source a sign POST's hidden `source` names; UNKNOWN if forged or another campaign's.

    No value at all (a form from before sources existed, a script posting the minimum) is the
    plain page or embed. A partner named by a valid value is looked up again: one that stopped
    being a partner since the page was shown is UNKNOWN too.
    """
    if not value:
        return SignatureSource(Source.EMBED if embed else Source.PAGE)
    if len(value) > MAX_VALUE_LENGTH:
        return SignatureSource(Source.UNKNOWN)
    try:
        campaign_id, kind, code, partner_id = signing.loads(value, salt=SOURCE_SALT)
    except (signing.BadSignature, TypeError, ValueError):
        return SignatureSource(Source.UNKNOWN)
    if campaign_id != campaign.pk or kind not in Source.values:
        return SignatureSource(Source.UNKNOWN)
    if partner_id is None:
        return SignatureSource(kind, code if code in SHARE_CODES else "")
    partnership = (
        Partnership.objects.filter(campaign=campaign, organisation_id=partner_id)
        .select_related("organisation")
        .first()
    )
    if partnership is None:
        return SignatureSource(Source.UNKNOWN)
    return SignatureSource(kind, "", partner_id, partnership.organisation.name)
