"""Read-only JSON API for cases and per-country figures (/api/v1/cases/, /api/v1/countries/).

Query parameters are validated, not guessed: an unknown parameter or value answers 400 with a
message under the parameter's name, so that a typo never silently returns every case. Every
endpoint runs a fixed number of queries whatever the page size.
"""

import datetime

from django.db.models import Prefetch, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django_countries import countries
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    inline_serializer,
)
from rest_framework import mixins, serializers, viewsets
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from . import attribution, figures
from .fields import API_FIELDS
from .filters import SEARCH_MAX_LENGTH, SORTS, YEAR_FIRST, YEAR_LAST, CaseFilter
from .models import Case, CaseEvent, CaseSource, ExternalId, Medium


class EscapedJSONRenderer(JSONRenderer):
    """JSON with <, > and & written as \\u escapes: a hostile name can never be read as markup."""

    def render(self, data, accepted_media_type=None, renderer_context=None):
        body = super().render(data, accepted_media_type, renderer_context)
        # Outside strings these characters never occur in JSON, so escaping them is lossless.
        return body.replace(b"<", b"\\u003c").replace(b">", b"\\u003e").replace(b"&", b"\\u0026")


# -- Pagination ------------------------------------------------------------------------------


class ApiPagination(PageNumberPagination):
    """`count`, `next`, `previous`, `results`; `page_size` up to 100 (larger asks are capped)."""

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100

    def get_paginated_response(self, data):
        # Every list names the sources of its data and their terms (attribution.py).
        response = super().get_paginated_response(data)
        response.data.update(attribution.about_the_data())
        return response

    def get_paginated_response_schema(self, schema):
        schema = super().get_paginated_response_schema(schema)
        schema["properties"]["sources"] = {
            "type": "array",
            "items": {"type": "string"},
            "description": "The credit each source of these data asks for.",
        }
        schema["properties"]["terms"] = {"type": "string", "description": "Terms of the data."}
        return schema


class PageQuery(serializers.Serializer):
    """`page` and `page_size` checked up front: DRF would answer 404 or ignore bad values."""

    page = serializers.IntegerField(
        required=False, min_value=1, help_text=_("Page number, from 1.")
    )
    page_size = serializers.IntegerField(
        required=False,
        min_value=1,
        help_text=_("Results per page: 20 by default, at most 100 (larger values are capped)."),
    )


# Free text where an empty value means "no search", as on the case list page's form.
EMPTY_ALLOWED = frozenset({"q"})


def validated_query(request, query_class, filter_names=()) -> dict:
    """Check the query: 400 naming each unknown parameter or bad value.

    `query_class` validates its own fields (pages); `filter_names` are also allowed, validated
    by the filter set that reads them. An empty value is refused (but for free text): a
    `?status=` left by a script is a mistake to report, not a filter to drop silently.
    """
    fields = query_class().fields
    allowed = set(fields) | set(filter_names)
    unknown = sorted(set(request.query_params) - allowed)
    if unknown:
        message = _("Unknown parameter. Allowed: %(allowed)s.") % {
            "allowed": ", ".join(sorted(allowed))
        }
        raise ValidationError({name: [message] for name in unknown})
    empty = sorted(
        name
        for name, values in request.query_params.lists()
        if name not in EMPTY_ALLOWED and "" in values
    )
    if empty:
        message = _("This parameter is empty: give it a value, or leave it out.")
        raise ValidationError({name: [message] for name in empty})
    query = query_class(
        data={key: value for key, value in request.query_params.items() if key in fields}
    )
    query.is_valid(raise_exception=True)
    return query.validated_data


class PublicViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """A read-only public list and detail: pages of ApiPagination, JSON escaped for markup."""

    pagination_class = ApiPagination
    renderer_classes = [EscapedJSONRenderer]

    def page_of(self, rows):
        """The page the query asks for of `rows`, serialised, with the sources and terms."""
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


class NotFoundSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text=_("Why nothing was found."))


def not_found(description: str) -> OpenApiResponse:
    """A documented 404: every operation may answer it, always with this JSON body."""
    return OpenApiResponse(response=NotFoundSerializer, description=description)


PAGE_NOT_FOUND = not_found(_("The page asked for is past the last page."))
BAD_QUERY = OpenApiResponse(
    response=OpenApiTypes.OBJECT,
    description=_("A parameter is unknown, empty or invalid: its name holds the messages."),
)


