"""Public pages of the case database: the list and its exports, a country, a case, statistics.

Every page runs a fixed number of queries whatever the number of cases (pinned in
tests/cases/test_views.py with 20,000 cases on PostgreSQL).
"""

import json
from itertools import chain

from django.core.paginator import Paginator
from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import get_language, get_language_bidi
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe
from django_countries import countries

from idei.collation import sort_key
from idei.csv_export import csv_lines, csv_response

from . import attribution, charts, figures, filters, search
from .fields import DOWNLOAD_FIELDS
from .models import STATUS_LABELS, UNRESOLVED_RULE, Case, CaseEvent

CASES_PER_PAGE = 24
EXPORT_CHUNK = 1000


def country_name_or_404(code: str) -> str:
    if code not in countries:
        raise Http404(_("No such country code."))
    return countries.name(code)


def country_choices(summaries: dict[str, dict[str, int]]) -> list[tuple[str, str]]:
    """Countries that have cases, by name in the reader's language, with their count."""
    choices = [
        (code, f"{countries.name(code)} ({row['killed']})")
        for code, row in summaries.items()
        if code in countries
    ]
    return [("", _("All countries")), *sorted(choices, key=lambda c: sort_key(c[1]))]


def filtered_cases(request, queryset, **options):
    filterset = filters.CaseFilter(request.GET, queryset=queryset, **options)
    return filterset, filterset.qs


# Further than any list goes (24 million cases): a larger page number is the last page, and
# the count it bounds stays far inside PostgreSQL's LIMIT.
LAST_PAGE_NUMBER = 1_000_000


def page_number(value) -> int:
    """The page asked for, read as Paginator.get_page reads it.

    Not a number is the first page; a number below 1, or past the end, the last.
    """
    try:
        number = int(value)
    except (TypeError, ValueError):
        return 1
    return LAST_PAGE_NUMBER if number < 1 else min(number, LAST_PAGE_NUMBER)


class BoundedPaginator(Paginator):
    """A Paginator that counts a search's matches only as far as it needs to.

    The count stops at `at_least` + 1 rows, or one row past the page asked for if that is
    further: the page is then full and has a next page, and the total is "more than" the count
    less one (`more`). A smaller count is exact. Counting 1,001 of 8,540 matches reads an
    eighth of the table's pages (bench/README.md, cases).
    """

    def __init__(self, object_list, per_page, *, number, at_least):
        super().__init__(object_list, per_page)
        self.limit = max(at_least, page_number(number) * per_page) + 1

    @cached_property
    def count(self) -> int:
        # Without the ordering, which for a search would rank every match.
        return self.object_list.order_by()[: self.limit].count()

    @property
    def more(self) -> bool:
        return self.count >= self.limit

    @property
    def at_least(self) -> int:
        return self.limit - 1


def filter_form_key(query, form) -> str:
    """What the filter form shows, as the key of its markup in the "fragments" cache.

    Its values and errors follow from the query; its choices are the countries with their
    counts and the vocabularies (both change with the data); every label, from the language.
    Django renders a form slowly (every widget through its templates): a list page's form was a
    fifth of its time.
    """
    choices = [
        [(str(value), str(label)) for value, label in choices]
        for choices in (
            form.fields["country"].widget.choices,
            form.fields["medium"].choices,
            form.fields["perpetrator"].choices,
        )
    ]
    return repr([get_language(), query.urlencode(), choices])  # {% cache %} hashes it


@require_safe
def case_list(request):
    cards = Case.objects.published().for_cards()
    filterset, cases = filtered_cases(request, cards)
    number = request.GET.get("page")
    if filterset.ranks_by_relevance:
        paginator = BoundedPaginator(
            cases, CASES_PER_PAGE, number=number, at_least=search.BROAD_SEARCH
        )
        if paginator.count > search.BROAD_SEARCH:
            # Too many to rank each one: the same matches, newest first (search.py).
            filterset, paginator.object_list = filtered_cases(request, cards, broad_search=True)
    else:
        paginator = Paginator(cases, CASES_PER_PAGE)
    page = paginator.get_page(number)
    summaries = figures.cached("countries", figures.country_summaries)
    filterset.form.fields["country"].widget.choices = country_choices(summaries)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "cases/case_list.html",
        {
            "filter": filterset,
            "form": filterset.form,
            "form_key": filter_form_key(query, filterset.form),
            "page": page,
            "export_query": query.urlencode(),
            "filtering": any(v for k, v in query.items() if k != "sort"),
            "credits": attribution.aggregate_credits(),
            "broad_search": search.BROAD_SEARCH,
        },
    )


