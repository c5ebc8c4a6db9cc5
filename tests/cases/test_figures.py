"""Figures added for the public pages: status filters, statistics, the cache helper."""

import datetime
import itertools

import pytest

from cases import figures
from cases.models import Case
from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 11, 2)


@pytest.fixture(autouse=True)
def _own_cache(settings):
    settings.CACHES = {
        **settings.CACHES,  # the other aliases (fragments) as configured
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "test-figures",
        },
    }


def test_status_filters_agree_with_the_status_badge_for_every_combination():
    impunities = ["", *Case.Impunity.values[1:]]
    unesco = ["", *Case.UnescoStatus.values[1:]]
    cases = [
        CaseFactory(impunity=impunity, unesco_status=status)
        for impunity, status in itertools.product(impunities, unesco)
    ]
    for key, condition in figures.STATUS_FILTERS.items():
        matched = set(Case.objects.filter(condition).values_list("pk", flat=True))
        assert matched == {case.pk for case in cases if case.status_key == key}, key


def test_statistics_count_every_breakdown():
    CaseFactory(country="MX", gender="female", origin="local", impunity="complete")
    CaseFactory(country="MX", gender="male", origin="foreign", impunity="full_justice")
    CaseFactory(country="BR", gender="male", origin="local", type_of_death="crossfire")
    CaseFactory(country="BR", is_published=False)
    stats = figures.statistics(TODAY)
    assert stats["killed"] == 3
    assert stats["by_gender"] == {"male": 2, "female": 1}
    assert stats["by_origin"] == {"local": 2, "foreign": 1}
    assert stats["by_type_of_death"] == {"murder": 2, "crossfire": 1}
    assert stats["by_status"]["justice"] == 1
    assert stats["countries"]["MX"] == {"killed": 2, "unresolved": 1}
    assert stats["impunity_window"] == (2016, 2025)


def test_country_figures_in_one_query_agree_with_each_figure_counted_on_its_own():
    """A country's figures come from one grouped query; each equals its own function's count."""
    impunities = ["", *Case.Impunity.values[1:]]
    unesco = ["", *Case.UnescoStatus.values[1:]]
    years = [None, 1994, 2001, 2001, 2019]
    for impunity, status, year in itertools.product(impunities, unesco, years):
        CaseFactory(
            country="MX",
            impunity=impunity,
            unesco_status=status,
            date_of_death=datetime.date(year, 3, 1) if year else None,
            year=year,
        )
    CaseFactory(country="MX", is_published=False)
    CaseFactory(country="BR")
    cases = Case.objects.published().in_country("MX")

    country = figures.country_figures("MX", TODAY)

    assert {key: country[key] for key in ("killed", "unresolved", "unresolved_percent")} == (
        figures.totals(cases)
    )
    assert country["per_year"] == figures.per_year_by_status(cases)
    assert country["unesco_replies"] == figures.counts_by(cases, "unesco_status")
    assert country["killed"] == len(impunities) * len(unesco) * len(years)


def test_cached_figures_are_kept_until_they_expire():
    CaseFactory()

    def compute():
        return figures.totals(Case.objects.published())

    first = figures.cached("totals", compute)
    CaseFactory()
    assert figures.cached("totals", compute) == first
    assert figures.totals(Case.objects.published())["killed"] == 2


def test_cached_figures_are_computed_when_the_cache_is_down(settings):
    settings.CACHES = {
        **settings.CACHES,  # the other aliases (fragments) as configured
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens on port 1
            "OPTIONS": {"socket_connect_timeout": 0.2},
        },
    }
    CaseFactory()
    totals = figures.cached("down", lambda: figures.totals(Case.objects.published()))
    assert totals["killed"] == 1
