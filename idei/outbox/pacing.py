"""Pacing per recipient domain: letters to one ministry's mail server are spread out.

At most OUTBOX_DOMAIN_HOURLY_LIMIT messages of the paced kinds (letters to officials: see
register_kinds) go to one domain per hour, in small windows (300 an hour: 5 a minute), so a
spike of signatures does not look like an attack on an institution's mailbox. The count is
kept in the cache (Redis): if Redis loses it, pacing starts afresh, never blocks the mail.
"""

import logging
import math

from django.conf import settings
from django.core.cache import cache

from .models import PACED_KINDS

logger = logging.getLogger(__name__)


def window() -> tuple[int, int]:
    """(seconds, messages): the pacing window and how many messages one domain gets in it."""
    limit = max(int(settings.OUTBOX_DOMAIN_HOURLY_LIMIT), 1)
    if limit >= 60:
        return 60, limit // 60
    return math.ceil(3600 / limit), 1


def recipient_domain(address: str) -> str:
    return address.rpartition("@")[2].strip().lower().rstrip(".")


def take_slot(kind: str, address: str) -> bool:
    """Whether this message may go now; counts it if so. Unpaced kinds always may."""
    if kind not in PACED_KINDS:
        return True
    seconds, capacity = window()
    key = f"outbox:pace:{recipient_domain(address)}"
    try:
        # The window starts with the domain's first message and ends `seconds` later.
        cache.add(key, 0, timeout=seconds)
        try:
            used = cache.incr(key)
        except ValueError:  # the window ended between add() and incr()
            cache.add(key, 1, timeout=seconds)
            used = 1
    except Exception:  # the cache is down (any backend's error): send rather than hold the mail
        logger.warning("outbox: pacing unavailable (cache error); sending unpaced")
        return True
    return used <= capacity
