"""Admin for the people who curate the case database every day.

Imports go through cases.importers (the same logic as `manage.py import_cases`): upload, a dry
run shown as a preview, then confirm. Exports write IDEI's native format, so that an export can
be edited and imported back.
"""

import datetime
import io
import time

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.admin.options import IncorrectLookupParameters
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django_countries import countries
from django_countries.filters import CountryFilter

from idei.csv_export import csv_lines, csv_response

from . import import_jobs
from .fields import CIRCUMSTANCES, WHO
from .importers import (
    ERROR,
    MAX_FILE_BYTES,
    NEW,
    OUTCOMES,
    REJECTED,
    REVIEW,
    STRAY_VALUE,
    UNCHANGED,
    UNKNOWN_VALUE,
    UPDATED,
    ImportRefused,
    file_too_large_message,
    get_format,
)
from .importers import review as review_queue
from .importers.native import export_rows
from .importers.reading import read_table
from .models import (
    Beat,
    Case,
    CaseEvent,
    CaseSource,
    CountryAlias,
    ExternalId,
    ImportRun,
    Incident,
    Medium,
    Perpetrator,
    ReviewItem,
    ValueAlias,
    compute_unresolved,
)
from .tasks import start_import

# -- Vocabularies, incidents, aliases -------------------------------------------------------


class VocabularyAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


admin.site.register(Medium, VocabularyAdmin)
admin.site.register(Beat, VocabularyAdmin)
admin.site.register(Perpetrator, VocabularyAdmin)


@admin.register(Incident)
class IncidentAdmin(admin.ModelAdmin):
    list_display = ["name", "date", "country"]
    list_filter = [("country", CountryFilter)]
    search_fields = ["name", "description"]
    date_hierarchy = "date"


@admin.register(CountryAlias)
class CountryAliasAdmin(admin.ModelAdmin):
    list_display = ["name", "country", "note"]
    list_editable = ["country"]
    list_filter = [("country", CountryFilter)]
    search_fields = ["name", "note"]


class DecidedFilter(admin.SimpleListFilter):
    """Waiting or decided: a row is waiting while it matches `waiting` (a filter's keywords)."""

    title = gettext_lazy("decided")
    parameter_name = "decided"
    waiting: dict = {}

    def lookups(self, request, model_admin):
        return [("no", _("Waiting")), ("yes", _("Decided"))]

    def queryset(self, request, queryset):
        if self.value() == "no":
            return queryset.filter(**self.waiting)
        if self.value() == "yes":
            return queryset.exclude(**self.waiting)
        return queryset


class ValueAliasDecidedFilter(DecidedFilter):
    waiting = {"value": ""}


@admin.register(ValueAlias)
class ValueAliasAdmin(admin.ModelAdmin):
    """Variants of one value ("Freelancer" → freelance), managed like country aliases."""

    list_display = ["field", "name", "value", "note"]
    list_editable = ["value"]
    list_filter = [ValueAliasDecidedFilter, "field"]
    search_fields = ["name", "value", "note"]


# -- Cases ------------------------------------------------------------------------------------


# Sources are web pages today: a URL typed without a scheme means https.
URL_FIELDS = {models.URLField: {"assume_scheme": "https"}}


class CaseEventForm(forms.ModelForm):
    """A judicial event on one row of a 1280-pixel screen: compact fields that wrap."""

    class Meta:
        model = CaseEvent
        fields = ["date", "date_precision", "kind", "description", "source_url", "source_title"]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3, "cols": 36}),
            "source_url": forms.URLInput(attrs={"size": 22}),
            "source_title": forms.TextInput(attrs={"size": 18}),
            "date": forms.DateInput(attrs={"size": 10}),
        }


class CaseEventInline(admin.TabularInline):
    model = CaseEvent
    form = CaseEventForm
    extra = 0
    formfield_overrides = URL_FIELDS
    fields = ["date", "date_precision", "kind", "description", "source_url", "source_title"]


class CaseSourceInline(admin.TabularInline):
    model = CaseSource
    extra = 0
    formfield_overrides = URL_FIELDS


