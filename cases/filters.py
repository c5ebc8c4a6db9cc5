"""Filters for the public case list, its exports and the API: one FilterSet, one set of names.

Query parameters (stable, the API documents them): `country` (ISO code), `year_min`,
`year_max`, `status` (justice, partial, noinfo, unresolved), `impunity`, `unesco`,
`type_of_death`, `unresolved` (true/false), `medium` and `perpetrator` (vocabulary codes),
`gender`, `origin`, `q` (search) and `sort` (newest, oldest, name, country). Multi-valued ones
take the parameter more than once (`?status=unresolved&status=noinfo`). A value that is not
allowed is a form error naming the parameter: the page shows it, the API answers 400.
"""

import django_filters
from django import forms
from django.db import connection
from django.db.models import F, Q
from django.forms.renderers import TemplatesSetting
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from idei.collation import sort_key

from .figures import STATUS_FILTERS, STATUS_ORDER, vocabulary_choices
from .models import STATUS_LABELS, Case, Medium, Perpetrator
from .search import search_cases

YEAR_FIRST, YEAR_LAST = 1900, 2100
SEARCH_MAX_LENGTH = 200

SORTS = {
    "newest": (F("date_of_death").desc(nulls_last=True), "sort_name", "id"),
    "oldest": (F("date_of_death").asc(nulls_last=True), "sort_name", "id"),
    "name": ("sort_name", "id"),
    "country": ("country", F("date_of_death").desc(nulls_last=True), "id"),
}
SORT_CHOICES = [
    ("newest", _("Newest first")),
    ("oldest", _("Oldest first")),
    ("name", _("Name")),
    ("country", _("Country")),
]
BOOLEAN_CHOICES = [("true", _("Yes")), ("false", _("No"))]


class AnyOrSomeSelect(forms.Select):
    """A single <select> with an "Any" choice that still reads `?medium=a&medium=b` from URLs."""

    any_label = _("Any")

    def use_required_attribute(self, initial):
        # Never required; and Select's own check would iterate the choices: one more query.
        return False

    def value_from_datadict(self, data, files, name):
        values = data.getlist(name) if hasattr(data, "getlist") else [data.get(name)]
        return [value for value in values if value not in (None, "")]

    def optgroups(self, name, value, attrs=None):
        groups = super().optgroups(name, value, attrs)
        selected = not any(v for v in value)
        option = self.create_option(name, "", self.any_label, selected, 0, attrs=attrs)
        return [(None, [option], 0), *groups]


class CountryCodeField(forms.CharField):
    """An ISO 3166 alpha-2 code in any letter case, normalised to upper case."""

    default_error_messages = {
        "unknown": _("“%(value)s” is not a country code we know (use a two-letter ISO code)."),
    }

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return ""
        code = value.strip().upper()
        if code not in countries:
            raise forms.ValidationError(
                self.error_messages["unknown"], code="unknown", params={"value": value[:20]}
            )
        return code


class YearFilter(django_filters.NumberFilter):
    field_class = forms.IntegerField


class CountryFilter(django_filters.CharFilter):
    field_class = CountryCodeField


class CaseFilterForm(forms.Form):
    # Widgets rendered through TEMPLATES, which finds templates/cases/widgets/.
    default_renderer = TemplatesSetting

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Bootstrap's classes here rather than in the template, so every field is styled alike.
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxSelectMultiple):
                widget.attrs.setdefault("class", "form-check-input")
            elif isinstance(widget, forms.Select):
                widget.attrs.setdefault("class", "form-select")
                widget.template_name = "cases/widgets/select.html"  # options without includes
            else:
                widget.attrs.setdefault("class", "form-control")

    def full_clean(self):
        super().full_clean()
        # Fields in error say so to assistive technology, pointing at their message.
        for name in self.errors:
            if name in self.fields:
                self.fields[name].widget.attrs.update(
                    {"aria-invalid": "true", "aria-describedby": f"{name}-error"}
                )

    def clean(self):
        cleaned = super().clean()
        year_min, year_max = cleaned.get("year_min"), cleaned.get("year_max")
        if year_min is not None and year_max is not None and year_min > year_max:
            self.add_error(
                "year_max",
                forms.ValidationError(
                    _("The end year (%(end)s) is before the start year (%(start)s)."),
                    code="year_order",
                    params={"start": year_min, "end": year_max},
                ),
            )
        return cleaned


def labelled(model, choices):
    """(slug, name) pairs as the reader reads them: translated terms, sorted in their language."""
    return sorted(
        ((slug, model.label(slug, name)) for slug, name in choices),
        key=lambda choice: sort_key(choice[1]),
    )


def medium_choices():
    # Vocabularies change rarely; cached so that the form costs no query per page view.
    return labelled(Medium, vocabulary_choices(Medium))


def perpetrator_choices():
    return labelled(Perpetrator, vocabulary_choices(Perpetrator))


