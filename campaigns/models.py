"""Campaigns: organisations, the officials they address, and their calls to action."""

from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString
from django.utils.translation import get_language, get_language_info
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from cases.models import Case

from .letter_templates import validate_letter_template
from .markup import render_markdown
from .signals import campaign_closed


class Organisation(models.Model):
    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    country = CountryField(_("country"), blank=True)
    website = models.URLField(_("website"), blank=True)
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    logo = models.ImageField(_("logo"), upload_to="organisations/", blank=True)
    require_two_factor = models.BooleanField(
        _("members must use two-factor sign-in"),
        default=False,
        help_text=_(
            "Each member then signs in with a code from an authenticator app as well as their "
            "password. Members who have not set it up are asked to at their next visit."
        ),
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="Membership", related_name="organisations"
    )

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["name"]

    def __str__(self):
        return self.name


class Membership(models.Model):
    class Role(models.TextChoices):
        OWNER = "owner", _("Owner")
        COORDINATOR = "coordinator", _("Coordinator")
        VIEWER = "viewer", _("Viewer")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(
        _("role"), max_length=12, choices=Role.choices, default=Role.COORDINATOR
    )

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["user", "organisation"], name="unique_membership")
        ]

    def __str__(self):
        return f"{self.user} – {self.organisation} ({self.get_role_display()})"


class Target(models.Model):
    """A government official a campaign asks to act."""

    name = models.CharField(_("name"), max_length=200)
    position = models.CharField(_("position"), max_length=200)
    # {"es": "Fiscal Especial", ...}: the position as a letter in that language names it.
    position_translations = models.JSONField(
        _("position in other languages"), default=dict, blank=True
    )
    institution = models.CharField(_("institution"), max_length=200, blank=True)
    country = CountryField(_("country"))
    email = models.EmailField(_("e-mail"), blank=True)
    postal_address = models.TextField(_("postal address"), blank=True)
    # The address in parts, laid out per country by campaigns.addresses (postal_address holds
    # the street lines; an address typed before these existed is kept whole in it).
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    country_area = models.CharField(_("state, province or region"), max_length=100, blank=True)
    language = models.CharField(
        _("preferred language"), max_length=10, choices=settings.LANGUAGES, default="en"
    )
    source_url = models.URLField(_("source"), blank=True)
    last_verified = models.DateField(_("last verified"), null=True, blank=True)
    created_by_organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="created_targets",
    )
    is_shared = models.BooleanField(
        _("shared with all organisations"),
        default=True,
    )

    class Meta:
        verbose_name = _("target official")
        verbose_name_plural = _("target officials")
        ordering = ["country", "name"]

    def __str__(self):
        return f"{self.name}, {self.position}"


@dataclass(frozen=True)
class CampaignText:
    """What a reader of one language is shown of a campaign's title, summary and story.

    The reader's language when the coordinator wrote the texts in it, else the main texts
    (Campaign.language); the story may be in the main language when a translation has none.
    Templates mark each part with its `lang` and say which language it is in when it is not
    the reader's.
    """

    title: str
    summary: str
    language: str
    body: str
    body_language: str

    @property
    def body_html(self) -> SafeString:
        return render_markdown(self.body)

    @property
    def language_name(self) -> str:
        """The language's name in the active language ("Spanish", "espagnol")."""
        return language_name(self.language)

    @property
    def body_language_name(self) -> str:
        return language_name(self.body_language)


def language_name(code: str) -> str:
    try:
        return str(get_language_info(code)["name_translated"])
    except KeyError:
        return code


class CampaignQuerySet(models.QuerySet):
    def published(self):
        return self.filter(status=Campaign.Status.PUBLISHED)

    def public(self):
        """Campaigns anyone may read: open ones and finished ones with their outcome."""
        return self.exclude(status=Campaign.Status.DRAFT)


