"""Defences of the sign form that need no third party: honeypot, time on page, rate limits.

A bot that fills the honeypot gets the same answer as a person ("check your e-mail") and
nothing is stored, so it learns nothing. The form's timestamp token is bound to the visitor (a
keyed hash of their CSRF secret) and works once: a form sent too quickly, with a token fetched
by another client or sent before, is shown again with the input kept and nothing stored.
Rate limits are sliding windows kept with the cache (Redis in production, where all limits of a
request are counted in one round trip, with the rest of the sign POST's Redis work: see
services.admit; Django's cache API otherwise). They are keyed narrowly (one IP address or
IPv6 /64, one e-mail address) so that one abuser never blocks honest signers elsewhere; a
mobile network that puts many people behind one IPv4 address is why the per-address limits
are generous.
"""

import logging
import secrets
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.core import signing
from django.middleware.csrf import get_token
from django.utils.crypto import constant_time_compare, salted_hmac

from idei import rate_limits
from idei.client_address import client_network
from idei.rate_limits import Claim, Limit

from ..models import BlockedEmailDomain

logger = logging.getLogger(__name__)

# Seconds a person needs at least between seeing the form and sending it.
MIN_SECONDS_ON_PAGE = 3
# A form older than this asks to be checked and sent again (with the input kept).
MAX_FORM_AGE = 24 * 3600
FORM_TOKEN_SALT = "letters.sign-form"  # noqa: S105 - a signing salt, not a secret
VISITOR_SALT = "letters.sign-form.visitor"
# A used form token's mark in the cache (with the token's random part).
FORM_USED_KEY = "letters:sign-form-used:"

# The time form tokens read, in one place so that tests can set it (the `abuse_clock` fixture
# in tests/conftest.py sets it with idei.rate_limits.clock).
clock = time.time

# (what is counted, how many requests, per how many seconds)
IP_LIMITS = (Limit("ip-minute", 20, 60), Limit("ip-hour", 200, 3600))
EMAIL_LIMITS = (Limit("email-hour", 6, 3600),)


# -- Time on page, once, by this visitor ------------------------------------------------------


def visitor_key(request) -> str:
    """Who a form token is bound to: a keyed hash of the visitor's CSRF secret.

    get_token() gives a visitor without a CSRF cookie a new secret (and the response the
    cookie); where the page cache fills its holes, the CSRF hole is filled first, so both
    values come from the same secret. The secret itself never appears in the page.
    """
    if "CSRF_COOKIE" not in request.META:
        # A new visitor. Otherwise CsrfViewMiddleware has read the secret from the cookie
        # already, and get_token() would only spend 32 random characters on a mask unused.
        get_token(request)
    return salted_hmac(VISITOR_SALT, request.META["CSRF_COOKIE"]).hexdigest()[:24]


EMBED_VISITOR_SALT = "letters.sign-form.embed-visitor"


def embed_visitor_key(request) -> str:
    """Who an embedded form's token is bound to: a keyed hash of the client's network.

    The embed lives in other sites' frames, where browsers block or withhold our cookies
    (Safari always, Chromium often; a SameSite=Lax cookie is never sent from a cross-site
    frame), so it cannot be a CSRF secret. The network (an IPv4 address, an IPv6 /64) is what
    the rate limits count already: a token fetched by a server elsewhere, to be posted by a
    crowd, names another network and is refused as FOREIGN. A phone that changes network
    between showing and sending the form gets the form back with a fresh token, input kept.
    """
    return salted_hmac(EMBED_VISITOR_SALT, client_network(request)).hexdigest()[:24]


def same_origin_post(request) -> bool:
    """Whether a POST without a CSRF cookie was sent by a page of this site (the embed's frame).

    What Django's CSRF check does for a request without the cookie, by the Origin header
    (every current browser sends it with a POST), else the Referer: a form on another site
    that posts to the embed is refused. A POST with neither header comes from no browser
    page, and is left to the form token and the rate limits like any other.
    """
    own = {f"{request.scheme}://{request.get_host()}", *settings.CSRF_TRUSTED_ORIGINS}
    origin = request.headers.get("Origin")
    if origin is not None:
        return origin in own
    referer = request.headers.get("Referer")
    if referer is not None:
        parts = urlsplit(referer)
        return f"{parts.scheme}://{parts.netloc}" in own
    return True


def form_token(visitor: str, now: float | None = None) -> str:
    """A signed timestamp put in the form when it is shown, bound to `visitor` (visitor_key),
    with a random part that names this one form for its single use."""
    shown_at = int(now if now is not None else clock())
    return signing.dumps(
        {"t": shown_at, "v": visitor, "n": secrets.token_urlsafe(9)}, salt=FORM_TOKEN_SALT
    )


class FormToken:
    VALID = "valid"
    TOO_FAST = "too_fast"
    EXPIRED = "expired"  # the form is shown again, input kept, with a fresh token
    # Missing, tampered with, or fetched by another visitor (another CSRF cookie): shown again.
    FOREIGN = "foreign"
    # Sent before (found when the sign POST claims it: services.admit): shown again.
    REUSED = "reused"


@dataclass(frozen=True)
class CheckedFormToken:
    state: str
    # The claim that marks this token used (rate_limits.Claim), for a VALID token only.
    use: Claim | None = None


def check_form_token(value: str, visitor: str, now: float | None = None) -> CheckedFormToken:
    """What a sent form token says, without using it (services.admit claims its use)."""
    now = now if now is not None else clock()
    try:
        payload = signing.loads(value or "", salt=FORM_TOKEN_SALT)
        shown_at, bound_to, nonce = int(payload["t"]), str(payload["v"]), str(payload["n"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return CheckedFormToken(FormToken.FOREIGN)
    if not constant_time_compare(bound_to, visitor):
        return CheckedFormToken(FormToken.FOREIGN)
    age = now - shown_at
    if age < MIN_SECONDS_ON_PAGE:
        return CheckedFormToken(FormToken.TOO_FAST)
    if age > MAX_FORM_AGE:
        return CheckedFormToken(FormToken.EXPIRED)
    # Kept a little longer than the token is valid: a used token stays used until it expires.
    return CheckedFormToken(FormToken.VALID, Claim(FORM_USED_KEY + nonce, MAX_FORM_AGE + 60))


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
