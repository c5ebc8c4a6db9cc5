"""A whole-page cache for anonymous visitors, with holes for what differs per visitor.

A campaign's page is what a spike of signers loads. Rendering it (cases, officials, the letter,
the sign form) costs several milliseconds of CPU, yet every anonymous visitor gets the same
HTML but for a few values: their CSRF token and the sign form's signed timestamp. So the page
is rendered with placeholders in those holes and kept for PAGE_SECONDS per variant (the
language, the host, and what an app registers, such as the country preselected from the
browser's language); each visitor gets a copy with their own values put into the holes.

Whatever changes what a cached page shows calls `invalidate()` after commit, which bumps one
generation number in the cache, so an edit is seen at the next request in every process;
PAGE_SECONDS bounds what no signal reports. There is one copy of a page, in the cache (Redis):
a request reads the generation and the page in one round trip, with a client of our own
(idei.redis_client), the page kept as JSON (its HTML and the attributes in KEPT_ATTRIBUTES).

Only anonymous GET/HEAD requests without a query string and without a session or message
cookie (nor one an app registers with `register_own_cookie`, such as a signer's own "you
signed" cookie) are served from the cache: a signed-in coordinator, a visitor with a message
waiting, or a signer who returns, gets the page rendered for them (with the same holes,
filled the same way). If the cache (Redis) is down, pages are rendered as without it.

The holes' placeholders are plain words that HTML escaping leaves alone. An app registers its
own with `register_hole(placeholder, fill)`, where `fill(request)` gives the visitor's value;
the value is inserted as it is, so it must be HTML-safe (tokens, signed values).
"""

import hashlib
import json
import logging
from collections.abc import Callable

from django.conf import settings
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.utils.translation import get_language

from idei.redis_client import redis_client

logger = logging.getLogger(__name__)

PAGE_SECONDS = 30
GENERATION_KEY = "page-cache:generation"
# Passed to templates as `csrf_token`: {% csrf_token %} writes it where the token goes.
CSRF_HOLE = "pagecachehole0csrf0token"

_holes: dict[str, Callable[[HttpRequest], str]] = {}
_variants: dict[str, Callable[[HttpRequest], str]] = {}
_own_cookies: set[str] = set()
# Query parameters a cached page may be asked with: each is a variant (see register_variant).
_query_params: set[str] = set()


def register_hole(placeholder: str, fill: Callable[[HttpRequest], str]) -> None:
    _holes[placeholder] = fill


def register_variant(
    name: str, vary: Callable[[HttpRequest], str], *, query_param: bool = False
) -> None:
    """Pages are kept apart by what `vary(request)` returns (e.g. a preselected country).

    With `query_param`, `name` is a query parameter that a cached page may be asked with
    (`?source=` of a shared link): `vary` must map its value onto few pages (normalised).
    """
    _variants[name] = vary
    if query_param:
        _query_params.add(name)


def register_own_cookie(name: str) -> None:
    """A visitor who carries this cookie sees a page of their own (e.g. "you signed"): it is
    rendered for them, never read from nor written to the cache."""
    _own_cookies.add(name)


def cacheable(request: HttpRequest) -> bool:
    return (
        request.method in ("GET", "HEAD")
        and not set(request.GET) - _query_params
        and all(len(request.GET.getlist(name)) == 1 for name in request.GET)
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and CookieStorage.cookie_name not in request.COOKIES
        and not any(name in request.COOKIES for name in _own_cookies)
    )


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:40]


def _page_key(request: HttpRequest, name: str) -> str:
    parts = [name, get_language() or "", request.get_host()]
    parts += [f"{variant}={vary(request)}" for variant, vary in sorted(_variants.items())]
    return "page-cache:page:" + _digest("\x1f".join(parts))


def invalidate() -> None:
    """Every cached page is rendered again at its next request, in every process."""
    try:
        cache.add(GENERATION_KEY, 0, timeout=None)
        cache.incr(GENERATION_KEY)
    except Exception:  # the cache is down: nothing is served from it either
        logger.warning("page cache: could not invalidate", exc_info=True)


# What a page's view sets on its response for the middleware (the embed's frame-ancestors and
# X-Frame-Options exemption), kept with the page so that a copy served from the cache has it.
KEPT_ATTRIBUTES = ("_csp_replace", "xframe_options_exempt")


def _cached_page(key: str, render: Callable[[], tuple[str, dict]]) -> tuple[str, dict]:
    """The page kept under `key` for the current generation, else `render()`, then kept.

    The generation and the page are read in one round trip. An exception from `render` is
    raised and nothing is kept. With the cache down, every request renders.
    """
    client = redis_client()
    try:
        if client is None:
            found = cache.get_many([GENERATION_KEY, key])
            generation, stored = found.get(GENERATION_KEY, 0), found.get(key)
        else:
            # Our own client (idei.redis_client): Django's builds one per call, on every page.
            raw_generation, raw_page = client.mget(
                cache.make_key(GENERATION_KEY), cache.make_key(key)
            )
            # Django's cache stores an integer as its digits, so invalidate() can INCR it.
            generation = int(raw_generation or 0)
            stored = json.loads(raw_page) if raw_page else None
    except Exception:
        logger.warning("page cache: unavailable", exc_info=True)
        return render()
    if stored and stored[0] == generation:
        return stored[1], stored[2]
    html, kept = render()
    try:
        if client is None:
            cache.set(key, (generation, html, kept), PAGE_SECONDS)
        else:
            client.set(cache.make_key(key), json.dumps([generation, html, kept]), ex=PAGE_SECONDS)
    except Exception:
        logger.warning("page cache: unavailable", exc_info=True)
    return html, kept


def fill(request: HttpRequest, html: str) -> str:
    # Only a page with the hole gets a CSRF token (and its cookie): the embed, framed by other
    # sites where cookies are blocked, has none.
    if CSRF_HOLE in html:
        html = html.replace(CSRF_HOLE, get_token(request))
    for placeholder, value in _holes.items():
        if placeholder in html:
            html = html.replace(placeholder, value(request))
    return html


def serve(request: HttpRequest, name: str, render: Callable[[], HttpResponse]) -> HttpResponse:
    """The page `name` for this request: from the cache when allowed, else `render()`.

    `render` answers 200 or raises (Http404), and puts CSRF_HOLE where the CSRF token goes
    (pass it as the template's `csrf_token`) and registered placeholders where their values go.
    """

    def rendered_page() -> tuple[str, dict]:
        response = render()
        kept = {
            attr: getattr(response, attr) for attr in KEPT_ATTRIBUTES if hasattr(response, attr)
        }
        return response.content.decode(response.charset), kept

    if cacheable(request):
        html, kept = _cached_page(_page_key(request, name), rendered_page)
    else:
        html, kept = rendered_page()
    response = HttpResponse(fill(request, html))
    for attr, value in kept.items():
        setattr(response, attr, value)
    return response