# -- Exports ---------------------------------------------------------------------------------


def export_attribution(request) -> dict:
    source = request.build_absolute_uri(reverse("cases:list"))
    return {
        "attribution": _(
            "IDEI case database of journalists and media workers killed, compiled by its "
            "editors from CPJ and UNESCO public data and the sources cited on each case page. "
            "When you reuse it, credit IDEI and link to %(source)s."
        )
        % {"source": source},
        **attribution.about_the_data(),
        "source": source,
        "exported_at": timezone.now().isoformat(timespec="seconds"),
    }


def export_queryset(request):
    filterset, cases = filtered_cases(
        request,
        Case.objects.published().prefetch_related("media", "perpetrators", "external_ids"),
    )
    return filterset, cases


def iso(date) -> str | None:
    return date.isoformat() if date else None


def export_record(case: Case, base_url: str) -> dict:
    """A case as the downloads write it: DOWNLOAD_FIELDS, in order, with their values."""
    computed = {
        "url": base_url + case.get_absolute_url(),
        "country": case.country.code,
        "country_name": str(case.country.name),
        "date_of_death": iso(case.date_of_death),
        "media": [medium.slug for medium in case.media.all()],
        "perpetrators": [perpetrator.slug for perpetrator in case.perpetrators.all()],
        "status": case.status_key,
        "unresolved": case.is_unresolved,
        "resolved_on": iso(case.resolved_on),
        "last_reviewed": iso(case.last_reviewed),
        "source_of_record": attribution.case_credits(case),
    }
    # Every other field is the case's attribute of the same name.
    return {
        name: computed[name] if name in computed else getattr(case, name)
        for name in DOWNLOAD_FIELDS
    }


def export_records(request, cases):
    """The cases' records one after the other, read from the database in chunks."""
    base_url = request.build_absolute_uri("/").rstrip("/")
    return (export_record(case, base_url) for case in cases.iterator(chunk_size=EXPORT_CHUNK))


def download_cell(value):
    """A record's value as the CSV download writes it (csv_lines then makes it inert)."""
    if isinstance(value, list):
        return "; ".join(value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    return value


def bad_filters_response(filterset) -> HttpResponse:
    lines = [f"{name}: {error}" for name, errors in filterset.errors.items() for error in errors]
    return HttpResponse(
        "\n".join(lines) + "\n", status=400, content_type="text/plain; charset=utf-8"
    )


def export_filename(extension: str) -> str:
    return f"idei-cases-{timezone.localdate().isoformat()}.{extension}"


@require_safe
def export_csv(request):
    filterset, cases = export_queryset(request)
    if filterset.errors:
        return bad_filters_response(filterset)
    about = export_attribution(request)
    # The first line says where the data comes from and how to credit it, then the header.
    exported = f"{_('Exported')}: {about['exported_at']}"
    credit = " ".join([f"# {about['attribution']}", *about["sources"], about["terms"], exported])
    records = export_records(request, cases)
    rows = chain(
        [[credit], DOWNLOAD_FIELDS],
        ([download_cell(value) for value in record.values()] for record in records),
    )
    return csv_response(csv_lines(rows), export_filename("csv"))


# JSON served as a file: escape the characters that matter in HTML, so the text stays inert
# even if a careless consumer pastes it into a page.
JSON_ESCAPES = {ord("<"): "\\u003c", ord(">"): "\\u003e", ord("&"): "\\u0026"}


def json_text(value) -> str:
    return json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False).translate(JSON_ESCAPES)


