"""Counting requests per key in the cache, for limits that answer "wait N seconds".

A window opens at a key's first request and lasts `seconds`; every request in it counts, the
refused ones too, so that a client who keeps trying stays refused until the window closes. The
cache is Redis in production (shared by every web process) and the keys are hashed with the
secret key, so the cache never holds an address in clear. If the cache is down, requests are
allowed: the limits slow attackers down, they must not lock people out.
"""

import hashlib
import logging
import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Limit:
    scope: str
    count: int
    seconds: int


def _key(limit: Limit, value: str, part: str) -> str:
    digest = hashlib.sha256(f"{settings.SECRET_KEY}:{value}".encode()).hexdigest()[:32]
    return f"idei:limit:{limit.scope}:{digest}:{part}"


def hit(limit: Limit, value: str) -> int:
    """Count one request; 0 if it is within the limit, else the seconds until the window closes."""
    now = time.time()
    count_key, opened_key = _key(limit, value, "count"), _key(limit, value, "opened")
    try:
        cache.add(opened_key, now, timeout=limit.seconds)
        cache.add(count_key, 0, timeout=limit.seconds)
        try:
            count = cache.incr(count_key)
        except ValueError:  # the window closed between add and incr
            cache.add(count_key, 1, timeout=limit.seconds)
            count = 1
        opened = float(cache.get(opened_key) or now)
    except Exception:
        logger.warning("rate limit cache unavailable, request allowed", exc_info=True)
        return 0
    if count <= limit.count:
        return 0
    return max(1, math.ceil(opened + limit.seconds - now))


def reset(limit: Limit, value: str) -> None:
    """Forget the count of one value (an admin lifting a limit, a test cleaning up)."""
    cache.delete_many([_key(limit, value, "count"), _key(limit, value, "opened")])


def hit_all(checks: list[tuple[Limit, str]]) -> int:
    """Count one request against every (limit, value); the longest wait, or 0 if all allow it."""
    return max((hit(limit, value) for limit, value in checks), default=0)
