"""The SMTP server of `manage.py receive_mail` (aiosmtpd): our addresses only, stored raw.

A recipient that is not ours is refused at RCPT (550); a message over
INBOUND_MAX_MESSAGE_BYTES is refused by aiosmtpd itself with 552, before anything is stored;
a message that cannot be stored gets 451, so that the sending server tries again later.
"""

import logging

from aiosmtpd.controller import Controller
from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import close_old_connections, connection

from . import receiving

logger = logging.getLogger(__name__)


def _store(content: bytes, envelope_from: str, envelope_to: list[str]) -> None:
    # Runs in a pool thread: a usable connection first, and none left open in an idle thread
    # afterwards (bounces are few; a connection per message costs little).
    close_old_connections()
    try:
        receiving.store(
            content, source="smtp", envelope_from=envelope_from, envelope_to=envelope_to
        )
    finally:
        connection.close()


class InboundHandler:
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if not receiving.accepts(address):
            return "550 5.1.1 No such recipient here"
        if len(envelope.rcpt_tos) >= receiving.MAX_RECIPIENTS:
            return "452 4.5.3 Too many recipients"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        content = envelope.original_content or envelope.content or b""
        if isinstance(content, str):
            content = content.encode("utf-8", "surrogateescape")
        if len(content) > settings.INBOUND_MAX_MESSAGE_BYTES:
            return "552 5.3.4 Message too big"
        try:
            await sync_to_async(_store, thread_sensitive=False)(
                content, envelope.mail_from or "", list(envelope.rcpt_tos)
            )
        except Exception:
            logger.exception("inbound: a message could not be stored; the sender will retry")
            return "451 4.3.0 Could not store the message, try again later"
        return "250 OK: message stored"


def server(host: str, port: int) -> Controller:
    """An SMTP server for our addresses, not yet started (`.start()`, `.stop()`)."""
    return Controller(
        InboundHandler(),
        hostname=host,
        port=port,
        data_size_limit=settings.INBOUND_MAX_MESSAGE_BYTES,
        # The raw bytes, untouched: a DSN's 8-bit parts must reach the parser as sent.
        decode_data=False,
        server_hostname=settings.INBOUND_EMAIL_DOMAIN,
    )
