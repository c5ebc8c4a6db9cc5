"""Letters: the public's signatures, the letters they send, and every message that goes out."""

import os

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.core.validators import MaxValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from campaigns.models import Campaign, Target


class PrivateFileStorage(FileSystemStorage):
    """Files with personal data: under PRIVATE_FILES_ROOT, never MEDIA_ROOT, never served by URL.

    The folder is read from settings on each use, as Django's media storage does.
    """

    @property
    def base_location(self):
        return self._value_or_setting(self._location, settings.PRIVATE_FILES_ROOT)

    @property
    def location(self):
        return os.path.abspath(self.base_location)


def private_storage():
    return PrivateFileStorage()


class SignatureQuerySet(models.QuerySet):
    def confirmed(self):
        return self.filter(confirmed_at__isnull=False)


class Signature(models.Model):
    """One person's support of a campaign; counts only once confirmed by e-mail."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="signatures")
    name = models.CharField(_("name"), max_length=120)
    email = models.EmailField(_("e-mail"), max_length=254)
    # Lower-cased, Gmail dots and +tags removed: one signature per person and campaign.
    email_key = models.CharField(max_length=254, editable=False)
    country = CountryField(_("country"))
    city = models.CharField(_("city"), max_length=120, blank=True)
    message = models.TextField(_("personal message"), max_length=2000, blank=True)
    letter_text = models.TextField(_("letter as edited by the signer"), blank=True)
    language = models.CharField(max_length=10, choices=settings.LANGUAGES, default="en")

    consent_share_name = models.BooleanField(_("share my name with the officials"), default=False)
    consent_updates = models.BooleanField(_("keep me informed by this organisation"), default=False)
    consent_reminders = models.BooleanField(_("remind me before 2 November"), default=False)
    consent_show_first_name = models.BooleanField(_("show my first name publicly"), default=False)
    # The consent texts as shown, and when: proof of what the person agreed to.
    consent_record = models.JSONField(default=dict, editable=False)

    created_at = models.DateTimeField(auto_now_add=True)
    confirmed_at = models.DateTimeField(null=True, blank=True, db_index=True)
    confirmation_token_hash = models.CharField(max_length=64, blank=True, editable=False)
    confirmation_expires_at = models.DateTimeField(null=True, blank=True)
    # Confirmation mails sent for this signature: capped, however often the form is sent.
    confirmation_mails_sent = models.PositiveSmallIntegerField(default=0, editable=False)
    # Set when the person signs: a confirmation e-mail is owed. A worker gives the signature
    # its link and writes the e-mail to the outbox, then clears this (letters.services).
    confirmation_due_at = models.DateTimeField(null=True, blank=True, editable=False)
    erased_at = models.DateTimeField(null=True, blank=True)

    objects = SignatureQuerySet.as_manager()

    class Meta:
        verbose_name = _("signature")
        verbose_name_plural = _("signatures")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "email_key"], name="one_signature_per_person_and_campaign"
            )
        ]
        indexes = [
            models.Index(fields=["campaign", "confirmed_at"]),
            # The confirmation link is looked up by its hash; only pending rows carry one.
            models.Index(
                fields=["confirmation_token_hash"],
                condition=~models.Q(confirmation_token_hash=""),
                name="signature_pending_token",
            ),
            models.Index(
                fields=["confirmation_due_at"],
                condition=models.Q(confirmation_due_at__isnull=False),
                name="signature_confirmation_due",
            ),
        ]

    def __str__(self):
        return f"{self.campaign}: {self.name}"

    @property
    def first_name(self) -> str:
        return self.name.split()[0] if self.name.split() else ""


class SignatureExport(models.Model):
    """One export of a campaign's signatures: who took the data, when, and how many rows.

    Created before the first row leaves the server, completed when the last one has: an
    export whose download was cut short keeps `finished_at` empty and the rows sent so far.
    """

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="exports")
    exported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("exported by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    started_at = models.DateTimeField(_("started"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    row_count = models.PositiveIntegerField(_("rows"), default=0)

    class Meta:
        verbose_name = _("signature export")
        verbose_name_plural = _("signature exports")
        ordering = ["-started_at", "-pk"]

    def __str__(self):
        return f"{self.campaign}: {self.row_count} rows, {self.started_at:%Y-%m-%d %H:%M}"


class OutgoingMessage(models.Model):
    """One e-mail that must go out exactly once: the outbox.

    The row, not the Celery task, is the source of truth: Redis may lose every task and the
    sweep re-queues what is pending. A worker claims a row with a conditional UPDATE
    (queued → sending) that must return 1, so two workers never send the same message, and the
    unique idempotency key stops the same message from being queued twice.
    """

    class Kind(models.TextChoices):
        CONFIRMATION = "confirmation", _("Confirmation request")
        SIGNER_COPY = "signer_copy", _("Copy of the letter to the signer")
        LETTER = "letter", _("Letter to an official")
        DIGEST = "digest", _("Daily digest to an official")
        PETITION = "petition", _("Petition to an official")
        DATA_REQUEST = "data_request", _("Personal data, on request")
        ERASURE_REQUEST = "erasure_request", _("Erasure link")
        SUBSCRIPTION_CONFIRMATION = "subscription_confirmation", _("Subscription confirmation")
        REMINDER = "reminder", _("Reminder before 2 November")
        COORDINATOR_REMINDER = "coordinator_reminder", _("Reminder to a coordinator")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    # Transactional mail (confirmations, data requests) carries no unsubscribe link.
    TRANSACTIONAL = {
        Kind.CONFIRMATION,
        Kind.DATA_REQUEST,
        Kind.ERASURE_REQUEST,
        Kind.SUBSCRIPTION_CONFIRMATION,
    }

    idempotency_key = models.CharField(max_length=200, unique=True)
    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    to_email = models.EmailField(_("to"), max_length=254)
    reply_to = models.EmailField(_("reply to"), max_length=254, blank=True)
    subject = models.CharField(_("subject"), max_length=300)
    body_text = models.TextField(_("text"))
    body_html = models.TextField(_("HTML"), blank=True)
    # Extra headers such as List-Unsubscribe; never From, To or Subject.
    headers = models.JSONField(default=dict, blank=True)
    attachment = models.FileField(upload_to="outbox/", storage=private_storage, blank=True)
    attachment_name = models.CharField(max_length=200, blank=True)

    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    # When a send task was last enqueued for this row; the sweep re-enqueues only old ones.
    scheduled_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    campaign = models.ForeignKey(
        Campaign, null=True, blank=True, on_delete=models.SET_NULL, related_name="outgoing"
    )
    signature = models.ForeignKey(
        Signature, null=True, blank=True, on_delete=models.SET_NULL, related_name="outgoing"
    )
    target = models.ForeignKey(
        Target, null=True, blank=True, on_delete=models.SET_NULL, related_name="outgoing"
    )

    class Meta:
        verbose_name = _("outgoing message")
        verbose_name_plural = _("outbox")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"]),
            models.Index(fields=["campaign", "kind", "status"]),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} → {self.to_email} ({self.status})"


class Letter(models.Model):
    """The text one confirmed signature sends to one official."""

    signature = models.ForeignKey(Signature, on_delete=models.CASCADE, related_name="letters")
    target = models.ForeignKey(Target, on_delete=models.PROTECT, related_name="letters")
    language = models.CharField(max_length=10, choices=settings.LANGUAGES)
    subject = models.CharField(_("subject"), max_length=300)
    body = models.TextField(_("letter"))
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("letter")
        verbose_name_plural = _("letters")
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["signature", "target"], name="one_letter_per_target")
        ]
        indexes = [models.Index(fields=["target", "created_at"])]

    def __str__(self):
        return f"{self.signature} → {self.target}"


class SignatureCount(models.Model):
    """A campaign's confirmed count, split over a few rows so confirmations never queue on one.

    A confirmation adds one to a random shard in its own transaction; the page reads the sum
    of the shards, and a periodic reconcile rewrites them from an exact COUNT.
    """

    SHARDS = 16

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="count_shards")
    shard = models.PositiveSmallIntegerField()
    confirmed = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["campaign", "shard"], name="one_row_per_count_shard")
        ]

    def __str__(self):
        return f"{self.campaign} #{self.shard}: {self.confirmed}"


class BlockedEmailDomain(models.Model):
    """Disposable or abusive e-mail domains that may not sign (editable in admin)."""

    domain = models.CharField(_("domain"), max_length=253, unique=True)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("blocked e-mail domain")
        verbose_name_plural = _("blocked e-mail domains")
        ordering = ["domain"]

    def __str__(self):
        return self.domain

    def save(self, *args, **kwargs):
        self.domain = self.domain.strip().lower().lstrip("@")
        super().save(*args, **kwargs)


class Subscription(models.Model):
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
    confirmation_token_hash = models.CharField(max_length=64, blank=True, editable=False)
    confirmation_expires_at = models.DateTimeField(null=True, blank=True)
    confirmation_mails_sent = models.PositiveSmallIntegerField(default=0, editable=False)
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
