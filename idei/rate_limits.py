"""Rate limits: sliding windows counted in the cache, all of a request's limits in one trip.

Every limit of the platform is one of these: the sign form's (per network, per address), the
privacy requests', the password reset's. A limit is a sliding window, counted in two fixed
windows (this one and the previous, weighted by how much of it the sliding window still
covers), so a burst across a boundary cannot pass twice the limit. Every request is counted,
the refused ones too, so that a client who keeps trying stays refused. A refused request is
told how long to wait (for `Retry-After`).

The counts live with the cache under its key prefix: on Redis, every limit of a request, and
whatever else the caller adds to the same pipeline, is counted in one round trip with a client
of our own (idei.redis_client); other cache backends take the portable add/incr path of
Django's cache API. A request may also claim keys that only one request may set (a single-use
token's "used" mark) in the same trip. Keys are hashed with the secret key,
so the cache never holds an address in clear. If the cache is down, requests are allowed:
limits slow attackers down, they must not lock people out or lose a signature.
"""

import hashlib
import logging
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import redis
from django.conf import settings
from django.core.cache import cache

from idei.redis_client import redis_client

logger = logging.getLogger(__name__)

# The time limits read, in one place so that tests can set it (the `abuse_clock` fixture).
clock = time.time


@dataclass(frozen=True)
class Limit:
    scope: str
    count: int
    seconds: int


Group = tuple[tuple[Limit, ...], str]  # the limits one value is counted against


@dataclass(frozen=True)
class Claim:
    """A key that one request only may set (SET NX), kept for `seconds`: a use, once."""

    key: str
    seconds: int


class Trip(NamedTuple):
    """What one count_in_one_trip() found."""

    # The wait in seconds for each group, 0 where it is allowed.
    waits: list[int]
    # The replies to queue_more's commands; None where Redis is not used or is down.
    replies: list | None
    # For each claim: True if this request made it, False if another had; None: cache down.
    claimed: list[bool | None]


def _key(limit: Limit, value: str, window: int) -> str:
    digest = hashlib.sha256(f"{settings.SECRET_KEY}:{value}".encode()).hexdigest()[:32]
    return f"idei:rl:{limit.scope}:{digest}:{window}"


@dataclass(frozen=True)
class _Window:
    """Where one request falls for one limit: this window's key, the previous one's, and how
    far into this window it is."""

    limit: Limit
    current: str
    previous: str
    into: float

    @classmethod
    def at(cls, limit: Limit, value: str, now: float) -> "_Window":
        window, into = divmod(now, limit.seconds)
        return cls(
            limit, _key(limit, value, int(window)), _key(limit, value, int(window) - 1), into
        )

    @property
    def ttl(self) -> int:
        # A window's count is read again as "previous" throughout the next window.
        return 2 * self.limit.seconds + 5

    def wait(self, current: int, previous: int) -> int:
        """0 if this request is within the limit, else the seconds until one would be.

        The previous window's requests are taken as spread evenly over it: a burst at the end
        of one window still counts almost fully just after, so no boundary doubles a limit.
        """
        seconds, count = self.limit.seconds, self.limit.count
        if previous * (1 - self.into / seconds) + current <= count:
            return 0
        # Still in this window, once enough of the previous one has slid out...
        room = count - current - 1
        if previous and room >= 0:
            return max(1, math.ceil(seconds * (1 - room / previous) - self.into))
        # ...or in the next one, once enough of this one has.
        slide = seconds * max(0.0, 1 - (count - 1) / current)
        return max(1, math.ceil(seconds - self.into + slide))


def hit(limits: tuple[Limit, ...], value: str) -> bool:
    """Count one request against each limit; False when any limit is exceeded."""
    return hit_many([(limits, value)])[0]


def hit_many(groups: list[Group]) -> list[bool]:
    """hit() for several groups at once; one answer per group."""
    return [wait == 0 for wait in count_in_one_trip(groups).waits]


