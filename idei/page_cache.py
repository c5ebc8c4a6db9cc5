"""A whole-page cache for anonymous visitors, with holes for what differs per visitor.

A campaign's page is what a spike of signers loads. Rendering it (cases, officials, the letter,
the sign form) costs several milliseconds of CPU, yet every anonymous visitor gets the same
HTML but for a few values: their CSRF token and the sign form's signed timestamp. So the page
is rendered with placeholders in those holes and kept for PAGE_SECONDS per variant (the
language, the host, and what an app registers, such as the country preselected from the
browser's language); each visitor gets a copy with their own values put into the holes.

Whatever changes what a cached page shows calls `invalidate()`, which bumps one generation
number, so an edit is seen at the next request (within LOCAL_SECONDS in other processes);
PAGE_SECONDS bounds what no signal reports.

Only anonymous GET/HEAD requests without a query string and without a session or message
cookie are served from the cache: a signed-in coordinator, or a visitor with a message waiting,
gets the page rendered for them (with the same holes, filled the same way). If the cache
(Redis) is down, pages are rendered as without it.

The holes' placeholders are plain words that HTML escaping leaves alone. An app registers its
own with `register_hole(placeholder, fill)`, where `fill(request)` gives the visitor's value;
the value is inserted as it is, so it must be HTML-safe (tokens, signed values).
"""

import hashlib
import logging
import time
from collections.abc import Callable
from typing import TypeVar

from django.conf import settings
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.utils.translation import get_language

logger = logging.getLogger(__name__)

PAGE_SECONDS = 30
GENERATION_KEY = "page-cache:generation"
# Passed to templates as `csrf_token`: {% csrf_token %} writes it where the token goes.
CSRF_HOLE = "pagecachehole0csrf0token"

T = TypeVar("T")

# Each process also keeps what it last read for LOCAL_SECONDS, so that under a spike most
# requests do not even ask Redis. invalidate() empties the copy of the process that calls it
# at once; other processes (gunicorn workers) show a change within LOCAL_SECONDS.
LOCAL_SECONDS = 2.0
LOCAL_MAX_ENTRIES = 500
_local: dict[str, tuple[float, int, object]] = {}

_holes: dict[str, Callable[[HttpRequest], str]] = {}
_variants: dict[str, Callable[[HttpRequest], str]] = {}


def register_hole(placeholder: str, fill: Callable[[HttpRequest], str]) -> None:
    _holes[placeholder] = fill


def register_variant(name: str, vary: Callable[[HttpRequest], str]) -> None:
    """Pages are kept apart by what `vary(request)` returns (e.g. a preselected country)."""
    _variants[name] = vary


def cacheable(request: HttpRequest) -> bool:
    return (
        request.method in ("GET", "HEAD")
        and not request.GET
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and CookieStorage.cookie_name not in request.COOKIES
    )


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:40]


def _page_key(request: HttpRequest, name: str) -> str:
    parts = [name, get_language() or "", request.get_host()]
    parts += [f"{variant}={vary(request)}" for variant, vary in sorted(_variants.items())]
    return "page-cache:page:" + _digest("\x1f".join(parts))


def invalidate() -> None:
    """Every cached page is rendered again at its next request."""
    _local.clear()
    try:
        cache.add(GENERATION_KEY, 0, timeout=None)
        cache.incr(GENERATION_KEY)
    except Exception:  # the cache is down: nothing is served from it either
        logger.warning("page cache: could not invalidate", exc_info=True)


def _read(key: str) -> tuple[int, object | None]:
    """The current generation and what is kept under `key` if it belongs to it.

    From this process's own copy if it is under LOCAL_SECONDS old, else in one trip to the
    cache (Redis), which then refreshes the copy.
    """
    now = time.monotonic()
    copy = _local.get(key)
    if copy is not None and now - copy[0] < LOCAL_SECONDS:
        return copy[1], copy[2]
    found = cache.get_many([GENERATION_KEY, key])
    generation = found.get(GENERATION_KEY, 0)
    stored = found.get(key)
    if stored and stored[0] == generation:
        _keep_local(key, generation, stored[1])
        return generation, stored[1]
    return generation, None


def _keep_local(key: str, generation: int, value) -> None:
    if len(_local) >= LOCAL_MAX_ENTRIES:
        _local.clear()
    _local[key] = (time.monotonic(), generation, value)


def _through_cache(key: str, compute: Callable[[], T]) -> T:
    """What is kept under `key` for the current generation, else `compute()`, then kept.

    An exception from `compute` is raised and nothing is kept. With the cache down, every
    call computes.
    """
    try:
        generation, value = _read(key)
    except Exception:
        logger.warning("page cache: unavailable", exc_info=True)
        return compute()
    if value is not None:
        return value
    value = compute()
    try:
        cache.set(key, (generation, value), PAGE_SECONDS)
    except Exception:
        logger.warning("page cache: unavailable", exc_info=True)
    else:
        _keep_local(key, generation, value)
    return value


def remember(name: str, compute: Callable[[], T]) -> T:
    """A value read from what pages show (a campaign's row, say), kept like the pages.

    Recomputed after any change that invalidates the pages, and at least every PAGE_SECONDS.
    An exception from `compute` (Http404) is raised and nothing is kept.
    """
    return _through_cache("page-cache:value:" + _digest(name), compute)


def fill(request: HttpRequest, html: str) -> str:
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

    def rendered_html() -> str:
        response = render()
        return response.content.decode(response.charset)

    if cacheable(request):
        html = _through_cache(_page_key(request, name), rendered_html)
    else:
        html = rendered_html()
    return HttpResponse(fill(request, html))
