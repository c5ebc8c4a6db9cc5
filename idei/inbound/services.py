"""Acting on received mail, once stored (receiving.py): suppress, unsubscribe, or ignore."""

import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from idei.outbox import suppression
from idei.outbox.models import Suppression
from idei.outbox.sending import message_for_return_path

from . import parsing, routes
from .models import InboundMessage

logger = logging.getLogger(__name__)

Outcome = InboundMessage.Outcome
# Outcomes whose raw message is kept: mail for a person to read (an official's reply, the
# holding pen of replies that match nothing, other mail).
KEPT_RAW = {Outcome.OTHER, Outcome.REPLY, Outcome.HELD}


def process(pk: int) -> str:
    """Read one stored message and act on it, once; returns its outcome."""
    with transaction.atomic():
        message = (
            InboundMessage.objects.select_for_update(skip_locked=True)
            .filter(pk=pk, status=InboundMessage.Status.RECEIVED)
            .first()
        )
        if message is None:  # processed already, or another worker has it now
            return ""
        try:
            outcome = _act(message)
        except Exception as error:
            logger.exception("inbound: message %s could not be processed", pk)
            message.status = InboundMessage.Status.FAILED
            message.error = f"{type(error).__name__}: {error}"[:2000]
        else:
            message.status = InboundMessage.Status.PROCESSED
            message.outcome = outcome
            if outcome not in KEPT_RAW:
                # Read and acted on: the raw report, which quotes the person's address, and
                # the sender (an auto-reply's is the person) are no longer needed.
                message.raw = b""
                message.envelope_from = ""
        message.processed_at = timezone.now()
        message.save(
            update_fields=["status", "outcome", "error", "processed_at", "raw", "envelope_from"]
        )
    return message.outcome


def _act(message: InboundMessage) -> str:
    raw = bytes(message.raw)
    report = parsing.read(raw, list(message.envelope_to))
    if report.kind in {parsing.AUTO_REPLY, parsing.OTHER}:
        # Mail to an app's address (an official's reply): the app says what it is.
        outcome = routes.handled_by_route(
            message,
            parsing.parse(raw),
            auto_reply=report.kind == parsing.AUTO_REPLY,
            domain=settings.INBOUND_EMAIL_DOMAIN,
        )
        if outcome:
            return outcome
    if report.kind == parsing.AUTO_REPLY:
        return Outcome.AUTO_REPLY
    if report.kind == parsing.DELAY:
        return Outcome.DELAY
    if report.kind == parsing.OTHER:
        return Outcome.OTHER
    # A bounce or a complaint acts only on a message of ours, named by its signed return
    # path: an address merely quoted in a report could be anyone's.
    sent = next(filter(None, map(message_for_return_path, report.return_paths)), None)
    if sent is None:
        logger.info("inbound: %s %s names none of our messages", report.kind, message.pk)
        return Outcome.UNMATCHED
    reason = (
        Suppression.Reason.BOUNCE
        if report.kind == parsing.BOUNCE
        else (Suppression.Reason.COMPLAINT)
    )
    suppression.suppress(sent.to_email, reason, source_message=sent, detail=report.detail)
    return Outcome.BOUNCE if reason == Suppression.Reason.BOUNCE else Outcome.COMPLAINT


def suppress_reported_address(address: str, reason: str, detail: str = "") -> None:
    """A bounce or complaint an e-mail service reports by webhook, naming the address."""
    suppression.suppress(address, reason, detail=detail)
