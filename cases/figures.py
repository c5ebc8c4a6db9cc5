"""Figures about cases: per-country statistics, CPJ's impunity index, the unresolved rate.

Every function runs a fixed number of aggregate queries, whatever the number of cases.
"""

import csv
import datetime
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from django.core.cache import cache as django_cache
from django.db import transaction
from django.db.models import Case as SqlCase
from django.db.models import CharField, Count, Q, Value, When
from django.utils.translation import gettext_lazy as _

from .models import UNRESOLVED, Case

logger = logging.getLogger(__name__)

POPULATION_CSV = Path(__file__).resolve().parent / "data" / "population.csv"
IMPUNITY_WINDOW_YEARS = 10
IMPUNITY_MIN_CASES = 5

# The status badge's key, computed in SQL so that figures group by it (mirrors Case.status_key).
STATUS_EXPRESSION = SqlCase(
    When(~UNRESOLVED, then=Value("justice")),
    When(impunity=Case.Impunity.PARTIAL, then=Value("partial")),
    When(unesco_status=Case.UnescoStatus.NO_INFORMATION, then=Value("noinfo")),
    default=Value("unresolved"),
    output_field=CharField(),
)
STATUS_ORDER = ["unresolved", "noinfo", "partial", "justice"]

# The same statuses as filters (mirrors STATUS_EXPRESSION), so a list filter can use the indexes.
_PARTIAL = Q(impunity=Case.Impunity.PARTIAL)
_NO_INFORMATION = Q(unesco_status=Case.UnescoStatus.NO_INFORMATION)
STATUS_FILTERS = {
    "justice": ~UNRESOLVED,
    "partial": UNRESOLVED & _PARTIAL,
    "noinfo": UNRESOLVED & ~_PARTIAL & _NO_INFORMATION,
    "unresolved": UNRESOLVED & ~_PARTIAL & ~_NO_INFORMATION,
}

IMPUNITY_METHOD = _(
    "Impunity index, after CPJ's Global Impunity Index: murders of journalists with complete "
    "impunity (no one convicted) in the ten full calendar years %(start)s–%(end)s, for countries "
    "with at least %(minimum)s such cases, divided by the country's population in millions. "
    "Population: %(population_source)s."
)


@dataclass(frozen=True)
class Population:
    people: int
    year: int


@cache
def populations() -> dict[str, Population]:
    """ISO 3166 alpha-2 code → population, from the cited open data shipped in cases/data/."""
    if not POPULATION_CSV.exists():
        return {}
    with POPULATION_CSV.open(encoding="utf-8") as handle:
        return {
            row["iso2"].upper(): Population(int(row["population"]), int(row["year"]))
            for row in csv.DictReader(handle)
            if row.get("population")
        }


POPULATION_SOURCE = _(
    "World Bank, World Development Indicators, series SP.POP.TOTL (CC BY 4.0), "
    "shipped in cases/data/population.csv"
)


def impunity_window(today: datetime.date) -> tuple[int, int]:
    """The ten full calendar years before `today`'s year."""
    end = today.year - 1
    return end - IMPUNITY_WINDOW_YEARS + 1, end


@dataclass
class ImpunityRow:
    country: str
    unsolved_murders: int
    population: int
    per_million: float
    rank: int = 0


def impunity_index(today: datetime.date, cases=None) -> list[ImpunityRow]:
    """Countries ranked by unsolved murders per million inhabitants (one query)."""
    start, end = impunity_window(today)
    cases = Case.objects.published() if cases is None else cases
    counts = (
        cases.filter(
            type_of_death=Case.TypeOfDeath.MURDER,
            impunity=Case.Impunity.COMPLETE,
            year__gte=start,
            year__lte=end,
        )
        .values("country")
        .annotate(n=Count("id"))
        .filter(n__gte=IMPUNITY_MIN_CASES)
    )
    population = populations()
    rows = [
        ImpunityRow(
            country=row["country"],
            unsolved_murders=row["n"],
            population=population[row["country"]].people,
            per_million=row["n"] / (population[row["country"]].people / 1_000_000),
        )
        for row in counts
        if row["country"] in population
    ]
    rows.sort(key=lambda r: (-r.per_million, r.country))
    for rank, row in enumerate(rows, 1):
        row.rank = rank
    return rows


