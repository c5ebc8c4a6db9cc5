"""Crediting the data: each case's source of record, the sources of a set of cases, the terms.

CPJ asks for "Source: Committee to Protect Journalists (cpj.org/data)"; UNESCO for its
Observatory of Killed Journalists to be named. Wherever their data appears (case and country
pages, statistics, downloads, the API) it names them, per case and in aggregate. Cases the
editors curated themselves (no CPJ or UNESCO identifier) say so.
"""

from django.db.models import Count, Exists, OuterRef, Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .figures import cached
from .models import Case, ExternalId

CPJ, UNESCO, CURATED = ExternalId.Source.CPJ, ExternalId.Source.UNESCO, "curated"
OUTSIDE_SOURCES = (CPJ, UNESCO)
CREDITS = {
    CPJ: gettext_lazy("Source: Committee to Protect Journalists (cpj.org/data)"),
    UNESCO: gettext_lazy(
        "Source: UNESCO Observatory of Killed Journalists (unesco.org/en/safety-journalists/"
        "observatory)"
    ),
    CURATED: gettext_lazy("Curated by the IDEI editors from the sources cited on the case page."),
}
TERMS = gettext_lazy(
    "Terms of the data: cases from the Committee to Protect Journalists (cpj.org/data) and "
    "from UNESCO's Observatory of Killed Journalists are shown with the credit each source "
    "asks for, and their own terms of use apply to them; each case names its source of record. "
    "Cases curated by the IDEI editors may be reused with credit to IDEI and a link to the case "
    "database. When you reuse the data, keep these credits."
)


def source_codes(external_sources) -> list[str]:
    """The sources of record of one case, from its identifiers' sources: CPJ, UNESCO, curated."""
    present = set(external_sources)
    found = [source for source in OUTSIDE_SOURCES if source in present]
    return found or [CURATED]


def case_credits(case: Case) -> list[str]:
    """One case's credit lines; uses the prefetched external_ids when there are."""
    return [str(CREDITS[code]) for code in source_codes(e.source for e in case.external_ids.all())]


def _sources_of(country: str) -> list[str]:
    """Which sources the published cases (of a country) come from, in one query."""
    cases = Case.objects.published()
    if country:
        cases = cases.in_country(country)

    def has(source):
        return Q(Exists(ExternalId.objects.filter(case=OuterRef("pk"), source=source)))

    found = cases.aggregate(
        **{source: Count("pk", filter=has(source)) for source in OUTSIDE_SOURCES},
        **{CURATED: Count("pk", filter=~has(CPJ) & ~has(UNESCO))},
    )
    return [code for code in (*OUTSIDE_SOURCES, CURATED) if found[code]]


def aggregate_codes(country: str = "") -> list[str]:
    """The sources of the published cases (of one country): cached like the figures."""
    return cached("sources", _sources_of, country)


def aggregate_credits(country: str = "") -> list[str]:
    return [str(CREDITS[code]) for code in aggregate_codes(country)]


def terms() -> str:
    return str(TERMS)


def about_the_data(country: str = "") -> dict:
    """What the API and the downloads say about where the data comes from."""
    return {"sources": aggregate_credits(country), "terms": terms()}


def credit_line(credits: list[str]) -> str:
    return " ".join(credits) if credits else _("Source: the IDEI case database.")
