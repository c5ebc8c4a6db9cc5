"""The outbox in Django admin: what was sent, what waits, what failed, and the suppression list.

A message is a record of what was sent: it is never edited, only retried or cancelled (with
the change permission). Lists never show e-mail addresses (an admin list is often seen over
someone's shoulder): the recipient's domain at most.
"""

from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import Count, Value
from django.db.models.functions import Lower, StrIndex, Substr
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from idei.admin import ReadOnlyAdmin

from . import services, suppression
from .models import KIND_LABELS, OutgoingMessage, Suppression

Status = OutgoingMessage.Status


class KindFilter(admin.SimpleListFilter):
    """Filter by kind, named as the app that queues it names it (see register_kinds)."""

    title = _("kind")
    parameter_name = "kind__exact"

    def lookups(self, request, model_admin):
        return sorted(KIND_LABELS.items(), key=lambda item: str(item[1]))

    def queryset(self, request, queryset):
        return queryset.filter(kind=self.value()) if self.value() else queryset


def _domain():
    return Lower(Substr("to_email", StrIndex("to_email", Value("@")) + 1))


class DomainFilter(admin.SimpleListFilter):
    """The recipient's domain: the busiest among unsent messages, or any as ?domain=..."""

    title = _("recipient domain")
    parameter_name = "domain"
    SHOWN = 15

    def lookups(self, request, model_admin):
        busiest = (
            OutgoingMessage.objects.filter(
                status__in=[Status.QUEUED, Status.SENDING, Status.FAILED]
            )
            .annotate(domain=_domain())
            .values("domain")
            .annotate(count=Count("pk"))
            .order_by("-count")[: self.SHOWN]
        )
        return [(row["domain"], row["domain"]) for row in busiest if row["domain"]]

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        return queryset.filter(to_email__iendswith="@" + self.value().strip().lstrip("@"))


class AgeFilter(admin.SimpleListFilter):
    title = _("age")
    parameter_name = "older_than"
    AGES = {
        "5m": (timedelta(minutes=5), _("Older than 5 minutes")),
        "1h": (timedelta(hours=1), _("Older than an hour")),
        "1d": (timedelta(days=1), _("Older than a day")),
        "3d": (timedelta(days=3), _("Older than 3 days")),
    }

    def lookups(self, request, model_admin):
        return [(key, label) for key, (_age, label) in self.AGES.items()]

    def queryset(self, request, queryset):
        if self.value() not in self.AGES:
            return queryset
        return queryset.filter(created_at__lte=timezone.now() - self.AGES[self.value()][0])


@admin.register(OutgoingMessage)
class OutgoingMessageAdmin(ReadOnlyAdmin):
    list_display = [
        "kind_label",
        "status",
        "attempts",
        "recipient_domain",
        "created_at",
        "next_attempt_at",
        "sent_at",
        "group",
    ]
    list_filter = ["status", KindFilter, DomainFilter, AgeFilter]
    search_fields = ["group", "idempotency_key"]
    search_help_text = _("Search by group (e.g. campaigns.campaign:12) or idempotency key.")
    date_hierarchy = "created_at"
    show_full_result_count = False  # no COUNT(*) over a large table on every page
    actions = ["retry", "cancel"]

    def has_retry_permission(self, request):
        return request.user.has_perm("outbox.change_outgoingmessage")

    @admin.display(description=_("kind"), ordering="kind")
    def kind_label(self, message):
        return message.kind_label

    def action_checkbox(self, message):
        # Django labels each checkbox with str(message), which holds the address.
        label = format_html(
            _("Select message {number} ({kind})"), number=message.pk, kind=message.kind_label
        )
        checkbox = forms.CheckboxInput(
            {"class": "action-select", "aria-label": label}, lambda v: False
        )
        return checkbox.render(helpers.ACTION_CHECKBOX_NAME, str(message.pk))

    @admin.display(description=_("recipient domain"))
    def recipient_domain(self, message):
        return message.to_email.rpartition("@")[2].lower()

    @admin.action(description=_("Send the selected messages again now"), permissions=["retry"])
    def retry(self, request, queryset):
        """Failed, suppressed, cancelled or waiting messages go back to the queue, due now."""
        now = timezone.now()
        pks = list(
            queryset.exclude(status__in=[Status.SENT, Status.SENDING]).values_list("pk", flat=True)
        )
        OutgoingMessage.objects.filter(pk__in=pks).exclude(
            status__in=[Status.SENT, Status.SENDING]
        ).update(status=Status.QUEUED, next_attempt_at=now, scheduled_at=now)
        services.schedule(pks)
        self.message_user(
            request,
            ngettext(
                "%d message will be sent again (sent ones are never resent).",
                "%d messages will be sent again (sent ones are never resent).",
                len(pks),
            )
            % len(pks),
            messages.SUCCESS,
        )

    @admin.action(description=_("Cancel the selected queued messages"), permissions=["retry"])
    def cancel(self, request, queryset):
        count = queryset.filter(status=Status.QUEUED).update(status=Status.CANCELLED)
        self.message_user(
            request,
            ngettext(
                "%d queued message cancelled (others were not waiting).",
                "%d queued messages cancelled (others were not waiting).",
                count,
            )
            % count,
            messages.SUCCESS,
        )


class SuppressionForm(forms.ModelForm):
    address = forms.EmailField(
        label=_("e-mail address"),
        max_length=254,
        help_text=_("Only a keyed hash of the address is kept."),
    )

    class Meta:
        model = Suppression
        fields = ["address", "reason", "detail"]

    def clean_address(self):
        address = suppression.normalise_address(self.cleaned_data["address"])
        if suppression.find(address):
            raise forms.ValidationError(_("This address is already on the suppression list."))
        return address

    def save(self, commit=True):
        self.instance.address_hash = suppression.address_hash(self.cleaned_data["address"])
        return super().save(commit)


@admin.register(Suppression)
class SuppressionAdmin(admin.ModelAdmin):
    """Find an entry by typing the address: it is hashed, and the hash is looked up."""

    list_display = ["reason", "created_at", "detail", "source_message"]
    list_filter = ["reason"]
    search_fields = ["address_hash"]  # replaced by the hash of what is typed (below)
    search_help_text = _("Type the whole e-mail address.")
    readonly_fields = ["created_at", "source_message"]
    raw_id_fields = ["source_message"]
    date_hierarchy = "created_at"

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = SuppressionForm
        return super().get_form(request, obj, change, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["address", "reason", "detail"]
        return ["reason", "detail", "created_at", "source_message"]

    def get_search_results(self, request, queryset, search_term):
        if not search_term.strip():
            return queryset, False
        hashes = suppression.address_hashes(search_term)
        return queryset.filter(address_hash__in=hashes), False
