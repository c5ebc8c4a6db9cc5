"""Reminders before 2 November: subscriptions, and the yearly schedule with its texts."""

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from idei.tokens import ConfirmableByLink


class Subscription(ConfirmableByLink):
    """A confirmed address that asked to be reminded before 2 November."""

    class Source(models.TextChoices):
        SIGNATURE = "signature", _("Ticked when signing")
        FORM = "form", _("Reminder form")

    email = models.EmailField(_("e-mail"), max_length=254)
    email_key = models.CharField(max_length=254, unique=True, editable=False)
    country = CountryField(_("country"))
    language = models.CharField(
        _("language"), max_length=10, choices=settings.LANGUAGES, default="en"
    )
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        default="UTC",
        help_text=_("Reminders arrive on the right day in this time zone."),
    )
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.FORM)
    # The consent text as shown, when and where: proof of what the person asked for.
    consent_record = models.JSONField(default=dict, editable=False)
    # Random and unique: one-click unsubscribe links carry it (never the address).
    unsubscribe_token = models.CharField(max_length=64, unique=True, editable=False)

    created_at = models.DateTimeField(default=timezone.now)
    confirmed_at = models.DateTimeField(null=True, blank=True, db_index=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)
    bounced_at = models.DateTimeField(null=True, blank=True)
    erased_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("subscription")
        verbose_name_plural = _("subscriptions")
        ordering = ["-created_at"]
        indexes = [
            # The due-reminders scan: active subscriptions in id order, by time zone.
            models.Index(
                fields=["time_zone", "id"],
                name="subscription_active_tz",
                condition=models.Q(
                    confirmed_at__isnull=False,
                    unsubscribed_at__isnull=True,
                    bounced_at__isnull=True,
                    erased_at__isnull=True,
                ),
            )
        ]

    def __str__(self):
        return f"{self.country} ({self.language})"

    @property
    def is_active(self) -> bool:
        return bool(self.confirmed_at) and not (
            self.unsubscribed_at or self.bounced_at or self.erased_at
        )


class Reminder(models.Model):
    """A reminder sent every year, so many days before 2 November (editable in admin)."""

    name = models.CharField(_("name"), max_length=100)
    days_before = models.PositiveSmallIntegerField(
        _("days before 2 November"),
        unique=True,
        validators=[MaxValueValidator(365)],
        help_text=_("0 is the day itself; at most 365."),
    )
    include_country_cases = models.BooleanField(
        _("unresolved cases in the subscriber's country"), default=True
    )
    include_open_campaigns = models.BooleanField(
        _("open campaigns they have not signed yet"), default=True
    )
    include_world_share = models.BooleanField(
        _("share of unresolved cases worldwide"), default=True
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("reminder")
        verbose_name_plural = _("reminders")
        ordering = ["-days_before"]

    def __str__(self):
        return self.name


class ReminderText(models.Model):
    """A reminder's subject and body in one language, with safe placeholders."""

    reminder = models.ForeignKey(Reminder, on_delete=models.CASCADE, related_name="texts")
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES)
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("body"), max_length=10000)

    class Meta:
        verbose_name = _("reminder text")
        verbose_name_plural = _("reminder texts")
        constraints = [
            models.UniqueConstraint(
                fields=["reminder", "language"], name="one_reminder_text_per_language"
            )
        ]

    def __str__(self):
        return f"{self.reminder} ({self.language})"
