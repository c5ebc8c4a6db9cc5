"""Defences of the sign form that need no third party: honeypot, time on page, rate limits.

A bot that fills the honeypot or sends the form faster than a person can read it gets the
same answer as a person ("check your e-mail") and nothing is stored, so it learns nothing.
Rate limits use fixed windows in the Django cache (Redis in production): one atomic INCR per
window and key. They are keyed narrowly (one IP address or IPv6 /64, one e-mail address) so
that one abuser never blocks honest signers elsewhere; a mobile network that puts many people
behind one IPv4 address is why the per-address limits are generous.
"""

import hashlib
import ipaddress
import logging
import time
from dataclasses import dataclass

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
    return signing.dumps({"t": int(now if now is not None else time.time())}, salt=FORM_TOKEN_SALT)


class FormToken:
    VALID = "valid"
    TOO_FAST = "too_fast"
    EXPIRED = "expired"  # also missing or tampered with: the form is shown again, input kept


def check_form_token(value: str, now: float | None = None) -> str:
    now = now if now is not None else time.time()
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


def _key(limit: Limit, value: str, now: float) -> str:
    # Hashed with the secret key: the cache never holds an address in clear.
    digest = hashlib.sha256(f"{settings.SECRET_KEY}:{value}".encode()).hexdigest()[:32]
    window = int(now // limit.seconds)
    return f"letters:rl:{limit.scope}:{digest}:{window}"


def _redis_client():
    """The Redis client behind the default cache, or None for another backend (locmem)."""
    backend = caches["default"]
    if isinstance(backend, RedisCache):
        return backend._cache.get_client(write=True)
    return None


def hit(limits: tuple[Limit, ...], value: str, now: float | None = None) -> bool:
    """Count one request against each limit; False when any limit is exceeded."""
    return hit_many([(limits, value)], now)[0]


def hit_many(groups: list[tuple[tuple[Limit, ...], str]], now: float | None = None) -> list[bool]:
    """hit() for several (limits, value) groups at once; one answer per group.

    With Redis, every limit of every group is counted in one round trip (a pipeline of SET NX
    EX and INCR per window); other cache backends take the portable add/incr path.
    """
    now = now if now is not None else time.time()
    try:
        client = _redis_client()
        if client is not None:
            pipe = client.pipeline(transaction=False)
            for limits, value in groups:
                for limit in limits:
                    key = cache.make_and_validate_key(_key(limit, value, now))
                    pipe.set(key, 0, ex=limit.seconds + 5, nx=True)
                    pipe.incr(key)
            counts = iter(pipe.execute()[1::2])
            # A list, not a generator, inside all(): every count is read, in order, even
            # after a limit that is exceeded.
            return [
                all([next(counts) <= limit.count for limit in limits])  # noqa: C419
                for limits, _ in groups
            ]
    except Exception:
        # The cache (Redis) is down: let people sign rather than lose their signatures.
        logger.warning("abuse: rate limit cache unavailable, request allowed", exc_info=True)
        return [True] * len(groups)
    return [_hit_portable(limits, value, now) for limits, value in groups]


def _hit_portable(limits: tuple[Limit, ...], value: str, now: float) -> bool:
    allowed = True
    for limit in limits:
        key = _key(limit, value, now)
        try:
            cache.add(key, 0, timeout=limit.seconds + 5)
            try:
                count = cache.incr(key)
            except ValueError:  # expired between add and incr
                cache.add(key, 1, timeout=limit.seconds + 5)
                count = 1
        except Exception:
            # The cache (Redis) is down: let people sign rather than lose their signatures.
            logger.warning("abuse: rate limit cache unavailable, request allowed", exc_info=True)
            return True
        if count > limit.count:
            allowed = False
    return allowed


def allow_sign(request, email_key: str | None) -> tuple[bool, bool]:
    """(network allowed, address allowed): both limits counted in one trip to Redis.

    The address is counted only when given (a form about to be signed).
    """
    groups = [(IP_LIMITS, "ip:" + ip_group(client_ip(request)))]
    if email_key is not None:
        groups.append((EMAIL_LIMITS, "email:" + email_key))
    answers = hit_many(groups)
    return answers[0], answers[1] if email_key is not None else True


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
