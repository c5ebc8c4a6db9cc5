"""The watchlist: signatures per e-mail domain and per client network, per hour.

The sign POST counts its domain and its network in its one Redis round trip (two ZINCRBY on
this hour's sorted sets, in services.admit). A beat run every minute (`watch_sources`) reads
the sources over their threshold and makes each an alert once an hour: a watchlist entry in
the admin (Letters > Watchlist) with the hour's count, and a log line. The counts live in
Redis for two hours at most; a network is kept in the database only once it crossed its
threshold. Without Redis (the embedded default) nothing is counted.

An admin blocks an entry: later signatures from that domain (or a subdomain) or network are
stored as usual, and their signers see and receive exactly what they would have, but they are
held back (Signature.held_by): not counted and, until an admin counts them
(letters.services.count_held_signatures) or drops them, not sent to officials.
"""

import datetime
import logging
import time

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from idei.redis_client import redis_client

from ..models import WatchlistEntry
from ..models.signatures import ascii_domain

logger = logging.getLogger(__name__)

HOUR = 3600
Kind = WatchlistEntry.Kind


def thresholds() -> dict[str, int]:
    return {
        Kind.DOMAIN: settings.WATCHLIST_DOMAIN_PER_HOUR,
        Kind.NETWORK: settings.WATCHLIST_NETWORK_PER_HOUR,
    }


def hour_of(now: float) -> int:
    return int(now // HOUR)


def counts_key(kind: str, hour: int) -> str:
    return f"letters:watch:{kind}:{hour}"


def domain_of(email_key: str) -> str:
    return ascii_domain(email_key.rpartition("@")[2])


def queue_counts(pipe, email_key: str, network: str, now: float) -> None:
    """Add this signature's counts to the sign POST's Redis pipeline (four commands)."""
    hour = hour_of(now)
    for kind, value in ((Kind.DOMAIN, domain_of(email_key)), (Kind.NETWORK, network)):
        key = cache.make_key(counts_key(kind, hour))
        pipe.zincrby(key, 1, value)
        # Read in this hour and the next (see watch_sources), then gone.
        pipe.expire(key, 2 * HOUR + 60)


# -- Blocked sources, read at most every BLOCKED_SECONDS per process ----------------------------

# Every sign POST asks; a change in admin clears the copy of the process that made it at once,
# the others within this many seconds.
BLOCKED_SECONDS = 30
_blocked: dict = {"entries": {}, "read_at": None}


def blocked_entries() -> dict[tuple[str, str], int]:
    now = time.monotonic()
    if _blocked["read_at"] is None or now - _blocked["read_at"] > BLOCKED_SECONDS:
        rows = WatchlistEntry.objects.filter(blocked_at__isnull=False)
        _blocked.update(
            entries={
                (kind, value): pk for pk, kind, value in rows.values_list("pk", "kind", "value")
            },
            read_at=now,
        )
    return _blocked["entries"]


def forget_blocked(**kwargs) -> None:
    _blocked["read_at"] = None


def holding_entry(email_key: str, network: str) -> int | None:
    """The blocked entry (its pk) that holds back a signature from this address and network."""
    entries = blocked_entries()
    if not entries:
        return None
    domain = domain_of(email_key)
    parts = domain.split(".")
    for candidate in [".".join(parts[i:]) for i in range(len(parts) - 1)] or [domain]:
        if (Kind.DOMAIN, candidate) in entries:
            return entries[(Kind.DOMAIN, candidate)]
    return entries.get((Kind.NETWORK, network))


# -- The run: alerts ---------------------------------------------------------------------------


def watch_sources(now: float | None = None) -> list[WatchlistEntry]:
    """Make an alert of every source over its threshold in this hour or the last (once an hour
    each): the entry's count and time, and a log line. The entries alerted now."""
    client = redis_client()
    if client is None:
        return []
    now = now if now is not None else time.time()
    hour = hour_of(now)
    pipe = client.pipeline(transaction=False)
    sources = []
    for kind, threshold in thresholds().items():
        for key_hour in (hour - 1, hour):
            pipe.zrangebyscore(
                cache.make_key(counts_key(kind, key_hour)), threshold, "+inf", withscores=True
            )
            sources.append((kind, key_hour))
    alerted = []
    for (kind, key_hour), found in zip(sources, pipe.execute(), strict=True):
        for raw_value, score in found:
            entry = _alert(kind, raw_value.decode(), int(score), key_hour)
            if entry is not None:
                alerted.append(entry)
    return alerted


def _alert(kind: str, value: str, count: int, hour: int) -> WatchlistEntry | None:
    if len(value) > WatchlistEntry._meta.get_field("value").max_length:
        logger.warning("watchlist: a %s too long to keep was over its threshold", kind)
        return None
    hour_start = datetime.datetime.fromtimestamp(hour * HOUR, tz=datetime.UTC)
    entry, _created = WatchlistEntry.objects.get_or_create(kind=kind, value=value)
    if entry.alerted_at is not None and entry.alerted_at >= hour_start:
        return None  # alerted in this hour already
    entry.alerted_at = timezone.now()
    entry.alert_count = count
    entry.save(update_fields=["alerted_at", "alert_count"])
    logger.warning(
        "watchlist: %s over its threshold (%s signatures in the hour)",
        kind,
        count,
        extra={
            "event": "watchlist_alert",
            "watchlist_entry": entry.pk,
            "kind": kind,
            "count": count,
            "blocked": entry.blocked_at is not None,
        },
    )
    return entry
