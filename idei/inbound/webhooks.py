"""An e-mail service's webhooks, normalised by django-anymail, fed into the same code.

Inbound mail (bounces and complaints some services forward as mail) is stored raw and
processed like mail received by receive_mail; tracking events that already say "bounced" or
"complained" suppress the address they name. The URLs are /anymail/<service>/inbound/ and
/anymail/<service>/tracking/ (idei/urls.py), with HTTP basic authentication
(ANYMAIL_WEBHOOK_SECRET).
"""

import logging
import re

from anymail.signals import EventType, RejectReason, inbound, tracking

from idei.outbox import suppression
from idei.outbox.models import Suppression

from . import receiving

logger = logging.getLogger(__name__)

Reason = Suppression.Reason
# Which tracking events suppress, and why; every other event (delivered, deferred, opened,
# an auto-reply...) changes nothing.
SUPPRESSING_EVENTS = {EventType.BOUNCED: Reason.BOUNCE, EventType.COMPLAINED: Reason.COMPLAINT}
SUPPRESSING_REJECTIONS = {RejectReason.BOUNCED: Reason.BOUNCE, RejectReason.SPAM: Reason.COMPLAINT}


# Some services report a soft bounce as "bounced"; the server's 4xx answer says it is not.
TEMPORARY_ANSWER = re.compile(r"^\W*(?:smtp;\s*)?4\d\d\b|\b4\.\d{1,3}\.\d{1,3}\b", re.IGNORECASE)


def on_tracking(sender, event, esp_name, **kwargs) -> None:
    reason = SUPPRESSING_EVENTS.get(event.event_type)
    if event.event_type == EventType.REJECTED:
        reason = SUPPRESSING_REJECTIONS.get(event.reject_reason)
    if reason is None or not event.recipient:
        return
    if reason == Reason.BOUNCE and TEMPORARY_ANSWER.search(event.mta_response or ""):
        return
    detail = f"{esp_name}: {event.event_type} {event.mta_response or event.description or ''}"
    suppression.suppress(event.recipient, reason, detail=detail)


def on_inbound(sender, event, esp_name, **kwargs) -> None:
    message = event.message
    if message is None:
        return
    raw = message.as_bytes()
    try:
        receiving.store(
            raw,
            source=f"anymail:{esp_name}".lower(),
            envelope_from=message.envelope_sender or "",
            envelope_to=[message.envelope_recipient] if message.envelope_recipient else [],
        )
    except receiving.MessageTooLarge:
        # Answering with an error would make the service post it again and again.
        logger.warning(
            "inbound: a %s message of %s bytes was too large, dropped", esp_name, len(raw)
        )


def connect() -> None:
    tracking.connect(on_tracking, dispatch_uid="idei.inbound.tracking")
    inbound.connect(on_inbound, dispatch_uid="idei.inbound.inbound")
