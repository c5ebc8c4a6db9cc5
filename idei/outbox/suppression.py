"""The suppression list: addresses that bounced or complained, checked before every send.

An entry keeps a keyed hash of the address (HMAC with SECRET_KEY; the previous keys in
SECRET_KEY_FALLBACKS still match, so rotating the key keeps the list), never the address.
"""

import logging
import re
from collections.abc import Iterable

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.crypto import salted_hmac

from .models import TRANSACTIONAL_KINDS, OutgoingMessage, Suppression
from .signals import address_bounced, address_complained

logger = logging.getLogger(__name__)

Reason = Suppression.Reason
_HASH_SALT = "idei.outbox.suppression"


def normalise_address(address: str) -> str:
    """One spelling per mailbox for the hash: trimmed and lower-cased (a +tag is a mailbox)."""
    return address.strip().strip("<>").strip().lower()


def address_hash(address: str, secret: str | None = None) -> str:
    return salted_hmac(
        _HASH_SALT, normalise_address(address), secret=secret, algorithm="sha256"
    ).hexdigest()


def address_hashes(address: str) -> list[str]:
    """The hash under the current key and under each previous key still accepted."""
    secrets = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return [address_hash(address, secret) for secret in secrets]


def find(address: str) -> Suppression | None:
    return Suppression.objects.filter(address_hash__in=address_hashes(address)).first()


def blocked(messages: Iterable[tuple[str, str]]) -> set[str]:
    """Which of these (address, kind) pairs may not be sent: their addresses, normalised.

    One query for a whole batch. A bounce or an operator's entry blocks every kind; a
    complaint blocks all but the transactional kinds (see register_kinds).
    """
    by_hash: dict[str, list[tuple[str, str]]] = {}
    for address, kind in messages:
        if address:
            for digest in address_hashes(address):
                by_hash.setdefault(digest, []).append((normalise_address(address), kind))
    if not by_hash:
        return set()
    entries = Suppression.objects.filter(address_hash__in=list(by_hash)).values_list(
        "address_hash", "reason"
    )
    refused = set()
    for digest, reason in entries:
        for address, kind in by_hash[digest]:
            if reason != Reason.COMPLAINT or kind not in TRANSACTIONAL_KINDS:
                refused.add(address)
    return refused


def without_address(text: str, address: str) -> str:
    """The server's words without the address in them (the list keeps no address)."""
    if not address:
        return text[:300]
    return re.sub(re.escape(address.strip()), "<address>", text, flags=re.IGNORECASE)[:300]


def suppress(
    address: str,
    reason: str,
    *,
    source_message: OutgoingMessage | None = None,
    detail: str = "",
) -> Suppression | None:
    """Put an address on the list (a bounce outranks a complaint) and tell the apps.

    Returns the entry, or None for an empty address (a message whose address was erased).
    """
    if not normalise_address(address):
        return None
    digest = address_hash(address)
    fields = {
        "reason": reason,
        "detail": without_address(detail, address),
        "source_message": source_message,
    }
    with transaction.atomic():
        entry = (
            Suppression.objects.select_for_update()
            .filter(address_hash__in=address_hashes(address))
            .first()
        )
        if entry is None:
            try:
                with transaction.atomic():
                    entry = Suppression.objects.create(address_hash=digest, **fields)
            except IntegrityError:  # suppressed at the same moment by another worker
                entry = Suppression.objects.get(address_hash=digest)
        elif entry.reason == Reason.COMPLAINT and reason != Reason.COMPLAINT:
            for name, value in fields.items():
                setattr(entry, name, value)
            entry.save(update_fields=list(fields))
        signal = address_complained if reason == Reason.COMPLAINT else address_bounced
        signal.send(sender=Suppression, address=address)
    logger.info(
        "outbox: address suppressed (%s)",
        reason,
        extra={"outbox_id": source_message.pk if source_message else None},
    )
    return entry
