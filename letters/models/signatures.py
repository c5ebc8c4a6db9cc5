"""Signatures: one person's support of a campaign, exports, and domains that may not sign."""

import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from campaigns.models import Campaign
from idei.client_address import network_of
from idei.tokens import ConfirmableByLink


def ascii_domain(domain: str) -> str:
    """A domain in lower case and ASCII (IDNA), as the watchlist counts and keeps it."""
    domain = domain.strip().lower().rstrip(".")
    try:
        return domain.encode("idna").decode("ascii")
    except UnicodeError:
        return domain


# A domain as the watchlist keeps it: lower-case labels of letters, digits and hyphens.
DOMAIN = re.compile(r"(?=.{1,253}\Z)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}")


class SignatureQuerySet(models.QuerySet):
    def confirmed(self):
        return self.filter(confirmed_at__isnull=False)

    def counted(self):
        """Confirmed and not held back by a blocked watchlist entry: what a campaign counts."""
        return self.confirmed().filter(held_by__isnull=True)


class Source(models.TextChoices):
    """Where a signature came from: nothing about the visitor beyond this."""

    PAGE = "page", _("Campaign page")
    EMBED = "embed", _("Embedded form")
    LINK = "link", _("Shared link")
    UNKNOWN = "unknown", _("Unknown code")


class Signature(ConfirmableByLink):
    """One person's support of a campaign; counts only once confirmed by e-mail."""

    # Indexed by the unique constraint and the indexes below, which all start with it: an index
    # of its own would only cost every sign POST's INSERT one more index entry.
    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="signatures", db_index=False
    )
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
    # To hear from the partner organisation the signer came through (only that one).
    consent_partner = models.BooleanField(_("keep me informed by the partner"), default=False)
    # The consent texts as shown, and when: proof of what the person agreed to.
    consent_record = models.JSONField(default=dict, editable=False)

    # Where the signature came from (letters/signing/sources.py), read from a signed value in
    # the form: a forged or unknown code is recorded as UNKNOWN, never as a partner.
    source = models.CharField(
        _("source"), max_length=10, choices=Source.choices, default=Source.PAGE, editable=False
    )
    source_code = models.CharField(_("source code"), max_length=40, blank=True, editable=False)
    partner = models.ForeignKey(
        "campaigns.Organisation",
        verbose_name=_("partner"),
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="partner_signatures",
        db_index=False,  # a partial index below: most signatures have no partner
    )

    created_at = models.DateTimeField(auto_now_add=True)
    # Indexed where set (below): a new signature, not yet confirmed, adds no entry.
    confirmed_at = models.DateTimeField(null=True, blank=True)
    # Set when the person signs: a confirmation e-mail is owed. A worker gives the signature its
    # link and writes the e-mail to the outbox, then clears this (signing/confirmations.py).
    confirmation_due_at = models.DateTimeField(null=True, blank=True, editable=False)
    erased_at = models.DateTimeField(null=True, blank=True)
    # A permanent delivery failure to this address (idei.outbox's suppression list).
    bounced_at = models.DateTimeField(_("bounced"), null=True, blank=True)
    # Signed from a domain or network blocked on the watchlist: not counted (nor its letters
    # sent to officials) until an admin counts or drops it; its signer sees no difference.
    held_by = models.ForeignKey(
        "WatchlistEntry",
        verbose_name=_("held by watchlist entry"),
        null=True,
        blank=True,
        editable=False,
        on_delete=models.PROTECT,
        related_name="held_signatures",
        db_index=False,  # a partial index below: held signatures are few
    )

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
            models.Index(
                fields=["campaign", "partner", "confirmed_at"],
                condition=models.Q(partner__isnull=False),
                name="signature_partner",
            ),
            # The shown count reads this one: held signatures are few and not in it.
            models.Index(
                fields=["campaign", "confirmed_at"],
                condition=models.Q(held_by__isnull=True),
                name="signature_counted",
            ),
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
            # Where a column is mostly NULL, only the rows that have a value are indexed: the
            # lookups (a confirmation date range, a partner's or watchlist entry's rows, which
            # deleting either needs) all imply a value, and a new signature adds no entry.
            models.Index(
                fields=["confirmed_at"],
                condition=models.Q(confirmed_at__isnull=False),
                name="signature_confirmed",
            ),
            models.Index(
                fields=["partner"],
                condition=models.Q(partner__isnull=False),
                name="signature_partner_id",
            ),
            models.Index(
                fields=["held_by"],
                condition=models.Q(held_by__isnull=False),
                name="signature_held_by",
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
    # Set: a partner's export of the signers who agreed to hear from it (and only them).
    partner = models.ForeignKey(
        "campaigns.Organisation",
        verbose_name=_("partner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("signature export")
        verbose_name_plural = _("signature exports")
        ordering = ["-started_at", "-pk"]

    def __str__(self):
        return f"{self.campaign}: {self.row_count} rows, {self.started_at:%Y-%m-%d %H:%M}"


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


class WatchlistEntry(models.Model):
    """An e-mail domain or client network that signed more than a threshold in an hour.

    Entries are made by the watchlist run (signing/watchlist.py) when a source crosses its
    threshold, or by an admin. A blocked entry holds back later signatures from its source.
    """

    class Kind(models.TextChoices):
        DOMAIN = "domain", _("e-mail domain")
        NETWORK = "network", _("client network")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    # A domain (lower case), or a network as client_address.client_network writes it (an IPv4
    # address, an IPv6 /64 such as 2001:db8:1:2::).
    value = models.CharField(_("domain or network"), max_length=253)
    blocked_at = models.DateTimeField(_("blocked since"), null=True, blank=True)
    alerted_at = models.DateTimeField(_("last alert"), null=True, blank=True, editable=False)
    alert_count = models.PositiveIntegerField(
        _("signatures in the hour of the last alert"), default=0, editable=False
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("watchlist entry")
        verbose_name_plural = _("watchlist")
        ordering = ["-alerted_at", "kind", "value"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "value"], name="one_watchlist_entry_per_source")
        ]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.value}"

    def clean(self):
        value = (self.value or "").strip().lower()
        if self.kind == self.Kind.NETWORK:
            try:
                value = network_of(value)
            except ValueError:
                raise ValidationError(
                    {"value": _("Write an IPv4 or IPv6 address, such as 203.0.113.7.")}
                ) from None
        else:
            value = ascii_domain(value.lstrip("@"))
            if not DOMAIN.fullmatch(value):
                raise ValidationError({"value": _("Write a domain, such as example.org.")})
        self.value = value