class ExternalIdInline(admin.TabularInline):
    """Identifiers in outside data sets, set by imports: where a case came from."""

    model = ExternalId
    extra = 0
    fields = readonly_fields = ["source", "value"]
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ImpunityForm(forms.Form):
    impunity = forms.ChoiceField(
        label=gettext_lazy("Impunity (CPJ)"), choices=Case.Impunity.choices, required=False
    )


class UnescoStatusForm(forms.Form):
    unesco_status = forms.ChoiceField(
        label=gettext_lazy("Judicial inquiry (state's answer to UNESCO)"),
        choices=Case.UnescoStatus.choices,
        required=False,
    )


class ImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("File"),
        help_text=gettext_lazy(
            "CSV (UTF-8, comma or semicolon separated) or XLSX, at most 50 MB. "
            "The columns of each format are described in docs/importing.md."
        ),
    )
    format = forms.ChoiceField(label=gettext_lazy("Format"), choices=ImportRun.Format.choices)
    publish = forms.BooleanField(
        label=gettext_lazy("Publish new cases at once"),
        required=False,
        help_text=gettext_lazy("Otherwise they stay unpublished until someone has reviewed them."),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_FILE_BYTES:
            raise forms.ValidationError(file_too_large_message(upload.size))
        return upload


class ConfirmImportForm(forms.Form):
    token = forms.CharField(widget=forms.HiddenInput)


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin):
    # The key columns fit a 1280-pixel screen; the judicial status in words, as the public
    # badge says it (a green tick for "unresolved" read as good news).
    list_display = [
        "full_name",
        "country",
        "year",
        "judicial_status",
        "cpj_status",
        "unesco_answer",
        "is_published",
    ]
    list_filter = [
        ("country", CountryFilter),
        "year",
        "impunity",
        "unesco_status",
        "is_unresolved",
        "type_of_death",
        "media",
        "gender",
        "is_published",
    ]
    search_fields = ["full_name", "sort_name", "place", "outlets"]
    date_hierarchy = "date_of_death"
    list_select_related = ["incident"]
    list_per_page = 50
    show_full_result_count = False  # one COUNT fewer on a 20,000-case table
    autocomplete_fields = ["incident"]
    filter_horizontal = ["media", "beats", "perpetrators"]
    readonly_fields = ["judicial_status", "created_at", "updated_at", "raw_values"]
    prepopulated_fields = {"slug": ["full_name"]}
    inlines = [CaseEventInline, CaseSourceInline, ExternalIdInline]
    actions = ["publish", "unpublish", "set_impunity", "set_unesco_status"]
    fieldsets = [
        (None, {"fields": ["full_name", "sort_name", "slug", "incident", "summary"]}),
        (
            gettext_lazy("Who"),
            {"fields": list(WHO)},
        ),
        (
            gettext_lazy("What happened"),
            {
                "fields": [
                    "date_of_death",
                    "date_precision",
                    "year",
                    "country",
                    "place",
                    *CIRCUMSTANCES,
                ]
            },
        ),
        (
            gettext_lazy("Justice"),
            {"fields": ["impunity", "unesco_status", "resolved_on", "judicial_status"]},
        ),
        (
            gettext_lazy("Publication"),
            {
                "fields": [
                    "is_published",
                    "last_reviewed",
                    "created_at",
                    "updated_at",
                    "raw_values",
                ]
            },
        ),
    ]

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("import/", wrap(self.import_view), name="cases_case_import"),
            path(
                "import/confirm/", wrap(self.import_confirm_view), name="cases_case_import_confirm"
            ),
            path(
                "import/job/<str:job_id>/",
                wrap(self.import_job_view),
                name="cases_case_import_job",
            ),
            path("export/<str:kind>/", wrap(self.export_view), name="cases_case_export"),
            *super().get_urls(),
        ]

    # -- Bulk actions ---------------------------------------------------------------------

    class Media:
        # The list's key columns and a case's judicial events fit a 1280-pixel screen.
        css = {"all": ["css/admin-cases.css"]}

    # Short headers for the two vocabularies: the list's columns fit beside the filters.
    @admin.display(description=gettext_lazy("CPJ"), ordering="impunity")
    def cpj_status(self, case):
        return case.get_impunity_display()

    @admin.display(description=gettext_lazy("UNESCO"), ordering="unesco_status")
    def unesco_answer(self, case):
        return case.get_unesco_status_display()

    @admin.display(description=gettext_lazy("Judicial status"), ordering="is_unresolved")
    def judicial_status(self, case):
        """In words, as the public status badge says it (Case.status_label)."""
        return case.status_label if case.pk else "–"

    @admin.action(description=gettext_lazy("Publish the selected cases"), permissions=["change"])
    def publish(self, request, queryset):
        self.set_published(request, queryset, True)

    @admin.action(description=gettext_lazy("Unpublish the selected cases"), permissions=["change"])
    def unpublish(self, request, queryset):
        self.set_published(request, queryset, False)

    def set_published(self, request, queryset, value: bool):
        changing = queryset.exclude(is_published=value)
        ids = list(changing.values_list("pk", flat=True))
        Case.objects.filter(pk__in=ids).update(is_published=value, updated_at=timezone.now())
        message = _("Published.") if value else _("Unpublished.")
        LogEntry.objects.log_actions(
            request.user.pk, Case.objects.filter(pk__in=ids), CHANGE, message
        )
        self.message_user(
            request,
            ngettext("%(count)d case changed.", "%(count)d cases changed.", len(ids))
            % {"count": len(ids)},
            messages.SUCCESS,
        )

    @admin.action(
        description=gettext_lazy("Change the impunity status (CPJ)…"), permissions=["change"]
    )
    def set_impunity(self, request, queryset):
        return self.set_status(request, queryset, "impunity", ImpunityForm, "set_impunity")

    @admin.action(
        description=gettext_lazy("Change the state's answer to UNESCO…"), permissions=["change"]
    )
    def set_unesco_status(self, request, queryset):
        return self.set_status(
            request, queryset, "unesco_status", UnescoStatusForm, "set_unesco_status"
        )

    def set_status(self, request, queryset, field_name: str, form_class, action: str):
        """An intermediate page asks for the new status; confirming applies it and logs it."""
        form = form_class(request.POST if "apply" in request.POST else None)
        if not form.is_valid():
            return TemplateResponse(
                request,
                "admin/cases/case/set_status.html",
                {
                    **self.admin_site.each_context(request),
                    "opts": self.model._meta,
                    "title": _("Change the status of %(count)d cases")
                    % {"count": queryset.count()},
                    "form": form,
                    "cases": queryset.select_related(None).only("full_name", "country")[:100],
                    "count": queryset.count(),
                    "selected": queryset.values_list("pk", flat=True),
                    "action": action,
                    "field_label": Case._meta.get_field(field_name).verbose_name,
                },
            )
        value = form.cleaned_data[field_name]
        label = dict(Case._meta.get_field(field_name).choices).get(value, value)
        cases = list(queryset.exclude(**{field_name: value}))
        now = timezone.now()
        for case in cases:
            setattr(case, field_name, value)
            # bulk_update() skips save(): keep the public "unresolved" flag by the model's rule.
            case.is_unresolved = compute_unresolved(case.impunity, case.unesco_status)
            case.updated_at = now
        Case.objects.bulk_update(cases, [field_name, "is_unresolved", "updated_at"], batch_size=500)
        field_label = Case._meta.get_field(field_name).verbose_name
        LogEntry.objects.log_actions(
            request.user.pk,
            Case.objects.filter(pk__in=[c.pk for c in cases]),
            CHANGE,
            _("%(field)s set to “%(value)s”.") % {"field": field_label, "value": label},
        )
        self.message_user(
            request,
            ngettext("%(count)d case changed.", "%(count)d cases changed.", len(cases))
            % {"count": len(cases)},
            messages.SUCCESS,
        )
        return None

    # -- Export ---------------------------------------------------------------------------

    def export_view(self, request, kind: str):
        """The changelist as filtered, in the native format (CSV or XLSX)."""
        if request.method != "GET":
            return HttpResponse(status=405, headers={"Allow": "GET"})
        if not self.has_view_permission(request):
            raise PermissionDenied
        if kind not in {"csv", "xlsx"}:
            return HttpResponse(status=404)
        try:
            changelist = self.get_changelist_instance(request)
        except IncorrectLookupParameters:
            return redirect("admin:cases_case_changelist")
        cases = changelist.get_queryset(request).order_by("pk")
        filename = f"idei-cases-{datetime.date.today().isoformat()}.{kind}"
        if kind == "csv":
            return csv_response(csv_lines(export_rows(cases)), filename)
        response = HttpResponse(
            xlsx_bytes(export_rows(cases)),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response

    # -- Import: upload → preview (dry run) → confirm ------------------------------------------

    def check_import_permission(self, request):
        if not (self.has_add_permission(request) and self.has_change_permission(request)):
            raise PermissionDenied

    def import_view(self, request):
        """Upload: a sound file is kept and its preview (a dry run) starts as a Celery task."""
        if request.method not in {"GET", "POST"}:
            return HttpResponse(status=405, headers={"Allow": "GET, POST"})
        self.check_import_permission(request)
        form = ImportForm(request.POST or None, request.FILES or None)
        context = {**self.admin_site.each_context(request), "opts": self.model._meta}
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            data = upload.read()
            try:
                # Refuse an unsound file at once, with the reason, before any task runs.
                get_format(form.cleaned_data["format"]).map_header(read_table(data).header)
            except ImportRefused as refusal:
                form.add_error("file", str(refusal))
            else:
                token = import_jobs.keep_upload(data, request.user, upload.name, form.cleaned_data)
                job_id = start_import(request.user, token, dry_run=True)
                return redirect("admin:cases_case_import_job", job_id)
        return TemplateResponse(
            request,
            "admin/cases/case/import.html",
            {**context, "title": _("Import cases"), "form": form},
        )

    def import_confirm_view(self, request):
        if request.method != "POST":
            return HttpResponse(status=405, headers={"Allow": "POST"})
        self.check_import_permission(request)
        form = ConfirmImportForm(request.POST)
        try:
            if not form.is_valid():
                raise signing.BadSignature
            token = form.cleaned_data["token"]
            import_jobs.claim_upload(token, request.user.pk)
        except (signing.BadSignature, FileNotFoundError):
            self.message_user(
                request,
                _("This preview has expired or was already applied. Upload the file again."),
                messages.ERROR,
            )
            return redirect("admin:cases_case_import")
        job_id = start_import(request.user, token, dry_run=False)
        return redirect("admin:cases_case_import_job", job_id)

    def import_job_view(self, request, job_id: str):
        """Progress while the task runs; then the preview, or the import run's report."""
        if request.method != "GET":
            return HttpResponse(status=405, headers={"Allow": "GET"})
        self.check_import_permission(request)
        job = import_jobs.job_for(job_id, request.user)
        if job is None:
            raise Http404(_("No such import, or it has expired."))
        context = {**self.admin_site.each_context(request), "opts": self.model._meta, "job": job}
        if job["state"] == import_jobs.DONE and job["run_id"]:
            counts = job["counts"]
            self.message_user(
                request,
                _(
                    "Imported: %(new)s new, %(updated)s updated, %(unchanged)s unchanged, "
                    "%(review)s waiting for review, %(error)s errors."
                )
                % counts,
                messages.SUCCESS,
            )
            return redirect("admin:cases_importrun_change", job["run_id"])
        if job["state"] == import_jobs.DONE:
            return TemplateResponse(
                request,
                "admin/cases/case/import_preview.html",
                {
                    **context,
                    "title": _("Preview of the import"),
                    "report": job,
                    "sections": job["sections"],
                    "warnings": warnings_html(job["warnings"]),
                    "confirm_form": ConfirmImportForm(initial={"token": job["token"]}),
                    "file_name": job["file_name"],
                },
            )
        return TemplateResponse(
            request,
            "admin/cases/case/import_progress.html",
            {**context, "title": _("Import in progress"), **progress_figures(job)},
        )


def progress_figures(job: dict) -> dict:
    """Rows done, rate and time left, for the progress page."""
    done, total = job.get("done", 0), job.get("total", 0)
    elapsed = time.time() - job.get("started", time.time())
    rate = done / elapsed if elapsed > 0 and done else 0
    return {
        "done": done,
        "total": total,
        "stage": job.get("stage", ""),
        "rate": round(rate),
        "seconds_left": round((total - done) / rate) if rate else None,
    }


def xlsx_bytes(rows) -> bytes:
    """A workbook in which every cell is text: nothing is ever evaluated as a formula."""
    # Imported here: only workbook downloads pay for openpyxl (as only uploads do, reading.py).
    import openpyxl
    from openpyxl.cell import WriteOnlyCell

    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Cases"))
    for row in rows:
        cells = []
        for value in row:
            cell = WriteOnlyCell(sheet, value=value)
            cell.data_type = "s"
            cells.append(cell)
        sheet.append(cells)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# -- Import runs and the review queue --------------------------------------------------------


@admin.register(ImportRun)
class ImportRunAdmin(admin.ModelAdmin):
    """Read-only: what each import did, row by row, with links to the cases."""

    list_display = ["__str__", "format", "started_by", "started_at", "summary", "publish"]
    list_filter = ["format", "publish"]
    list_select_related = ["started_by"]
    fields = readonly_fields = [
        "format",
        "file_name",
        "started_by",
        "started_at",
        "finished_at",
        "publish",
        "summary",
        "warnings_table",
        "report_table",
    ]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=gettext_lazy("Summary"))
    def summary(self, run):
        counts = run.counts or {}
        labels = {
            NEW: _("new"),
            UPDATED: _("updated"),
            UNCHANGED: _("unchanged"),
            REVIEW: _("waiting for review"),
            REJECTED: _("rejected earlier"),
            ERROR: _("errors"),
        }
        parts = [f"{counts.get(key, 0)} {labels[key]}" for key in OUTCOMES]
        parts.append(_("%(count)s blank rows skipped") % {"count": counts.get("blank", 0)})
        parts.append(_("%(count)s warnings") % {"count": counts.get("warnings", 0)})
        return ", ".join(parts)

    @admin.display(description=gettext_lazy("Warnings"))
    def warnings_table(self, run):
        return warnings_html(run.warnings)

    @admin.display(description=gettext_lazy("Report"))
    def report_table(self, run):
        if not run.report:
            return "—"
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    line.get("line", ""),
                    line.get("outcome", ""),
                    case_link(line.get("case"), line.get("name", "")),
                    describe_line(line),
                )
                for line in run.report
            ),
        )
        return format_html(
            '<table><thead><tr><th scope="col">{}</th><th scope="col">{}</th>'
            '<th scope="col">{}</th><th scope="col">{}</th></tr></thead><tbody>{}</tbody></table>',
            _("Line"),
            _("Outcome"),
            _("Case"),
            _("What happened"),
            rows,
        )