@require_safe
def export_json(request):
    filterset, cases = export_queryset(request)
    if filterset.errors:
        return bad_filters_response(filterset)
    about = export_attribution(request)
    records = export_records(request, cases)

    def chunks():
        head = {**about, "filters": filterset.active_filters}
        yield json_text(head)[:-1] + ', "cases": ['
        separator = ""
        for record in records:
            yield separator + json_text(record)
            separator = ",\n"
        yield "]}\n"

    response = StreamingHttpResponse(chunks(), content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="{export_filename("json")}"'
    return response


# -- A country -------------------------------------------------------------------------------


@require_safe
def country_detail(request, country_code):
    name = country_name_or_404(country_code)
    today = timezone.localdate()
    index = figures.cached("impunity", figures.impunity_index, today)
    country_figures = figures.country_figures(country_code, today, index=index)
    # In the list's order (newest first, unknown dates last), read from its index (migration 0008).
    cases = Case.objects.published().in_country(country_code).order_by(*filters.SORTS["newest"])
    page = Paginator(cases.for_cards(), CASES_PER_PAGE).get_page(request.GET.get("page"))
    unesco_labels = {**dict(Case.UnescoStatus.choices), "": _("Not recorded")}
    return render(
        request,
        "cases/country_detail.html",
        {
            "country_code": country_code,
            "country_name": name,
            "figures": country_figures,
            "chart": charts.stacked_bars(country_figures["per_year"], rtl=get_language_bidi()),
            "status_labels": STATUS_LABELS,
            "status_order": figures.STATUS_ORDER,
            "unesco_replies": charts.share_rows(country_figures["unesco_replies"], unesco_labels),
            "page": page,
            "credits": attribution.aggregate_credits(country_code),
        },
    )


# -- A case ----------------------------------------------------------------------------------


@require_safe
def case_detail(request, country_code, slug):
    case = get_object_or_404(
        Case.objects.published()
        .select_related("incident")
        .prefetch_related("events", "sources", "media", "external_ids"),
        slug=slug,
    )
    if case.country.code != country_code:
        # Slugs are unique across countries, so the slug alone names the case: when editors
        # correct a case's country, links shared under the old one keep working and search
        # engines move to the new address.
        return redirect(case.get_absolute_url(), permanent=True)
    return render(
        request,
        "cases/case_detail.html",
        {
            "case": case,
            "events": case.events.all(),
            "sources": case.sources.all(),
            "unresolved_rule": UNRESOLVED_RULE,
            "event_kinds": CaseEvent.Kind,
            "credits": attribution.case_credits(case),
        },
    )


# -- Statistics ------------------------------------------------------------------------------


@require_safe
def statistics(request):
    today = timezone.localdate()
    stats = figures.cached("statistics", figures.statistics, today)
    killed = {code: row["killed"] for code, row in stats["countries"].items()}
    view_box, shapes = charts.world_map(killed)
    country_rows = sorted(
        (
            {"code": code, "name": countries.name(code), **row}
            for code, row in stats["countries"].items()
            if code in countries
        ),
        key=lambda row: (-row["killed"], row["name"]),
    )
    not_recorded = _("Not recorded")
    # The headline is counted now, like the home page's and the country pages' (the same
    # function): the cached breakdowns may lag an editor's change by a few minutes.
    headline = figures.published_totals()
    total = stats["killed"]
    return render(
        request,
        "cases/statistics.html",
        {
            "stats": stats,
            "headline": headline,
            "chart": charts.stacked_bars(stats["per_year"], rtl=get_language_bidi()),
            "status_labels": STATUS_LABELS,
            "status_order": figures.STATUS_ORDER,
            "by_status": charts.status_rows(
                stats["by_status"],
                STATUS_LABELS,
                total=total,
                unresolved_label=_("Counted as unresolved, of which:"),
            ),
            "breakdowns": [
                (
                    _("By medium"),
                    charts.share_rows(
                        stats["by_medium"],
                        {**dict(filters.medium_choices()), "": not_recorded},
                        total=total,
                    ),
                ),
                (
                    _("By gender"),
                    charts.share_rows(stats["by_gender"], dict(Case.Gender.choices), total=total),
                ),
                (
                    _("Local or foreign"),
                    charts.share_rows(stats["by_origin"], dict(Case.Origin.choices), total=total),
                ),
                (
                    _("By suspected perpetrator"),
                    charts.share_rows(
                        stats["by_perpetrator"],
                        {**dict(filters.perpetrator_choices()), "": not_recorded},
                        total=total,
                    ),
                ),
                (
                    _("By type of death"),
                    charts.share_rows(
                        stats["by_type_of_death"], dict(Case.TypeOfDeath.choices), total=total
                    ),
                ),
                (
                    _("State's answer to UNESCO"),
                    charts.share_rows(
                        stats["unesco_replies"],
                        {**dict(Case.UnescoStatus.choices), "": not_recorded},
                        total=total,
                    ),
                ),
            ],
            "map_view_box": view_box,
            "map_shapes": shapes,
            "map_legend": charts.map_legend(),
            "country_rows": country_rows,
            "country_names": {row["code"]: row["name"] for row in country_rows},
            "unresolved_rule": UNRESOLVED_RULE,
            "impunity_method": figures.impunity_method_text(today),
            "credits": attribution.aggregate_credits(),
        },
    )
