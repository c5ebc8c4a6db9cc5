"""Defences of the sign form that need no third party: honeypot, time on page, rate limits.

A bot that fills the honeypot or sends the form faster than a person can read it gets the
same answer as a person ("check your e-mail") and nothing is stored, so it learns nothing.
Rate limits are sliding windows kept with the cache (Redis in production, where all limits of a
request are counted in one round trip, with the rest of the sign POST's Redis work: see
services.admit; Django's cache API otherwise). They are keyed narrowly (one IP address or
IPv6 /64, one e-mail address) so that one abuser never blocks honest signers elsewhere; a
mobile network that puts many people behind one IPv4 address is why the per-address limits
are generous.
"""

import hashlib
import ipaddress
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

import redis
from django.conf import settings
from django.core import signing
from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache

logger = logging.getLogger(__name__)

# Seconds a person needs at least between seeing the form and sending it.
MIN_SECONDS_ON_PAGE = 3
# A form older than this asks to be checked and sent again (with the input kept).
MAX_FORM_AGE = 24 * 3600
FORM_TOKEN_SALT = "letters.sign-form"  # noqa: S105 - a signing salt, not a secret

# The time that rate limits and form tokens read, in one place so that tests can set it
# (the `abuse_clock` fixture in tests/conftest.py).
clock = time.time


@dataclass(frozen=True)
class Limit:
    scope: str
    count: int
    seconds: int


# (what is counted, how many requests, per how many seconds)
IP_LIMITS = (Limit("ip-minute", 20, 60), Limit("ip-hour", 200, 3600))
EMAIL_LIMITS = (Limit("email-hour", 6, 3600),)


# -- Time on page ---------------------------------------------------------------------------


def form_token(now: float | None = None) -> str:
    """A signed timestamp put in the form when it is shown."""
    return signing.dumps({"t": int(now if now is not None else clock())}, salt=FORM_TOKEN_SALT)


class FormToken:
    VALID = "valid"
    TOO_FAST = "too_fast"
    EXPIRED = "expired"  # also missing or tampered with: the form is shown again, input kept


def check_form_token(value: str, now: float | None = None) -> str:
    now = now if now is not None else clock()
    try:
        shown_at = signing.loads(value or "", salt=FORM_TOKEN_SALT)["t"]
    except (signing.BadSignature, KeyError, TypeError):
        return FormToken.EXPIRED
    age = now - shown_at
    if age < MIN_SECONDS_ON_PAGE:
        return FormToken.TOO_FAST
    if age > MAX_FORM_AGE:
        return FormToken.EXPIRED
    return FormToken.VALID


# -- Who is asking --------------------------------------------------------------------------


def client_ip(request) -> str:
    """The client's address: REMOTE_ADDR, or the X-Forwarded-For entry our proxies vouch for.

    With TRUSTED_PROXY_COUNT = n, the last n proxies in front of the site are ours: each appends
    the address it saw, so the client is the n-th entry from the right. Anything further left
    was written by the client and is never trusted. With 0 the header is ignored entirely.
    """
    remote = request.META.get("REMOTE_ADDR", "")
    trusted = settings.TRUSTED_PROXY_COUNT
    if trusted > 0:
        hops = [
            hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop
        ]
        if len(hops) >= trusted:
            candidate = hops[-trusted]
            try:
                return str(ipaddress.ip_address(candidate))
            except ValueError:
                pass
    return remote