def warnings_html(warnings: list[dict]):
    """Warnings by column and value: what was imported as written, what was skipped as blank."""
    if not warnings:
        return "—"
    kinds = {
        UNKNOWN_VALUE: _("unknown value, imported and kept as written"),
        STRAY_VALUE: _("stray value in a blank row, row skipped"),
    }
    return format_html(
        '<table><thead><tr><th scope="col">{}</th><th scope="col">{}</th><th scope="col">{}</th>'
        '<th scope="col">{}</th><th scope="col">{}</th></tr></thead><tbody>{}</tbody></table>',
        _("Column"),
        _("Value"),
        _("What happened"),
        _("Rows"),
        _("Lines"),
        format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    w["column"],
                    w["value"],
                    kinds.get(w["kind"], w["kind"]),
                    w["count"],
                    ", ".join(str(line) for line in w["lines"]),
                )
                for w in warnings
            ),
        ),
    )


def case_link(case_id, name: str):
    if not case_id:
        return name
    return format_html(
        '<a href="{}">{}</a>', reverse("admin:cases_case_change", args=[case_id]), name or case_id
    )


def describe_line(line: dict) -> str:
    parts = [line.get("message", "")] if line.get("message") else []
    parts += [
        f"{change['label']}: “{change['old']}” → “{change['new']}”"
        for change in line.get("changes", [])
    ]
    return "; ".join(parts)