def impunity_method_text(today: datetime.date) -> str:
    start, end = impunity_window(today)
    return IMPUNITY_METHOD % {
        "start": start,
        "end": end,
        "minimum": IMPUNITY_MIN_CASES,
        "population_source": POPULATION_SOURCE,
    }


@dataclass
class Breakdown:
    """Counts per status for one year (or any other key)."""

    key: object
    by_status: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.by_status.values())


def per_year_by_status(cases) -> list[Breakdown]:
    """Killings per year, stacked by status, with empty years filled in (one query)."""
    rows = (
        cases.exclude(year=None)
        .annotate(status=STATUS_EXPRESSION)
        .values("year", "status")
        .annotate(n=Count("id"))
        .order_by()
    )
    return per_year_from(rows)


def per_year_from(rows) -> list[Breakdown]:
    """per_year_by_status() from rows of counts by year and status (and maybe more columns)."""
    years: dict[int, Breakdown] = {}
    for row in rows:
        if row["year"] is None:
            continue
        by_status = years.setdefault(row["year"], Breakdown(row["year"])).by_status
        by_status[row["status"]] = by_status.get(row["status"], 0) + row["n"]
    if not years:
        return []
    return [years.get(y, Breakdown(y)) for y in range(min(years), max(years) + 1)]


def unresolved_percent(killed: int, unresolved: int) -> int:
    """The share of unresolved cases, as every page shows it (rounded to a whole per cent)."""
    return round(100 * unresolved / killed) if killed else 0


def totals(cases) -> dict[str, int]:
    """Killed, unresolved and the unresolved percentage (one query).

    The one computation of the share: the home page, the statistics page, a country page, the
    API and the reminders all call it, so one figure has one meaning everywhere.
    """
    result = cases.aggregate(killed=Count("id"), unresolved=Count("id", filter=UNRESOLVED))
    killed, unresolved = result["killed"], result["unresolved"]
    return {
        "killed": killed,
        "unresolved": unresolved,
        "unresolved_percent": unresolved_percent(killed, unresolved),
    }


def published_totals() -> dict[str, int]:
    """totals() of every published case: the worldwide figures (home and statistics pages)."""
    return totals(Case.objects.published())


def counts_by(cases, field_name: str) -> dict[str, int]:
    """Cases per value of a field (one query); blank values count under ''."""
    rows = cases.values(field_name).annotate(n=Count("id", distinct=True)).order_by("-n")
    return {(row[field_name] or ""): row["n"] for row in rows}


def country_figures(country_code: str, today: datetime.date, index=None) -> dict:
    """What a country page shows; a fixed number of queries.

    `index` is an already computed impunity_index(today) (say from the cache), saving a query.
    """
    cases = Case.objects.published().in_country(country_code)
    index = impunity_index(today) if index is None else index
    ranking = {row.country: row for row in index}
    # One query, read from an index (case_country_figures), for the totals, the years and the
    # answers to UNESCO: the same as totals(), per_year_by_status() and counts_by() each give.
    rows = list(
        cases.annotate(status=STATUS_EXPRESSION)
        .values("year", "status", "unesco_status")
        .annotate(n=Count("id"))
        .order_by()
    )
    killed = sum(row["n"] for row in rows)
    unresolved = sum(row["n"] for row in rows if row["status"] != "justice")  # UNRESOLVED
    unesco_replies: dict[str, int] = defaultdict(int)
    for row in rows:
        unesco_replies[row["unesco_status"] or ""] += row["n"]
    return {
        "killed": killed,
        "unresolved": unresolved,
        "unresolved_percent": unresolved_percent(killed, unresolved),
        "per_year": per_year_from(rows),
        "unesco_replies": dict(sorted(unesco_replies.items(), key=lambda item: -item[1])),
        "impunity": ranking.get(country_code.upper()),
        "impunity_method": impunity_method_text(today),
        "population": populations().get(country_code.upper()),
    }


