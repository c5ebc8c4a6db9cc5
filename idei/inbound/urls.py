"""django-anymail's webhook URLs, each answering 400 to a payload it cannot parse.

Anymail checks the basic authentication first; a payload that then fails to parse (which its
views leave as a 500) gets a plain 400, so the service sees a clear refusal.
"""

import functools
import logging

from anymail import urls as anymail_urls
from anymail.exceptions import AnymailError
from django.http import HttpResponseBadRequest
from django.urls import URLPattern

logger = logging.getLogger(__name__)


def refuse_malformed(view):
    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        # json.JSONDecodeError is a ValueError; the others come from a payload of the wrong shape.
        except (ValueError, KeyError, TypeError, AttributeError, AnymailError) as error:
            logger.warning("inbound: malformed webhook payload at %s: %r", request.path, error)
            return HttpResponseBadRequest("Malformed webhook payload\n", content_type="text/plain")

    return wrapped


urlpatterns = [
    URLPattern(
        pattern.pattern, refuse_malformed(pattern.callback), pattern.default_args, pattern.name
    )
    for pattern in anymail_urls.urlpatterns
]