def list_responses(serializer_class) -> dict:
    """A list's documented answers: a page of `serializer_class`, a bad query, a page too far."""
    return {200: serializer_class(many=True), 400: BAD_QUERY, 404: PAGE_NOT_FOUND}


def detail_responses(serializer_class, missing: str) -> dict:
    """One object's documented answers: it, a bad query, or 404 saying what `missing` means."""
    return {200: serializer_class, 400: BAD_QUERY, 404: not_found(missing)}


class CountryCodeField(serializers.ChoiceField):
    """An ISO 3166-1 alpha-2 code, in either letter case, for query serializers."""

    default_error_messages = {
        "invalid_choice": _('"{input}" is not an ISO 3166-1 alpha-2 country code (e.g. MX).')
    }

    def __init__(self, **kwargs):
        super().__init__(choices=list(countries), **kwargs)

    def to_internal_value(self, data):
        return super().to_internal_value(str(data).strip().upper())


# -- Case filters: cases.filters.CaseFilter, shared with the /cases/ page and its exports. ----


class DocumentedCaseFilter(CaseFilter):
    """CaseFilter as is, plus the type drf-spectacular cannot guess for vocabulary codes."""

    @extend_schema_field(OpenApiTypes.STR)
    def filter_medium(self, queryset, name, value):
        return super().filter_medium(queryset, name, value)

    @extend_schema_field(OpenApiTypes.STR)
    def filter_perpetrator(self, queryset, name, value):
        return super().filter_perpetrator(queryset, name, value)


# What django-filter cannot tell drf-spectacular: the country codes, that years are integers
# and their range, and the vocabularies' codes (data, so only their form is in the schema).
YEARS = {"type": "integer", "minimum": YEAR_FIRST, "maximum": YEAR_LAST}
VOCABULARY_CODES = {
    "type": "array",
    "items": {"type": "string", "minLength": 1, "maxLength": 100},
}
CASE_FILTER_PARAMETERS = [
    OpenApiParameter(
        "country",
        str,
        enum=[code for code, _name in countries],
        description=_("ISO 3166-1 alpha-2 country code, e.g. MX (either letter case)."),
    ),
    OpenApiParameter(
        "medium",
        VOCABULARY_CODES,
        explode=True,
        description=_(
            "Medium code, e.g. radio or print; repeat the parameter for several. An unknown "
            "code answers 400 with the codes allowed."
        ),
    ),
    OpenApiParameter(
        "perpetrator",
        VOCABULARY_CODES,
        explode=True,
        description=_(
            "Suspected perpetrator code, e.g. criminal_group; repeat the parameter for several. "
            "An unknown code answers 400 with the codes allowed."
        ),
    ),
    OpenApiParameter(
        "year_min",
        YEARS,
        description=_("Killed in this year or later (at most year_max, else 400)."),
    ),
    OpenApiParameter(
        "year_max",
        YEARS,
        description=_("Killed in this year or earlier (at least year_min, else 400)."),
    ),
    OpenApiParameter(
        "q",
        # Django's form fields refuse NUL characters (400): the schema says so.
        {"type": "string", "maxLength": SEARCH_MAX_LENGTH, "pattern": r"^[^\u0000]*$"},
        description=_(
            "Search names, places, outlets and summaries. All words are required; use quotes "
            'for a phrase, "or" between alternatives, a minus sign to exclude a word.'
        ),
    ),
]


# -- Serializers -----------------------------------------------------------------------------


class NullIfBlankChoiceField(serializers.ChoiceField):
    """A choice that may be unrecorded: `null` rather than an empty string."""

    def __init__(self, **kwargs):
        kwargs.setdefault("allow_null", True)
        kwargs.setdefault("read_only", True)
        super().__init__(**kwargs)

    def to_representation(self, value):
        return value or None


class IncidentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class CaseEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = CaseEvent
        fields = ["date", "date_precision", "kind", "description", "source_url", "source_title"]


class CaseSourceSerializer(serializers.ModelSerializer):
    class Meta:
        model = CaseSource
        fields = ["url", "title", "publisher", "published_on"]


class CaseSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField(help_text=_("The case's public page."))
    country = serializers.CharField(source="country.code", help_text=_("ISO 3166-1 alpha-2."))
    country_name = serializers.CharField(source="country.name")
    media = serializers.SlugRelatedField(many=True, read_only=True, slug_field="slug")
    impunity = NullIfBlankChoiceField(choices=[v for v in Case.Impunity.values if v])
    unesco_status = NullIfBlankChoiceField(choices=[v for v in Case.UnescoStatus.values if v])
    unresolved = serializers.BooleanField(source="is_unresolved")
    status = serializers.ChoiceField(
        source="status_key",
        choices=list(figures.STATUS_ORDER),
        help_text=_("The public status badge: unresolved, noinfo, partial or justice."),
    )
    incident = IncidentSerializer(allow_null=True)
    source_of_record = serializers.SerializerMethodField(
        help_text=_("The credit the case's source of record asks for (CPJ, UNESCO, or curated).")
    )

    class Meta:
        model = Case
        fields = list(API_FIELDS)
        read_only_fields = fields

    @extend_schema_field({"type": "array", "items": {"type": "string"}})
    def get_source_of_record(self, case) -> list[str]:
        return attribution.case_credits(case)

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, case) -> str:
        path = reverse("cases:detail", args=[case.country.code.lower(), case.slug])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path


class CaseDetailSerializer(CaseSerializer):
    events = CaseEventSerializer(many=True, read_only=True)
    sources = CaseSourceSerializer(many=True, read_only=True)
    terms = serializers.SerializerMethodField(help_text=_("Terms of the data."))

    class Meta(CaseSerializer.Meta):
        fields = [*CaseSerializer.Meta.fields, "summary", "events", "sources", "terms"]
        read_only_fields = fields

    def get_terms(self, case) -> str:
        return attribution.terms()


# -- Cases -----------------------------------------------------------------------------------


def published_cases(detail: bool = False):
    """Published cases with what the representation needs, in a fixed number of queries."""
    cases = (
        Case.objects.published()
        .select_related("incident")
        .prefetch_related(
            Prefetch("media", queryset=Medium.objects.only("slug")),
            Prefetch("external_ids", queryset=ExternalId.objects.only("case_id", "source")),
        )
        .order_by(*SORTS["newest"])
    )
    if detail:
        return cases.defer("search_vector").prefetch_related("events", "sources")
    return cases.defer("search_vector", "summary")


@extend_schema(tags=["cases"])
class CaseViewSet(PublicViewSet):
    """Published cases: one journalist or media worker killed, and where justice stands."""

    serializer_class = CaseSerializer
    # The same filters, names and meanings as the /cases/ page; invalid values answer 400.
    filter_backends = [DjangoFilterBackend]
    filterset_class = DocumentedCaseFilter
    lookup_value_regex = "[-a-zA-Z0-9_]+"
    lookup_url_kwarg = "id_or_slug"

    def get_queryset(self):
        return published_cases()

    @extend_schema(
        summary="List published cases",
        parameters=[PageQuery, *CASE_FILTER_PARAMETERS],
        responses=list_responses(CaseSerializer),
    )
    def list(self, request, *args, **kwargs):
        validated_query(request, PageQuery, filter_names=CaseFilter.base_filters)
        return self.page_of(self.filter_queryset(self.get_queryset()))

    @extend_schema(
        summary="One published case, with its judicial timeline and sources",
        responses=detail_responses(
            CaseDetailSerializer, _("No published case with this id or slug.")
        ),
    )
    def retrieve(self, request, *args, **kwargs):
        validated_query(request, serializers.Serializer)
        key = kwargs[self.lookup_url_kwarg]
        cases = published_cases(detail=True)
        # Ids are bigints: a longer run of digits can only be a slug.
        lookup = Q(slug=key) | Q(id=int(key)) if key.isdigit() and len(key) < 19 else Q(slug=key)
        # A slug made only of digits could equal another case's id: the slug wins.
        matches = sorted(cases.filter(lookup), key=lambda case: case.slug != key)
        if not matches:
            raise NotFound(_("No published case with this id or slug."))
        return Response(CaseDetailSerializer(matches[0], context={"request": request}).data)


# -- Countries -------------------------------------------------------------------------------


class CountrySerializer(serializers.Serializer):
    code = serializers.CharField(help_text=_("ISO 3166-1 alpha-2."))
    name = serializers.CharField()
    url = serializers.URLField(help_text=_("The country's public page."))
    cases_url = serializers.URLField(help_text=_("This country's cases in the API."))
    killed = serializers.IntegerField()
    unresolved = serializers.IntegerField()
    unresolved_percent = serializers.IntegerField()
    impunity = inline_serializer(
        "CountryImpunity",
        {
            "rank": serializers.IntegerField(),
            "unsolved_murders": serializers.IntegerField(),
            "per_million": serializers.FloatField(),
            "population": serializers.IntegerField(),
        },
        allow_null=True,
        help_text=_("CPJ-style impunity index; null when the country does not qualify."),
    )


