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

import logging
import time

from django.core import signing

from idei import rate_limits
from idei.client_address import client_network
from idei.rate_limits import Limit

logger = logging.getLogger(__name__)

# Seconds a person needs at least between seeing the form and sending it.
MIN_SECONDS_ON_PAGE = 3
# A form older than this asks to be checked and sent again (with the input kept).
MAX_FORM_AGE = 24 * 3600
FORM_TOKEN_SALT = "letters.sign-form"  # noqa: S105 - a signing salt, not a secret

# The time form tokens read, in one place so that tests can set it (the `abuse_clock` fixture
# in tests/conftest.py sets it with idei.rate_limits.clock).
clock = time.time

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


# -- Rate limits (idei/rate_limits.py) -------------------------------------------------------


def sign_limit_groups(request, email_key: str | None) -> list[tuple[tuple[Limit, ...], str]]:
    """The limits a sign POST is counted against: its network, and its address when given
    (a form about to be signed)."""
    groups = [(IP_LIMITS, "ip:" + client_network(request))]
    if email_key is not None:
        groups.append((EMAIL_LIMITS, "email:" + email_key))
    return groups


def network_wait(request) -> int:
    """Count a request against its network's limits: 0 if allowed, else the seconds to wait."""
    return rate_limits.retry_after([(IP_LIMITS, "ip:" + client_network(request))])


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
