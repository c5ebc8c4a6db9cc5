"""Tokens in e-mailed links: one helper for every double opt-in and every link.

Two kinds of token, for two needs:
- `new_token()`: a random token for a single-use link (confirming a signature or a
  subscription). Only its hash is stored, so a database leak reveals no working link; a newer
  link replaces the older by replacing the hash.
- `make()` / `read()`: a signed, stateless value for a link that may be used again until it
  expires (a letter's PDF, unsubscribe, erasure). Each purpose has its own salt, so a token
  made for one purpose is refused by every other.
- `make_for_address()` / `read_from_address()`: a signed primary key short and plain enough
  for the local part of an e-mail address (`bounce+<token>@...`).
- `new_link_key()`: a random key kept as it is, for a link that every later e-mail carries
  again (a reminder subscription's unsubscribe link, in every reminder for years): it must be
  readable at each send, and it survives a change of SECRET_KEY, as a signed token would not.

And the double opt-in they serve: `ConfirmableByLink` (the fields a pending row keeps),
`pending_by_link()` and `claim_by_link()` (signatures and reminder subscriptions both).
"""

import hashlib
import secrets
from datetime import timedelta

from django.core import signing
from django.db import models
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> tuple[str, str]:
    """A random single-use token and the hash to store in its place."""
    token = secrets.token_urlsafe(32)
    return token, token_hash(token)


def new_link_key() -> str:
    """A random key for a link mailed again and again, stored as it is (see above)."""
    return secrets.token_urlsafe(32)


def make(purpose: str, value) -> str:
    """A signed token carrying `value` (JSON) for this purpose."""
    # Not compressed: the format of links already in people's inboxes must not change.
    return signing.dumps(value, salt=purpose)


def read(purpose: str, token: str, max_age: timedelta | None = None):
    """The value of a token made for this purpose; None if forged, for another purpose or old."""
    try:
        return signing.loads(token, salt=purpose, max_age=max_age)
    except signing.BadSignature:  # SignatureExpired is a BadSignature
        return None


def make_for_address(purpose: str, pk: int) -> str:
    """A signed primary key for an e-mail address's local part: "<pk>.<24 hex digits>".

    Digits, a dot and lower-case hex only: mail servers may change the case of a local part,
    and signing.dumps() output holds colons, which a local part may not.
    """
    return f"{int(pk)}.{_address_mac(purpose, int(pk))}"


def read_from_address(purpose: str, token: str) -> int | None:
    """The primary key of a token made by make_for_address; None if forged or malformed."""
    pk_text, _, mac = token.strip().lower().partition(".")
    if not pk_text.isdigit() or len(pk_text) > 18 or not mac:
        return None
    pk = int(pk_text)
    return pk if constant_time_compare(mac, _address_mac(purpose, pk)) else None


def _address_mac(purpose: str, pk: int) -> str:
    return salted_hmac(purpose, str(pk), algorithm="sha256").hexdigest()[:24]


# -- Double opt-in: one pending confirmation by a single-use link ----------------------------


class ConfirmableByLink(models.Model):
    """A row that waits for its owner to open the link e-mailed to them (double opt-in).

    Only the link's hash is kept; a newer link replaces the older by replacing the hash; the
    number of links sent is capped by the caller (MAX_LINKS) however often the form is sent.
    """

    MAX_LINKS = 3
    LINK_LIFETIME = timedelta(days=7)

    confirmation_token_hash = models.CharField(max_length=64, blank=True, editable=False)
    confirmation_expires_at = models.DateTimeField(null=True, blank=True)
    # Links sent while pending: capped, however often the form is sent.
    confirmation_mails_sent = models.PositiveSmallIntegerField(default=0, editable=False)

    class Meta:
        abstract = True

    @property
    def may_send_another_link(self) -> bool:
        return self.confirmation_mails_sent < self.MAX_LINKS


class LinkError(Exception):
    status = 400


class LinkNotFound(LinkError):
    """Forged, mistyped, already used, replaced by a newer link, or purged."""

    status = 404


class LinkExpired(LinkError):
    status = 410


def pending_by_link(queryset, token: str):
    """The row this link confirms, or LinkNotFound / LinkExpired (writes nothing)."""
    row = queryset.filter(confirmation_token_hash=token_hash(token)).first() if token else None
    if row is None:
        raise LinkNotFound
    if row.confirmation_expires_at is None or row.confirmation_expires_at <= timezone.now():
        raise LinkExpired
    return row


def claim_by_link(queryset, row, token: str, **changes) -> None:
    """Apply `changes` to the row if this link still confirms it, once; else LinkNotFound.

    A conditional UPDATE: exactly one of two concurrent requests (a double click, a replayed
    POST) finds the row, and the link stops working as its hash is cleared.
    """
    claimed = queryset.filter(
        pk=row.pk,
        confirmation_token_hash=token_hash(token),
        confirmation_expires_at__gt=timezone.now(),
    ).update(confirmation_token_hash="", **changes)
    if claimed != 1:
        raise LinkNotFound
    row.confirmation_token_hash = ""
    for field, value in changes.items():
        setattr(row, field, value)
