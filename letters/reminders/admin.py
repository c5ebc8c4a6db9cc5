"""Django admin for reminders: subscriptions, and the reminder schedule with its texts.

Imported by letters/admin.py. Lists never show e-mail addresses (an admin list is often seen
over someone's shoulder). Bad input in a reminder (an offset outside 0-365 days, two reminders
on the same day, an unknown placeholder, two texts in one language, no English text) is
refused with a message that says what to change, and nothing is saved.
"""

import datetime

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from ..models import Reminder, ReminderText, Subscription
from .content import FALLBACK_LANGUAGE, PLACEHOLDERS, validate_reminder_text
from .schedule import observance_year_if_due, valid_time_zones

MAX_DAYS_BEFORE = 365


def next_send_date(days_before: int, today: datetime.date) -> datetime.date:
    """The next local date, from `today` on, on which this reminder is due."""
    for year in range(today.year, today.year + 3):
        day = datetime.date(year, 11, 2) - datetime.timedelta(days=days_before)
        if day >= today and observance_year_if_due(days_before, day):
            return day
    raise ValueError(f"no send date for {days_before} days before")  # pragma: no cover


# -- Subscriptions -----------------------------------------------------------------------------


class SubscriptionStateFilter(admin.SimpleListFilter):
    title = _("state")
    parameter_name = "state"

    STATES = {
        "active": Q(
            confirmed_at__isnull=False,
            unsubscribed_at__isnull=True,
            bounced_at__isnull=True,
            erased_at__isnull=True,
        ),
        "pending": Q(confirmed_at__isnull=True),
        "unsubscribed": Q(unsubscribed_at__isnull=False),
        "bounced": Q(bounced_at__isnull=False),
        "erased": Q(erased_at__isnull=False),
    }

    def lookups(self, request, model_admin):
        return [
            ("active", _("Active")),
            ("pending", _("Waiting for confirmation")),
            ("unsubscribed", _("Unsubscribed")),
            ("bounced", _("Bounced")),
            ("erased", _("Erased")),
        ]

    def queryset(self, request, queryset):
        condition = self.STATES.get(self.value() or "")
        return queryset.filter(condition) if condition is not None else queryset


class SubscriptionAdminForm(forms.ModelForm):
    class Meta:
        model = Subscription
        fields = ["country", "language", "time_zone"]

    def clean_time_zone(self):
        zone = self.cleaned_data["time_zone"].strip()
        if zone not in valid_time_zones():
            raise ValidationError(
                _("“%(zone)s” is not a time zone we know. Use a name such as Europe/Paris."),
                params={"zone": zone},
                code="invalid_time_zone",
            )
        return zone


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    form = SubscriptionAdminForm
    list_display = [
        "pk",
        "country",
        "language",
        "time_zone",
        "source",
        "state",
        "created_at",
        "confirmed_at",
    ]
    list_filter = [SubscriptionStateFilter, "source", "language"]
    search_fields = ["country", "language"]
    search_help_text = _("Search by country code (e.g. MX) or language code (e.g. es).")
    date_hierarchy = "created_at"
    show_full_result_count = False
    fields = [
        "email",
        "country",
        "language",
        "time_zone",
        "source",
        "consent_record",
        "created_at",
        "confirmed_at",
        "unsubscribed_at",
        "bounced_at",
        "erased_at",
    ]
    readonly_fields = [
        "email",
        "source",
        "consent_record",
        "created_at",
        "confirmed_at",
        "unsubscribed_at",
        "bounced_at",
        "erased_at",
    ]

    def has_add_permission(self, request, obj=None):
        return False  # people subscribe themselves: consent cannot be typed in by an admin

    @admin.display(description=_("state"))
    def state(self, subscription):
        if subscription.erased_at:
            return _("Erased")
        if subscription.bounced_at:
            return _("Bounced")
        if subscription.unsubscribed_at:
            return _("Unsubscribed")
        if subscription.confirmed_at:
            return _("Active")
        return _("Waiting for confirmation")