class CountryDetailSerializer(CountrySerializer):
    per_year = inline_serializer(
        "CountryYear",
        {
            "year": serializers.IntegerField(),
            "total": serializers.IntegerField(),
            "by_status": serializers.DictField(child=serializers.IntegerField()),
        },
        many=True,
    )
    unesco_replies = serializers.DictField(
        child=serializers.IntegerField(),
        help_text=_("Cases per state's answer to UNESCO; not_recorded when none is recorded."),
    )
    population = inline_serializer(
        "CountryPopulation",
        {
            "people": serializers.IntegerField(),
            "year": serializers.IntegerField(),
            "source": serializers.CharField(),
        },
        allow_null=True,
    )
    impunity_method = serializers.CharField()
    sources = serializers.ListField(
        child=serializers.CharField(), help_text=_("The credit each source asks for.")
    )
    terms = serializers.CharField(help_text=_("Terms of the data."))


def percent_unresolved(killed: int, unresolved: int) -> dict:
    """As figures.totals() computes it for one country."""
    percent = round(100 * unresolved / killed) if killed else 0
    return {"killed": killed, "unresolved": unresolved, "unresolved_percent": percent}


def impunity_figures(row) -> dict | None:
    if row is None:
        return None
    return {
        "rank": row.rank,
        "unsolved_murders": row.unsolved_murders,
        "per_million": round(row.per_million, 3),
        "population": row.population,
    }


def country_links(request, code: str) -> dict:
    return {
        "code": code,
        "name": str(countries.name(code)),
        "url": request.build_absolute_uri(reverse("cases:country", args=[code.lower()])),
        "cases_url": request.build_absolute_uri(
            reverse("api:case-list") + f"?country={code.upper()}"
        ),
    }


@extend_schema(tags=["countries"])
class CountryViewSet(viewsets.ViewSet):
    """Every country with published cases, with its figures and CPJ-style impunity index."""

    pagination_class = ApiPagination
    renderer_classes = [EscapedJSONRenderer]
    serializer_class = CountrySerializer
    lookup_field = "code"
    lookup_value_regex = "[a-zA-Z]{2}"

    @extend_schema(
        summary="Countries with published cases, with their figures",
        parameters=[PageQuery],
        responses=list_responses(CountrySerializer),
    )
    def list(self, request):
        validated_query(request, PageQuery)
        ranking = {row.country: row for row in figures.impunity_index(datetime.date.today())}
        rows = [
            {
                **country_links(request, code),
                **percent_unresolved(summary["killed"], summary["unresolved"]),
                "impunity": impunity_figures(ranking.get(code)),
            }
            for code, summary in figures.country_summaries().items()
        ]
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(rows, request, view=self)
        return paginator.get_paginated_response(CountrySerializer(page, many=True).data)

    @extend_schema(
        summary="One country's full figures: per year by status, UNESCO replies, impunity",
        responses=detail_responses(
            CountryDetailSerializer,
            _("An unknown country code, or a country with no published case."),
        ),
    )
    def retrieve(self, request, code=None):
        validated_query(request, serializers.Serializer)
        code = code.upper()
        if code not in countries:
            raise NotFound(_("Unknown country code."))
        data = figures.country_figures(code, datetime.date.today())
        if not data["killed"]:
            raise NotFound(_("No published cases in this country."))
        population = data["population"]
        result = {
            **country_links(request, code),
            "killed": data["killed"],
            "unresolved": data["unresolved"],
            "unresolved_percent": data["unresolved_percent"],
            "impunity": impunity_figures(data["impunity"]),
            "per_year": [
                {
                    "year": row.key,
                    "total": row.total,
                    "by_status": {s: row.by_status.get(s, 0) for s in figures.STATUS_ORDER},
                }
                for row in data["per_year"]
            ],
            "unesco_replies": {
                (status or "not_recorded"): n for status, n in data["unesco_replies"].items()
            },
            "population": population
            and {
                "people": population.people,
                "year": population.year,
                "source": str(figures.POPULATION_SOURCE),
            },
            "impunity_method": str(data["impunity_method"]),
            **attribution.about_the_data(code),
        }
        return Response(CountryDetailSerializer(result).data)
