"""Schemathesis against /api/schema/: every operation, fuzzed from its own description.

No 5xx, and every answer (status, headers, body) is one the schema describes; values the schema
forbids are refused with a 4xx. The WSGI app is called in-process: no live server.
"""

import hypothesis
import pytest
import schemathesis
from django.core import signals
from django.core.cache import cache
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections

from cases.models import Medium, Perpetrator

schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())


@pytest.fixture(autouse=True)
def _published_data(db, demo_data):
    """The demo's cases, countries and campaigns, so that detail operations find something.

    The WSGI handler closes the database connection after each request, which would end the
    test's transaction: Django's test client stops that the same way.
    """
    # Vocabulary choices are cached (cases.filters): an earlier test's media must not linger.
    cache.clear()
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def within_what_the_schema_cannot_say(case) -> None:
    """Bring a request meant to be valid within the two rules its schema can only state in words.

    Vocabulary codes are data (the schema gives their form; an unknown code is a 400), so a
    code is replaced by one that exists; and year_min may not be after year_max. Requests meant
    to be invalid (negative mode) are sent as generated.
    """
    if case.meta is None or case.meta.generation.mode.is_negative or not case.query:
        return
    for name, vocabulary in (("medium", Medium), ("perpetrator", Perpetrator)):
        if name in case.query:
            codes = sorted(vocabulary.objects.values_list("slug", flat=True))
            values = case.query[name]
            values = values if isinstance(values, list) else [values]
            case.query[name] = [codes[len(str(value)) % len(codes)] for value in values]
    years = [case.query.get("year_min"), case.query.get("year_max")]
    if None not in years and int(years[0]) > int(years[1]):
        case.query["year_min"], case.query["year_max"] = years[1], years[0]


# More examples than the form fuzz tests' profile: an API call costs a few milliseconds, and the
# whole run stays well under three minutes (about a minute on a busy 2-core machine).
@schema.parametrize()
@hypothesis.settings(max_examples=max(80, hypothesis.settings.default.max_examples))
def test_api_answers_as_its_schema_says(case):
    within_what_the_schema_cannot_say(case)
    case.call_and_validate()