# -- Reminders ---------------------------------------------------------------------------------


def placeholder_help() -> str:
    return _("Placeholders: %(names)s.") % {
        "names": ", ".join(
            "{" + name + "} (" + str(text) + ")" for name, text in PLACEHOLDERS.items()
        )
    }


class ReminderTextForm(forms.ModelForm):
    class Meta:
        model = ReminderText
        fields = ["language", "subject", "body"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["body"].help_text = placeholder_help()

    def clean_subject(self):
        subject = self.cleaned_data["subject"]
        validate_reminder_text(subject)
        return " ".join(subject.split())  # a subject is one line

    def clean_body(self):
        body = self.cleaned_data["body"]
        validate_reminder_text(body)
        return body


class ReminderTextFormSet(forms.BaseInlineFormSet):
    def clean(self):
        # Before super().clean(), whose generic "duplicate data" message would come first.
        languages: dict[str, int] = {}
        for form in self.forms:
            if not hasattr(form, "cleaned_data") or self._should_delete_form(form):
                continue
            language = form.cleaned_data.get("language")
            if language:
                languages[language] = languages.get(language, 0) + 1
        duplicated = sorted(language for language, count in languages.items() if count > 1)
        if duplicated:
            raise ValidationError(
                _("Write one text per language: %(languages)s appears more than once.")
                % {"languages": ", ".join(duplicated)},
                code="duplicate_language",
            )
        if languages and FALLBACK_LANGUAGE not in languages:
            raise ValidationError(
                _(
                    "Add an English text: it is sent to subscribers whose language has no "
                    "text of its own."
                ),
                code="no_english_text",
            )
        super().clean()


class ReminderTextInline(admin.StackedInline):
    model = ReminderText
    form = ReminderTextForm
    formset = ReminderTextFormSet
    extra = 0
    min_num = 1


class ReminderForm(forms.ModelForm):
    class Meta:
        model = Reminder
        fields = [
            "name",
            "days_before",
            "include_country_cases",
            "include_open_campaigns",
            "include_world_share",
            "is_active",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Our own messages, in the product's words, instead of the generic bounds.
        field = self.fields["days_before"]
        field.min_value = field.max_value = None
        field.validators = []
        field.widget.attrs.pop("min", None)
        field.widget.attrs.pop("max", None)

    def clean_days_before(self):
        days = self.cleaned_data["days_before"]
        if days is None or days < 0 or days > MAX_DAYS_BEFORE:
            raise ValidationError(
                _(
                    "A reminder goes out between 0 (on 2 November itself) and %(max)s days "
                    "before 2 November."
                ),
                params={"max": MAX_DAYS_BEFORE},
                code="days_out_of_range",
            )
        other = Reminder.objects.filter(days_before=days).exclude(pk=self.instance.pk).first()
        if other is not None:
            raise ValidationError(
                _("The reminder “%(name)s” already goes out %(days)s days before 2 November."),
                params={"name": other.name, "days": days},
                code="duplicate_days_before",
            )
        return days


@admin.register(Reminder)
class ReminderAdmin(admin.ModelAdmin):
    form = ReminderForm
    inlines = [ReminderTextInline]
    list_display = [
        "name",
        "days_before",
        "next_send_date",
        "languages",
        "include_country_cases",
        "include_open_campaigns",
        "include_world_share",
        "is_active",
    ]
    list_filter = ["is_active"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("texts")

    @admin.display(description=_("next send date (subscriber's local date)"))
    def next_send_date(self, reminder):
        if not reminder.is_active:
            return _("inactive")
        return date_format(next_send_date(reminder.days_before, timezone.localdate()))

    @admin.display(description=_("languages"))
    def languages(self, reminder):
        return ", ".join(sorted(text.language for text in reminder.texts.all()))