class Campaign(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        CLOSED = "closed", _("Closed")
        DELIVERED = "delivered", _("Delivered")

    class DeliveryMode(models.TextChoices):
        EACH = "each", _("Each letter as it is confirmed")
        DIGEST = "digest", _("A daily digest per official")
        PETITION = "petition", _("One petition at close")

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="campaigns"
    )
    title = models.CharField(_("title"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    summary = models.TextField(_("summary"), max_length=1000)
    # What the title, summary and story are written in: pages mark them with it (lang), tell
    # readers of another language which language they read, and the share card is drawn in it.
    language = models.CharField(
        _("language of the texts"),
        max_length=10,
        choices=settings.LANGUAGES,
        default=settings.LANGUAGE_CODE,
    )
    body = models.TextField(
        _("what happened and what is asked"),
        max_length=20000,
        blank=True,
        help_text=_("Markdown: **bold**, *italic*, lists, links. HTML is removed."),
    )
    image = models.ImageField(_("image"), upload_to="campaigns/", blank=True)
    image_credit = models.CharField(_("image credit"), max_length=200, blank=True)
    cases = models.ManyToManyField(Case, verbose_name=_("cases"), related_name="campaigns")
    targets = models.ManyToManyField(
        Target, verbose_name=_("target officials"), related_name="campaigns"
    )
    goal = models.PositiveIntegerField(
        _("signature goal"),
        default=1000,
        validators=[MinValueValidator(1), MaxValueValidator(100_000_000)],
    )
    signers_may_edit = models.BooleanField(_("signers may edit the letter"), default=False)
    thank_you_text = models.TextField(_("thank-you text"), max_length=2000, blank=True)
    share_text = models.CharField(_("share text"), max_length=280, blank=True)
    # Which websites may frame /campaigns/<slug>/embed/ (CSP frame-ancestors): empty, any.
    embed_origins = models.TextField(
        _("websites that may embed the sign form"),
        max_length=4000,
        blank=True,
        help_text=_(
            "One address per line, such as https://www.example.org. Leave empty to let any "
            "website embed it."
        ),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    delivery_mode = models.CharField(
        _("delivery"), max_length=10, choices=DeliveryMode.choices, default=DeliveryMode.EACH
    )
    opens_at = models.DateTimeField(_("opens"), null=True, blank=True)
    closes_at = models.DateTimeField(_("closes"), null=True, blank=True)
    # Confirmed signatures, kept converging by the letters app; never a COUNT on a page view.
    signature_count = models.PositiveIntegerField(_("confirmed signatures"), default=0)
    # Officials' responses published by a coordinator, kept by the letters app (responses).
    responses_published = models.PositiveIntegerField(_("responses published"), default=0)
    # The campaign this one runs again (a year later, the same cases and officials).
    previous = models.ForeignKey(
        "self",
        verbose_name=_("runs again"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="next_runs",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = CampaignQuerySet.as_manager()

    # The channels of the share links (campaigns.views.share_links), as their `?source=` code.
    SHARE_CHANNELS = ("email", "whatsapp", "telegram", "x")

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["-created_at"]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("campaigns:detail", args=[self.slug])

    @property
    def embed_origin_list(self) -> list[str]:
        """The origins allowed to frame the embed (validated by the form); empty: any."""
        return [line.strip() for line in self.embed_origins.splitlines() if line.strip()]

    def clean(self):
        if self.opens_at and self.closes_at and self.closes_at <= self.opens_at:
            raise ValidationError(
                {"closes_at": _("The closing date must come after the opening date.")}
            )

    def letter_cases(self):
        """The cases a letter lists, in the order it lists them (pages and letters alike)."""
        return self.cases.published().order_by("date_of_death", "full_name", "pk")

    @property
    def body_html(self):
        return render_markdown(self.body)

    def text_in(self, language: str | None) -> CampaignText:
        """The title, summary and story in `language` when written in it, else the main ones.

        Reads `translations` through a prefetch when there is one (list pages prefetch it).
        """
        # A list that deferred the story (it shows none) does not load it here, one by one.
        body = "" if "body" in self.get_deferred_fields() else self.body
        main = CampaignText(
            title=self.title,
            summary=self.summary,
            language=self.language,
            body=body,
            body_language=self.language,
        )
        if not language or language == self.language:
            return main
        found = next((t for t in self.text_translations() if t.language == language), None)
        if found is None:
            return main
        return CampaignText(
            title=found.title,
            summary=found.summary,
            language=found.language,
            body=found.body or body,
            body_language=found.language if found.body else self.language,
        )

    @property
    def shown(self) -> CampaignText:
        """The texts in the active language (a page's reader, an e-mail's recipient)."""
        language = get_language() or settings.LANGUAGE_CODE
        cache = self.__dict__.setdefault("_shown_texts", {})
        if language not in cache:
            cache[language] = self.text_in(language)
        return cache[language]

    def text_translations(self) -> list["CampaignTranslation"]:
        """The texts in other languages: the prefetched ones, else read once per instance.

        An e-mail per official, each in its language, then asks no query each.
        """
        if "translations" in getattr(self, "_prefetched_objects_cache", {}):
            return list(self.translations.all())
        if "_text_translations" not in self.__dict__:
            self.__dict__["_text_translations"] = list(self.translations.all())
        return self.__dict__["_text_translations"]

    @property
    def text_languages(self) -> list[str]:
        """The languages the title and summary are written in, the main one first."""
        return [self.language, *(t.language for t in self.text_translations())]

    @staticmethod
    def is_big_goal(goal: int | None) -> bool:
        """A goal of CAMPAIGN_DIGEST_FROM_GOAL signatures or more: digests by default."""
        return (goal or 0) >= settings.CAMPAIGN_DIGEST_FROM_GOAL

    @classmethod
    def default_delivery_mode(cls, goal: int | None) -> str:
        """Daily digests for a big campaign, each letter as it comes for a small one.

        Letters one by one go out at most OUTBOX_DOMAIN_HOURLY_LIMIT an hour to one
        institution's mail server: thousands would arrive hours late, and look like an attack.
        """
        return cls.DeliveryMode.DIGEST if cls.is_big_goal(goal) else cls.DeliveryMode.EACH

    @property
    def is_big(self) -> bool:
        return self.is_big_goal(self.goal)

    @property
    def is_open(self) -> bool:
        """Taking signatures: published, past its opening date and before its closing date."""
        now = timezone.now()
        return (
            self.status == self.Status.PUBLISHED
            and not (self.opens_at and self.opens_at > now)
            and not (self.closes_at and self.closes_at <= now)
        )

    @property
    def opens_later(self) -> bool:
        """Published, but its opening date is still ahead: signing has not begun."""
        return (
            self.status == self.Status.PUBLISHED
            and self.opens_at is not None
            and self.opens_at > timezone.now()
        )

    def publish_problems(self) -> list[str]:
        """Why this campaign cannot be published yet (empty when it can)."""
        problems = []
        if not self.targets.exists():
            problems.append(str(_("Add at least one target official.")))
        if not self.letter_templates.exclude(body="").exists():
            problems.append(str(_("Write the letter in at least one language.")))
        if not self.cases.exists():
            problems.append(str(_("Link at least one case.")))
        return problems

    @property
    def progress_percent(self) -> int:
        return min(100, round(100 * self.signature_count / self.goal)) if self.goal else 0

    def _transition(self, to_status: str, allowed_from: set[str], user=None):
        with transaction.atomic():
            updated = Campaign.objects.filter(pk=self.pk, status__in=allowed_from).update(
                status=to_status
            )
            if updated != 1:
                raise ValueError(f"cannot move campaign from {self.status} to {to_status}")
            CampaignStatusChange.objects.create(
                campaign=self, from_status=self.status, to_status=to_status, changed_by=user
            )
        self.status = to_status

    def publish(self, user=None):
        problems = self.publish_problems()
        if problems:
            raise ValidationError(problems)
        self._transition(self.Status.PUBLISHED, {self.Status.DRAFT}, user)

    def close(self, user=None):
        self._transition(self.Status.CLOSED, {self.Status.PUBLISHED}, user)
        campaign_closed.send(sender=Campaign, campaign=self)

    def mark_delivered(self, user=None):
        self._transition(self.Status.DELIVERED, {self.Status.CLOSED}, user)


class LetterTemplate(models.Model):
    """The letter a campaign sends, in one language, with safe placeholders."""

    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="letter_templates"
    )
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES)
    subject = models.CharField(_("subject"), max_length=200, validators=[validate_letter_template])
    body = models.TextField(_("letter"), max_length=10000, validators=[validate_letter_template])

    class Meta:
        verbose_name = _("letter")
        verbose_name_plural = _("letters")
        ordering = ["language"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "language"], name="one_letter_per_language")
        ]

    def __str__(self):
        return f"{self.campaign} ({self.language})"


class CampaignTranslation(models.Model):
    """A campaign's title, summary and story in a language other than its main one."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="translations")
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES)
    title = models.CharField(_("title"), max_length=200)
    summary = models.TextField(_("summary"), max_length=1000)
    body = models.TextField(
        _("what happened and what is asked"),
        max_length=20000,
        blank=True,
        help_text=_("Markdown: **bold**, *italic*, lists, links. HTML is removed."),
    )

    class Meta:
        verbose_name = _("text in another language")
        verbose_name_plural = _("texts in other languages")
        ordering = ["language"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "language"], name="one_campaign_translation_per_language"
            )
        ]

    def __str__(self):
        return f"{self.campaign} ({self.language})"

    def clean(self):
        # Checked against the campaign as it is being saved (its language may change with it).
        campaign = getattr(self, "campaign", None)
        written = self.title or self.summary or self.body
        if written and campaign is not None and self.language == campaign.language:
            raise ValidationError(
                _(
                    "%(language)s is the language of the campaign's main texts: write them "
                    "there, or choose another language for the main texts."
                ),
                params={"language": language_name(self.language)},
                code="main_language",
            )


class Invitation(models.Model):
    """An owner's invitation for someone to join an organisation, accepted by e-mailed link."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="invitations"
    )
    email = models.EmailField(_("e-mail"))
    role = models.CharField(
        _("role"),
        max_length=12,
        choices=Membership.Role.choices,
        default=Membership.Role.COORDINATOR,
    )
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    # Set: an invitation to carry this campaign as a partner organisation (the invited person
    # accepts for an organisation they own, or a new one), not to join `organisation`.
    campaign = models.ForeignKey(
        Campaign,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="partner_invitations",
    )

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.email} → {self.organisation}"


class Partnership(models.Model):
    """A partner organisation carrying another organisation's campaign on its own website.

    Made when the partner accepts an invitation (an Invitation with `campaign` set). The
    source code names the partner in its embed code and share links: signatures coming
    through it are counted for the partner (letters' Signature.partner).
    """

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="partnerships")
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="partnerships"
    )
    source_code = models.CharField(_("source code"), max_length=24, editable=False)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("partner organisation")
        verbose_name_plural = _("partner organisations")
        ordering = ["organisation__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "organisation"], name="one_partnership_per_organisation"
            ),
            models.UniqueConstraint(fields=["source_code"], name="unique_partner_source_code"),
        ]

    def __str__(self):
        return f"{self.organisation} → {self.campaign}"


class CampaignStatusChange(models.Model):
    """Who moved a campaign through its life cycle, and when."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="history")
    from_status = models.CharField(max_length=10, choices=Campaign.Status.choices)
    to_status = models.CharField(max_length=10, choices=Campaign.Status.choices)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["changed_at"]

    def __str__(self):
        return f"{self.campaign}: {self.from_status} → {self.to_status}"