class ResolvedFilter(DecidedFilter):
    waiting = {"resolved_at": None}


class CountryDecisionForm(forms.Form):
    country = forms.ChoiceField(label=gettext_lazy("Country"), choices=lambda: list(countries))
    remember = forms.BooleanField(
        label=gettext_lazy("Remember this country for this name in future imports"),
        required=False,
        help_text=gettext_lazy(
            "Leave unticked for names such as Yugoslavia, where the country depends on the case."
        ),
    )


@admin.register(ReviewItem)
class ReviewItemAdmin(admin.ModelAdmin):
    """The review queue: rows an import could not decide alone."""

    list_display = [
        "kind",
        "message",
        "line",
        "run",
        "case",
        "updated_at",
        "decision",
        "resolved_at",
    ]
    list_filter = [ResolvedFilter, "kind", "decision"]
    list_select_related = ["run", "case"]
    search_fields = ["message", "person_key"]
    fields = readonly_fields = [
        "kind",
        "message",
        "run",
        "line",
        "case",
        "side_by_side_table",
        "raw_table",
        "created_at",
        "updated_at",
        "decision",
        "resolved_at",
        "resolved_by",
    ]
    actions = ["resolve", "reapply", "decide_country", "apply_to_suggested_case", "import_as_new"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_actions(self, request):
        # The actions change cases, so they need the right to change cases, not review items.
        actions = super().get_actions(request)
        if not request.user.has_perm("cases.change_case"):
            return {}
        return actions

    @admin.display(description=gettext_lazy("Row as imported"))
    def raw_table(self, item):
        return format_html(
            "<table><tbody>{}</tbody></table>",
            format_html_join(
                "",
                '<tr><th scope="row">{}</th><td>{}</td></tr>',
                ((key, value) for key, value in (item.raw or {}).items() if value),
            ),
        )

    @admin.display(description=gettext_lazy("The case and this row, side by side"))
    def side_by_side_table(self, item):
        lines = review_queue.side_by_side(item)
        if not lines:
            return "—"
        return format_html(
            '<table><thead><tr><th scope="col">{}</th><th scope="col">{}</th>'
            '<th scope="col">{}</th></tr></thead><tbody>{}</tbody></table>',
            _("Field"),
            _("Case now"),
            _("This row"),
            format_html_join(
                "",
                '<tr><th scope="row">{}</th><td>{}</td><td>{}</td></tr>',
                (
                    (
                        label,
                        ours,
                        theirs if ours == theirs else format_html("<mark>{}</mark>", theirs),
                    )
                    for label, ours, theirs in lines
                ),
            ),
        )

    @admin.action(description=gettext_lazy("Reject (import nothing, now or in later imports)"))
    def resolve(self, request, queryset):
        count = review_queue.resolve(list(queryset), request.user)
        self.message_user(request, _("%(count)d items rejected.") % {"count": count})

    @admin.action(description=gettext_lazy("Import again (after setting a country alias)"))
    def reapply(self, request, queryset):
        self.report(request, review_queue.reapply(list(queryset), request.user))

    @admin.action(description=gettext_lazy("Same person: update the suggested case"))
    def apply_to_suggested_case(self, request, queryset):
        items = list(queryset.exclude(case=None))
        self.report(request, review_queue.reapply(items, request.user, mode=review_queue.MATCH))

    @admin.action(description=gettext_lazy("Different person: import as a new case"))
    def import_as_new(self, request, queryset):
        items = list(queryset)
        self.report(request, review_queue.reapply(items, request.user, mode=review_queue.NEW_CASE))

    @admin.action(description=gettext_lazy("Choose the country and import…"))
    def decide_country(self, request, queryset):
        form = CountryDecisionForm(request.POST if "apply" in request.POST else None)
        if not form.is_valid():
            return TemplateResponse(
                request,
                "admin/cases/reviewitem/decide_country.html",
                {
                    **self.admin_site.each_context(request),
                    "opts": self.model._meta,
                    "title": _("Choose the country"),
                    "form": form,
                    "items": queryset[:100],
                    "selected": queryset.values_list("pk", flat=True),
                },
            )
        results = review_queue.reapply(
            list(queryset),
            request.user,
            country=form.cleaned_data["country"],
            remember=form.cleaned_data["remember"],
        )
        self.report(request, results)
        return None

    def report(self, request, results: dict):
        self.message_user(
            request,
            _(
                "%(applied)s imported, %(still_waiting)s still waiting, "
                "%(skipped)s skipped (already decided or no longer importable)."
            )
            % results,
            messages.SUCCESS if results["applied"] else messages.WARNING,
        )