def ip_group(address: str) -> str:
    """The unit a limit counts: one IPv4 address, or one IPv6 /64 (what one household gets)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return "unknown"
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network(f"{ip}/64", strict=False))
    return str(ip)


# -- Rate limits ----------------------------------------------------------------------------


def _key(limit: Limit, value: str, window: int) -> str:
    # Hashed with the secret key: the cache never holds an address in clear.
    digest = hashlib.sha256(f"{settings.SECRET_KEY}:{value}".encode()).hexdigest()[:32]
    return f"letters:rl:{limit.scope}:{digest}:{window}"


@dataclass(frozen=True)
class _Window:
    """Where one request falls for one limit: this window's key, the previous one's, and how
    much of the previous window still lies within the sliding window ending now."""

    limit: Limit
    current: str
    previous: str
    previous_weight: float

    @classmethod
    def at(cls, limit: Limit, value: str, now: float) -> "_Window":
        window, into = divmod(now, limit.seconds)
        return cls(
            limit,
            _key(limit, value, int(window)),
            _key(limit, value, int(window) - 1),
            1 - into / limit.seconds,
        )

    @property
    def ttl(self) -> int:
        # A window's count is read again as "previous" throughout the next window.
        return 2 * self.limit.seconds + 5

    def allows(self, current: int, previous: int) -> bool:
        # The previous window's requests are taken as spread evenly over it: a burst at the end
        # of one window still counts almost fully just after, so no boundary doubles a limit.
        return previous * self.previous_weight + current <= self.limit.count


# One Redis client (with its connection pool) per process and server, for the rate limits.
_redis_clients: dict[tuple, redis.Redis] = {}


def _redis_client() -> redis.Redis | None:
    """A Redis client of our own on the server of the default cache; None for another backend.

    The counts live with the cache (REDIS_URL in settings), under the cache's key prefix.
    """
    if not isinstance(caches["default"], RedisCache):
        return None
    config = settings.CACHES["default"]
    location = config["LOCATION"]
    url = (location.split(",") if isinstance(location, str) else list(location))[0]
    options = config.get("OPTIONS", {})
    timeouts = (options.get("socket_connect_timeout", 2), options.get("socket_timeout", 2))
    client = _redis_clients.get((url, timeouts))
    if client is None:
        client = _redis_clients[(url, timeouts)] = redis.Redis.from_url(
            url, socket_connect_timeout=timeouts[0], socket_timeout=timeouts[1]
        )
    return client


def hit(limits: tuple[Limit, ...], value: str) -> bool:
    """Count one request against each limit; False when any limit is exceeded."""
    return hit_many([(limits, value)])[0]


def hit_many(groups: list[tuple[tuple[Limit, ...], str]]) -> list[bool]:
    """hit() for several (limits, value) groups at once; one answer per group."""
    return count_in_one_trip(groups)[0]


def count_in_one_trip(
    groups: list[tuple[tuple[Limit, ...], str]],
    queue_more: Callable[[redis.client.Pipeline], None] | None = None,
) -> tuple[list[bool], list | None]:
    """Count each group's limits, with the commands `queue_more` adds, in one round trip.

    (One answer per group, the replies to `queue_more`'s commands.) Each limit is a sliding
    window, counted in two fixed windows (this one and the previous, weighted by how much of it
    the sliding window still covers). Every request is counted, the refused ones too, so that a
    client who keeps trying stays refused. With Redis, all of it is one pipeline; other cache
    backends take the portable add/incr path of Django's cache API, and the replies are None
    (as when Redis is down).
    """
    now = clock()
    windows = [[_Window.at(limit, value, now) for limit in limits] for limits, value in groups]
    replies = None
    try:
        client = _redis_client()
        if client is None:
            counts = [[_count_portable(window) for window in group] for group in windows]
        else:
            counts, replies = _count_redis(client, windows, queue_more)
    except Exception:
        # The cache (Redis) is down: let people sign rather than lose their signatures.
        logger.warning("abuse: rate limit cache unavailable, request allowed", exc_info=True)
        return [True] * len(groups), None
    # A list, not a generator, inside all(): every window of a group is judged.
    answers = [
        all([window.allows(*count) for window, count in zip(group, group_counts, strict=True)])  # noqa: C419
        for group, group_counts in zip(windows, counts, strict=True)
    ]
    return answers, replies


def _count_redis(
    client: redis.Redis, windows: list[list[_Window]], queue_more=None
) -> tuple[list[list[tuple[int, int]]], list]:
    """(this window's count with this request, the previous window's count) for each window,
    and the replies to the commands queue_more added."""
    pipe = client.pipeline(transaction=False)
    for group in windows:
        for window in group:
            current = cache.make_key(window.current)
            pipe.set(current, 0, ex=window.ttl, nx=True)
            pipe.incr(current)
            pipe.get(cache.make_key(window.previous))
    if queue_more is not None:
        queue_more(pipe)
    replies = iter(pipe.execute())
    counts = []
    for group in windows:
        group_counts = []
        for _ in group:
            _created, current, previous = next(replies), next(replies), next(replies)
            group_counts.append((int(current), int(previous or 0)))
        counts.append(group_counts)
    return counts, list(replies)


def _count_portable(window: _Window) -> tuple[int, int]:
    cache.add(window.current, 0, timeout=window.ttl)
    try:
        current = cache.incr(window.current)
    except ValueError:  # expired between add and incr
        cache.add(window.current, 1, timeout=window.ttl)
        current = 1
    return current, int(cache.get(window.previous) or 0)


def sign_limit_groups(request, email_key: str | None) -> list[tuple[tuple[Limit, ...], str]]:
    """The limits a sign POST is counted against: its network, and its address when given
    (a form about to be signed)."""
    groups = [(IP_LIMITS, "ip:" + ip_group(client_ip(request)))]
    if email_key is not None:
        groups.append((EMAIL_LIMITS, "email:" + email_key))
    return groups


def allow_ip(request) -> bool:
    return hit(IP_LIMITS, "ip:" + ip_group(client_ip(request)))


# -- Blocked e-mail domains -----------------------------------------------------------------


# The block-list is read from the database at most this often per process (every sign POST
# checks it). A change in admin clears the copy of the process that made it at once.
BLOCKED_DOMAINS_SECONDS = 30
_blocked = {"domains": frozenset(), "read_at": None}


def blocked_domains() -> frozenset[str]:
    from ..models import BlockedEmailDomain

    now = time.monotonic()
    if _blocked["read_at"] is None or now - _blocked["read_at"] > BLOCKED_DOMAINS_SECONDS:
        domains = frozenset(BlockedEmailDomain.objects.values_list("domain", flat=True))
        _blocked.update(domains=domains, read_at=now)
    return _blocked["domains"]


def forget_blocked_domains(**kwargs) -> None:
    _blocked["read_at"] = None


def blocked_domain(email: str) -> str | None:
    """The block-list entry matching this address's domain or a parent domain, if any."""
    domain = email.rsplit("@", 1)[-1].strip().lower().rstrip(".")
    if not domain:
        return None
    parts = domain.split(".")
    candidates = [".".join(parts[i:]) for i in range(len(parts) - 1)] or [domain]
    blocked = blocked_domains()
    return next((candidate for candidate in candidates if candidate in blocked), None)