def multiple(choices, label, **kwargs):
    # distinct=False: these filter columns of the case itself, which no join can repeat, and a
    # DISTINCT would keep PostgreSQL from reading the newest-first indexes (a sort of every match).
    return django_filters.MultipleChoiceFilter(
        choices=choices, label=label, widget=AnyOrSomeSelect, distinct=False, **kwargs
    )


class CaseFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        method="filter_search",
        label=_("Search names, places, outlets and summaries"),
        max_length=SEARCH_MAX_LENGTH,
    )
    country = CountryFilter(field_name="country", label=_("Country"), widget=forms.Select)
    year_min = YearFilter(
        field_name="year",
        lookup_expr="gte",
        label=_("From year"),
        min_value=YEAR_FIRST,
        max_value=YEAR_LAST,
    )
    year_max = YearFilter(
        field_name="year",
        lookup_expr="lte",
        label=_("To year"),
        min_value=YEAR_FIRST,
        max_value=YEAR_LAST,
    )
    status = django_filters.MultipleChoiceFilter(
        choices=[(key, STATUS_LABELS[key]) for key in STATUS_ORDER],
        label=_("Judicial status"),
        method="filter_status",
        widget=forms.CheckboxSelectMultiple,
    )
    impunity = multiple(Case.Impunity.choices[1:], _("Impunity (CPJ)"), field_name="impunity")
    unesco = multiple(
        Case.UnescoStatus.choices[1:],
        _("State's answer to UNESCO"),
        field_name="unesco_status",
    )
    unresolved = django_filters.ChoiceFilter(
        choices=BOOLEAN_CHOICES,
        label=_("Counted as unresolved"),
        method="filter_unresolved",
        empty_label=_("Any"),
    )
    type_of_death = multiple(Case.TypeOfDeath.choices, _("Type of death"))
    medium = django_filters.MultipleChoiceFilter(
        choices=medium_choices,
        label=_("Medium"),
        method="filter_medium",
        widget=AnyOrSomeSelect,
    )
    perpetrator = django_filters.MultipleChoiceFilter(
        choices=perpetrator_choices,
        label=_("Suspected perpetrator"),
        method="filter_perpetrator",
        widget=AnyOrSomeSelect,
    )
    gender = multiple(Case.Gender.choices, _("Gender"))
    origin = multiple(Case.Origin.choices, _("Local or foreign"))
    sort = django_filters.ChoiceFilter(
        choices=SORT_CHOICES,
        label=_("Sort by"),
        method="filter_sort",
        empty_label=None,
    )

    class Meta:
        model = Case
        fields: list[str] = []
        form = CaseFilterForm

    def __init__(self, *args, broad_search: bool = False, **kwargs):
        # A broad search (more than search.BROAD_SEARCH matches) is listed newest first; the
        # case list sets it when its bounded count says so, and only without a `sort`.
        self.broad_search = broad_search
        super().__init__(*args, **kwargs)

    @property
    def ranks_by_relevance(self) -> bool:
        """Whether the list is ordered by rank: a search without a sort, on PostgreSQL."""
        if connection.vendor != "postgresql" or not self.is_bound:
            return False
        self.form.is_valid()  # cleans the form: cleaned_data holds its valid fields
        data = self.form.cleaned_data
        return bool(data.get("q", "").strip()) and not data.get("sort")

    def filter_search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return search_cases(queryset, value, broad=self.broad_search)

    def filter_status(self, queryset, name, value):
        if not value:
            return queryset
        condition = Q()
        for key in value:
            condition |= STATUS_FILTERS[key]
        return queryset.filter(condition)

    def filter_unresolved(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(is_unresolved=value == "true")

    def filter_medium(self, queryset, name, value):
        # A subquery rather than a join, so that no DISTINCT is needed over 20,000 rows.
        if not value:
            return queryset
        through = Case.media.through.objects.filter(medium__slug__in=value)
        return queryset.filter(id__in=through.values("case_id"))

    def filter_perpetrator(self, queryset, name, value):
        if not value:
            return queryset
        through = Case.perpetrators.through.objects.filter(perpetrator__slug__in=value)
        return queryset.filter(id__in=through.values("case_id"))

    def filter_sort(self, queryset, name, value):
        return queryset  # applied last, in filter_queryset, because it also sets the default

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        sort = self.form.cleaned_data.get("sort") if self.is_bound else ""
        searching = self.is_bound and self.form.cleaned_data.get("q", "").strip()
        if not sort and searching and connection.vendor == "postgresql" and not self.broad_search:
            return queryset.order_by("-rank", *SORTS["newest"])
        return queryset.order_by(*SORTS[sort or "newest"])

    @property
    def active_filters(self) -> dict[str, str | list[str]]:
        """The filters that were applied, for an export's provenance line."""
        active: dict[str, str | list[str]] = {}
        for name, value in self.form.cleaned_data.items():
            if isinstance(value, list | tuple):
                value = [str(item) for item in value]
            elif value is not None:
                value = str(value)
            if value:
                active[name] = value
        return active
