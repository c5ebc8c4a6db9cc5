"""Letters: the public's signatures, the letters they send, and every message that goes out."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from campaigns.models import Campaign


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
        indexes = [models.Index(fields=["campaign", "confirmed_at"])]

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
