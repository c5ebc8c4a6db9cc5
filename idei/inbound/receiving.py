"""Receiving mail: whose it is, and storing it raw before anything reads it.

Both entrances use these functions: the SMTP server of `manage.py receive_mail` (smtp.py) and
an e-mail service's webhooks through django-anymail (webhooks.py). The stored message is then
processed by a task (tasks.py, services.py).
"""

from django.conf import settings
from django.db import transaction

from idei import tokens
from idei.outbox.sending import BOUNCE_TOKEN_PURPOSE

from . import routes
from .models import InboundMessage
from .tasks import process_inbound_message

# The platform's own addresses besides the return paths: RFC 5321 and RFC 2142 ask for them,
# and feedback loops send their complaints there.
ROLE_ADDRESSES = {"postmaster", "abuse"}
# One message for more of our addresses than this is not a bounce.
MAX_RECIPIENTS = 20


class MessageTooLarge(ValueError):
    pass


def accepts(address: str) -> bool:
    """Whether this envelope recipient is one of ours: a valid return path or a role address.

    Checked with the token's signature only (no database), at RCPT time.
    """
    local, _, domain = address.strip().strip("<>").rpartition("@")
    if domain.lower().rstrip(".") != settings.INBOUND_EMAIL_DOMAIN or not local:
        return False
    prefix, plus, token = local.partition("+")
    if plus and prefix.lower() == "bounce":
        return tokens.read_from_address(BOUNCE_TOKEN_PURPOSE, token) is not None
    route = routes.ROUTES.get(prefix.lower()) if plus else None
    if route is not None:
        return bool(token) and route.accepts(token)
    return not plus and local.lower() in ROLE_ADDRESSES


def store(raw: bytes, *, source: str, envelope_from: str = "", envelope_to=()) -> InboundMessage:
    """Keep one received message as it came, and have it processed after commit."""
    if len(raw) > settings.INBOUND_MAX_MESSAGE_BYTES:
        raise MessageTooLarge(f"{len(raw)} bytes")
    with transaction.atomic():
        message = InboundMessage.objects.create(
            source=source[:40],
            envelope_from=envelope_from[:320],
            envelope_to=[address[:320] for address in list(envelope_to)[:MAX_RECIPIENTS]],
            raw=raw,
            size=len(raw),
        )
        transaction.on_commit(lambda: process_inbound_message.delay(message.pk))
    return message
