"""Where an official's reply goes: reply+<token>@INBOUND_EMAIL_DOMAIN, per official and campaign.

The token is the signed primary key (idei.tokens.make_for_address) of the row linking the
campaign to the official (Campaign.targets' through table): unique to that pair, no new write
when a letter is queued, and it names nobody. Every letter, digest and petition to the official
carries it as Reply-To; receive_mail accepts it (letters/apps.py registers the route) and
letters/responses/inbound.py turns what arrives into a response.
"""

from django.conf import settings

from campaigns.models import Campaign
from idei import tokens

REPLY_TOKEN_PURPOSE = "letters.responses.reply"  # noqa: S105 - a salt, not a secret
CampaignTarget = Campaign.targets.through


def address_for_link(link_pk: int) -> str:
    token = tokens.make_for_address(REPLY_TOKEN_PURPOSE, link_pk)
    return f"reply+{token}@{settings.INBOUND_EMAIL_DOMAIN}"


def reply_addresses(campaign_id: int) -> dict[int, str]:
    """Official's id → their reply address for this campaign (one query)."""
    links = CampaignTarget.objects.filter(campaign_id=campaign_id).values_list("target_id", "pk")
    return {target_id: address_for_link(pk) for target_id, pk in links}


def reply_address(campaign_id: int, target_id: int) -> str:
    return reply_addresses(campaign_id).get(target_id, "")


def accepts(token: str) -> bool:
    """Whether a reply token's signature is good (no database: RCPT time)."""
    return tokens.read_from_address(REPLY_TOKEN_PURPOSE, token) is not None


def campaign_and_target(token: str) -> tuple[int, int] | None:
    """(campaign id, official id) a reply token names; None if forged or the link is gone."""
    pk = tokens.read_from_address(REPLY_TOKEN_PURPOSE, token)
    if pk is None:
        return None
    return CampaignTarget.objects.filter(pk=pk).values_list("campaign_id", "target_id").first()


def joined(*addresses: str) -> str:
    return ", ".join(address for address in addresses if address)