def retry_after(groups: list[Group]) -> int:
    """Count one request against every group: 0 if all allow it, else the longest wait."""
    return max(count_in_one_trip(groups).waits, default=0)


def count_in_one_trip(
    groups: list[Group],
    queue_more: Callable[[redis.client.Pipeline], None] | None = None,
    claims: Sequence[Claim] = (),
) -> Trip:
    """Count each group's limits, make the claims, and run the commands `queue_more` adds, in
    one round trip on Redis (claims take cache.add on other backends; queue_more runs only on
    Redis)."""
    now = clock()
    windows = [[_Window.at(limit, value, now) for limit in limits] for limits, value in groups]
    replies = None
    try:
        client = redis_client()
        if client is None:
            counts = [[_count_portable(window) for window in group] for group in windows]
            claimed = [cache.add(claim.key, 1, timeout=claim.seconds) for claim in claims]
        else:
            counts, claimed, replies = _count_redis(client, windows, claims, queue_more)
    except Exception:
        logger.warning("rate limits: cache unavailable, request allowed", exc_info=True)
        return Trip([0] * len(groups), None, [None] * len(claims))
    waits = [
        max(window.wait(*count) for window, count in zip(group, group_counts, strict=True))
        for group, group_counts in zip(windows, counts, strict=True)
    ]
    return Trip(waits, replies, claimed)


# KEYS: each window's current and previous key; ARGV: each window's time to live. Returns each
# window's count with this request and the previous window's count. A new window's key gets
# its expiry in the same atomic step as its first count, so no key is left without one.
COUNT_WINDOWS = """
local counts = {}
for i = 1, #KEYS, 2 do
  local current = redis.call('INCR', KEYS[i])
  if current == 1 then redis.call('EXPIRE', KEYS[i], ARGV[(i + 1) / 2]) end
  counts[#counts + 1] = current
  counts[#counts + 1] = tonumber(redis.call('GET', KEYS[i + 1]) or '0')
end
return counts
"""


def _count_redis(
    client: redis.Redis, windows: list[list[_Window]], claims: Sequence[Claim], queue_more=None
):
    """(this window's count with this request, the previous window's count) for each window,
    whether each claim was made here, and the replies to the commands queue_more added."""
    pipe = client.pipeline(transaction=False)
    flat = [window for group in windows for window in group]
    # All windows in one command (a script), not three each: cheaper for client and server.
    pipe.eval(
        COUNT_WINDOWS,
        2 * len(flat),
        *[cache.make_key(key) for window in flat for key in (window.current, window.previous)],
        *[window.ttl for window in flat],
    )
    for claim in claims:
        # The cache's own key (prefix and version), so that cache.get/delete see it too.
        pipe.set(cache.make_key(claim.key), 1, ex=claim.seconds, nx=True)
    if queue_more is not None:
        queue_more(pipe)
    replies = iter(pipe.execute())
    window_counts = iter(next(replies))
    counts = []
    for group in windows:
        group_counts = []
        for _ in group:
            group_counts.append((int(next(window_counts)), int(next(window_counts))))
        counts.append(group_counts)
    claimed = [bool(next(replies)) for _ in claims]
    return counts, claimed, list(replies)


def _count_portable(window: _Window) -> tuple[int, int]:
    cache.add(window.current, 0, timeout=window.ttl)
    try:
        current = cache.incr(window.current)
    except ValueError:  # expired between add and incr
        cache.add(window.current, 1, timeout=window.ttl)
        current = 1
    return current, int(cache.get(window.previous) or 0)


def reset(limits: tuple[Limit, ...], value: str) -> None:
    """Forget one value's counts (an admin lifting a limit, a test cleaning up)."""
    now = clock()
    windows = [_Window.at(limit, value, now) for limit in limits]
    cache.delete_many([key for window in windows for key in (window.current, window.previous)])