def country_summaries(cases=None) -> dict[str, dict[str, int]]:
    """Killed and unresolved per country, for every country at once (one query)."""
    cases = Case.objects.published() if cases is None else cases
    rows = (
        cases.values("country")
        .annotate(killed=Count("id"), unresolved=Count("id", filter=UNRESOLVED))
        .order_by("country")
    )
    summaries: dict[str, dict[str, int]] = defaultdict(dict)
    for row in rows:
        summaries[row["country"]] = {"killed": row["killed"], "unresolved": row["unresolved"]}
    return dict(summaries)


def statistics(today: datetime.date, cases=None) -> dict:
    """Everything the statistics page shows: eleven aggregate queries, whatever the count.

    Numbers only: the result is cached and shared by readers of every language, so the words
    around them (the impunity method, labels) are added by the page.
    """
    cases = Case.objects.published() if cases is None else cases
    start, end = impunity_window(today)
    return {
        **totals(cases),
        "per_year": per_year_by_status(cases),
        "by_status": counts_by(cases.annotate(status=STATUS_EXPRESSION), "status"),
        "by_medium": counts_by(cases, "media__slug"),
        "by_gender": counts_by(cases, "gender"),
        "by_origin": counts_by(cases, "origin"),
        "by_perpetrator": counts_by(cases, "perpetrators__slug"),
        "by_type_of_death": counts_by(cases, "type_of_death"),
        "unesco_replies": counts_by(cases, "unesco_status"),
        "impunity": impunity_index(today, cases),
        "impunity_window": (start, end),
        "countries": country_summaries(cases),
    }


# Public pages show figures over every published case; at 20,000 cases each aggregate costs a
# sequential scan, so the pages keep them this long. Editors' changes show within minutes, and
# the functions above stay uncached for callers that need them exact (tests, the API, exports).
FIGURES_CACHE_SECONDS = 300


def cached(name: str, compute, *args):
    """compute(*args), kept in the cache for FIGURES_CACHE_SECONDS under `name` and `args`.

    `args` are plain values (a date) that go into the cache key.

    The cache is a convenience: when it is down, the figures are computed, not lost.
    """
    key = _cache_key(name, *args)
    try:
        value = django_cache.get(key)
    except Exception:  # any backend error: Redis restarting must not take the pages down
        logger.warning("figures cache unavailable; computing %s", name, exc_info=True)
        return compute(*args)
    if value is None:
        value = compute(*args)
        try:
            django_cache.set(key, value, FIGURES_CACHE_SECONDS)
        except Exception:
            logger.warning("figures cache unavailable; not keeping %s", name, exc_info=True)
    return value


def _cache_key(name: str, *args) -> str:
    return "cases:figures:" + ":".join([name, *(str(arg) for arg in args)])


def vocabulary_choices(model) -> list[tuple[str, str]]:
    """(slug, stored name) of a vocabulary (media, perpetrators), for filter forms (one query).

    Kept by cached() for readers of every language (pages show `model.label(slug, name)`)
    until the vocabulary changes (forget_vocabulary).
    """
    return cached(
        f"vocabulary:{model._meta.model_name}",
        lambda: list(model.objects.order_by("name").values_list("slug", "name")),
    )


def forget_vocabulary(model) -> None:
    """Once the transaction commits, drop a vocabulary's kept choices: a term just added by an
    editor or an import is a valid filter at once, not minutes later."""

    def forget():
        try:
            django_cache.delete(_cache_key(f"vocabulary:{model._meta.model_name}"))
        except Exception:
            logger.warning("figures cache unavailable; not forgetting %s", model, exc_info=True)

    transaction.on_commit(forget)
