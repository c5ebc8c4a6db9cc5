"""Cases: journalists and media workers killed, and where justice stands for each."""

import re
import unicodedata

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField


class Incident(models.Model):
    """One attack in which several people were killed (e.g. the Ampatuan massacre)."""

    name = models.CharField(_("name"), max_length=200)
    date = models.DateField(_("date"), null=True, blank=True)
    country = CountryField(_("country"), blank=True)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")
        ordering = ["-date", "name"]

    def __str__(self):
        return self.name


class Vocabulary(models.Model):
    """A controlled value a case can carry several of (a medium, a beat, a perpetrator)."""

    slug = models.SlugField(_("code"), max_length=60, unique=True)
    name = models.CharField(_("name"), max_length=100)

    # The terms the importers and the demo know (cases/importers/values.py), by code, in the
    # reader's language; a term added later by an editor or an import shows as it is stored.
    LABELS: dict = {}

    class Meta:
        abstract = True
        ordering = ["name"]

    def __str__(self):
        return self.label(self.slug, self.name)

    @classmethod
    def label(cls, slug: str, name: str) -> str:
        """The term in the active language when it is a known one, else its stored name."""
        return str(cls.LABELS.get(slug, name))


class Medium(Vocabulary):
    LABELS = {
        "print": _("Print"),
        "television": _("Television"),
        "radio": _("Radio"),
        "online": _("Internet"),
    }

    class Meta(Vocabulary.Meta):
        verbose_name = _("medium")
        verbose_name_plural = _("media")


class Beat(Vocabulary):
    LABELS = {
        "politics": _("Politics"),
        "crime": _("Crime"),
        "corruption": _("Corruption"),
        "human-rights": _("Human rights"),
        "war": _("War"),
        "environment": _("Environment"),
    }

    class Meta(Vocabulary.Meta):
        verbose_name = _("beat")
        verbose_name_plural = _("beats")


class Perpetrator(Vocabulary):
    LABELS = {
        "criminal-group": _("Criminal group"),
        "government-officials": _("Government officials"),
        "military": _("Military officials"),
        "political-group": _("Political group"),
        "local-residents": _("Local residents"),
        "unknown": _("Unknown"),
    }

    class Meta(Vocabulary.Meta):
        verbose_name = _("suspected perpetrator")
        verbose_name_plural = _("suspected perpetrators")


# Case.is_unresolved, kept by Case.save() from compute_unresolved(): every count of unresolved
# cases (pages, API, reminders, figures) filters with this and nothing else.
UNRESOLVED = Q(is_unresolved=True)


class CaseQuerySet(models.QuerySet):
    def published(self):
        return self.filter(is_published=True)

    def unresolved(self):
        """Cases no one has been convicted for: the one meaning of "unresolved" on every page
        (the rule is compute_unresolved(), explained to readers by UNRESOLVED_RULE)."""
        return self.filter(UNRESOLVED)

    def in_country(self, code: str):
        return self.filter(country=code.upper())

    def for_cards(self):
        """What a case card shows, in a fixed number of queries."""
        return self.select_related("incident").only(
            "full_name",
            "slug",
            "country",
            "place",
            "date_of_death",
            "date_precision",
            "year",
            "role",
            "outlets",
            "impunity",
            "unesco_status",
            "is_unresolved",
            "incident__name",
        )


class DatePrecision(models.TextChoices):
    DAY = "day", _("Day")
    MONTH = "month", _("Month")
    YEAR = "year", _("Year only")
    UNKNOWN = "unknown", _("Unknown")


class Case(models.Model):
    class Role(models.TextChoices):
        JOURNALIST = "journalist", _("Journalist")
        MEDIA_WORKER = "media_worker", _("Media worker")
        CITIZEN_JOURNALIST = "citizen_journalist", _("Citizen journalist")

    class Gender(models.TextChoices):
        FEMALE = "female", _("Female")
        MALE = "male", _("Male")
        OTHER = "other", _("Other")
        UNKNOWN = "unknown", _("Unknown")

    class Employment(models.TextChoices):
        STAFF = "staff", _("Staff")
        FREELANCE = "freelance", _("Freelance")
        UNKNOWN = "unknown", _("Unknown")

    class Origin(models.TextChoices):
        LOCAL = "local", _("Local")
        FOREIGN = "foreign", _("Foreign")
        UNKNOWN = "unknown", _("Unknown")

    class TypeOfDeath(models.TextChoices):
        MURDER = "murder", _("Murder")
        CROSSFIRE = "crossfire", _("Crossfire")
        DANGEROUS_ASSIGNMENT = "dangerous_assignment", _("Dangerous assignment")
        UNKNOWN = "unknown", _("Unknown")

    class Impunity(models.TextChoices):
        """CPJ's impunity status, recorded for murders."""

        COMPLETE = "complete", _("Complete impunity")
        PARTIAL = "partial", _("Partial impunity")
        FULL_JUSTICE = "full_justice", _("Full justice")
        __empty__ = _("Not recorded")

    class UnescoStatus(models.TextChoices):
        """The state's answer to UNESCO on the judicial inquiry."""

        RESOLVED = "resolved", _("Resolved")
        KILLERS_IDENTIFIED = "killers_identified", _("Killer(s) identified")
        ONGOING = "ongoing", _("Ongoing / unresolved")
        ARCHIVED = "archived", _("Unresolved – archived")
        NO_INFORMATION = "no_information", _("No information received")
        __empty__ = _("Not recorded")

    incident = models.ForeignKey(
        Incident,
        verbose_name=_("incident"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="cases",
    )
    full_name = models.CharField(_("full name"), max_length=200)
    sort_name = models.CharField(_("sort name"), max_length=200, blank=True)
    slug = models.SlugField(_("slug"), max_length=220, unique=True)
    gender = models.CharField(
        _("gender"), max_length=10, choices=Gender.choices, default=Gender.UNKNOWN
    )
    nationalities = CountryField(_("nationalities"), multiple=True, blank=True)
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.JOURNALIST)
    employment = models.CharField(
        _("staff or freelance"),
        max_length=10,
        choices=Employment.choices,
        default=Employment.UNKNOWN,
    )
    origin = models.CharField(
        _("local or foreign"), max_length=10, choices=Origin.choices, default=Origin.UNKNOWN
    )
    media = models.ManyToManyField(Medium, verbose_name=_("media"), blank=True)
    beats = models.ManyToManyField(Beat, verbose_name=_("beats covered"), blank=True)
    jobs = models.CharField(_("jobs"), max_length=300, blank=True)
    outlets = models.CharField(_("outlets"), max_length=300, blank=True)

    date_of_death = models.DateField(
        _("date of death"),
        null=True,
        blank=True,
        help_text=_("When only the month or year is known, the first day of it."),
    )
    date_precision = models.CharField(
        _("date known to the"),
        max_length=10,
        choices=DatePrecision.choices,
        default=DatePrecision.DAY,
    )
    year = models.PositiveSmallIntegerField(_("year"), null=True, blank=True, db_index=True)
    country = CountryField(_("country"), db_index=True)
    place = models.CharField(_("place"), max_length=200, blank=True)

    type_of_death = models.CharField(
        _("type of death"),
        max_length=25,
        choices=TypeOfDeath.choices,
        default=TypeOfDeath.UNKNOWN,
    )
    motive_confirmed = models.BooleanField(_("motive confirmed"), null=True, blank=True)
    perpetrators = models.ManyToManyField(
        Perpetrator, verbose_name=_("suspected perpetrators"), blank=True
    )
    threatened = models.BooleanField(_("threatened before"), null=True, blank=True)
    captive = models.BooleanField(_("held captive"), null=True, blank=True)
    tortured = models.BooleanField(_("tortured"), null=True, blank=True)
    conflict_zone = models.BooleanField(_("in a conflict zone"), null=True, blank=True)

    impunity = models.CharField(
        _("impunity (CPJ)"), max_length=15, choices=Impunity.choices, blank=True
    )
    unesco_status = models.CharField(
        _("judicial inquiry (state's answer to UNESCO)"),
        max_length=20,
        choices=UnescoStatus.choices,
        blank=True,
    )
    resolved_on = models.DateField(_("date of resolution"), null=True, blank=True)
    is_unresolved = models.BooleanField(_("unresolved"), default=True, editable=False)

    summary = models.TextField(_("summary"), blank=True)
    # Cells of the source row the importer did not understand, as written ({"typeOfDeath":
    # "Poisoned"}): kept so that nothing is lost while an admin adds a value alias for them.
    raw_values = models.JSONField(_("values as imported, not understood"), default=dict, blank=True)
    is_published = models.BooleanField(_("published"), default=False, db_index=True)
    last_reviewed = models.DateField(_("last reviewed"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    # Kept by a PostgreSQL trigger (migration 0002) and GIN-indexed; unused on SQLite.
    search_vector = SearchVectorField(null=True, editable=False)

    objects = CaseQuerySet.as_manager()

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["-date_of_death", "sort_name"]
        indexes = [
            # A country's figures (cases.figures.country_figures) read from this index alone,
            # not from the table: every column they count or group by is in it (the id too).
            models.Index(
                fields=["country", "year", "impunity", "unesco_status", "is_unresolved", "id"],
                condition=models.Q(is_published=True),
                name="case_country_figures",
            ),
            models.Index(fields=["is_published", "is_unresolved"]),
            # Plus, on PostgreSQL only, the newest-first indexes of migrations 0003 and 0008.
        ]

    def __str__(self):
        return self.full_name

    def save(self, *args, **kwargs):
        self.full_name = " ".join(self.full_name.split())
        if not self.sort_name:
            self.sort_name = self.full_name
        if self.date_of_death and not self.year:
            self.year = self.date_of_death.year
        if not self.slug:
            self.slug = unique_case_slug(self.full_name, self.year)
        self.is_unresolved = compute_unresolved(self.impunity, self.unesco_status)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and {"impunity", "unesco_status"} & set(update_fields):
            kwargs["update_fields"] = set(update_fields) | {"is_unresolved"}
        super().save(*args, **kwargs)
        record_status_changes([self])

    def get_absolute_url(self):
        return reverse("cases:detail", args=[self.country.code.lower(), self.slug])

    @classmethod
    def from_db(cls, db, field_names, values):
        case = super().from_db(db, field_names, values)
        # The status as loaded, so that a save that changes it leaves a CaseStatusChange row.
        if {"impunity", "unesco_status"} <= set(field_names):
            case._status_at_load = case.status_key
        return case

    @property
    def status_key(self) -> str:
        """The public judicial status shown on the status badge."""
        if not self.is_unresolved:
            return "justice"
        if self.impunity == self.Impunity.PARTIAL:
            return "partial"
        if self.unesco_status == self.UnescoStatus.NO_INFORMATION:
            return "noinfo"
        return "unresolved"

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status_key]

    # What a case card (templates/cases/includes/case_card.html) shows, from for_cards()'s fields.
    CARD_FIELDS = (
        "pk", "slug", "full_name", "role", "outlets", "country", "place",
        "date_of_death", "date_precision", "year", "status_key",
    )  # fmt: skip

    @property
    def card_key(self) -> tuple:
        """The key of this case's card in the "fragments" cache: all it shows, in this language
        ({% cache %} hashes it). A list page renders 24 cards, a third of its time."""
        return (get_language(), *(getattr(self, name) for name in self.CARD_FIELDS))


STATUS_LABELS = {
    "justice": _("Justice done"),
    "partial": _("Partial justice"),
    "noinfo": _("No information from the state"),
    "unresolved": _("Unresolved"),
}


def record_status_changes(cases) -> int:
    """A CaseStatusChange for each loaded case whose public status changed since it was loaded.

    Case.save() calls it; so do the importers after their bulk updates (no save() there).
    """
    changes = []
    for case in cases:
        before = getattr(case, "_status_at_load", None)
        if before is not None and before != case.status_key:
            changes.append(
                CaseStatusChange(case_id=case.pk, from_status=before, to_status=case.status_key)
            )
        case._status_at_load = case.status_key
    CaseStatusChange.objects.bulk_create(changes)
    return len(changes)


class CaseStatusChange(models.Model):
    """A case's public judicial status changed (what signers hear about, and the yearly update)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(max_length=12)
    to_status = models.CharField(max_length=12)
    changed_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("judicial status change")
        verbose_name_plural = _("judicial status changes")
        ordering = ["changed_at", "pk"]

    def __str__(self):
        return f"{self.case_id}: {self.from_status} → {self.to_status}"

    @property
    def from_label(self):
        return STATUS_LABELS.get(self.from_status, self.from_status)

    @property
    def to_label(self):
        return STATUS_LABELS.get(self.to_status, self.to_status)


def compute_unresolved(impunity: str, unesco_status: str) -> bool:
    """The public "unresolved" rule, explained to readers by UNRESOLVED_RULE."""
    return not (
        impunity == Case.Impunity.FULL_JUSTICE or unesco_status == Case.UnescoStatus.RESOLVED
    )


UNRESOLVED_RULE = _(
    "A case counts as unresolved unless the state told UNESCO it is resolved or CPJ records "
    "full justice (everyone responsible, including those who ordered the killing, convicted). "
    "Partial justice counts as unresolved."
)

RESOLVED_FILTER = Q(impunity=Case.Impunity.FULL_JUSTICE) | Q(
    unesco_status=Case.UnescoStatus.RESOLVED
)


def case_slug_base(full_name: str, year: int | None) -> str:
    """A case's slug before any -2, -3 suffix: its name in ASCII, then the year."""
    base = slugify(full_name, allow_unicode=False)[:180] or "case"
    return f"{base}-{year}" if year else base


def unique_case_slug(full_name: str, year: int | None) -> str:
    base = case_slug_base(full_name, year)
    slug, n = base, 2
    while Case.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


class CaseSource(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="sources")
    url = models.URLField(_("URL"), max_length=500)
    title = models.CharField(_("title"), max_length=300, blank=True)
    publisher = models.CharField(_("publisher"), max_length=200, blank=True)
    published_on = models.DateField(_("date"), null=True, blank=True)

    class Meta:
        verbose_name = _("source")
        verbose_name_plural = _("sources")
        ordering = ["published_on", "id"]

    def __str__(self):
        return self.title or self.url


class ExternalId(models.Model):
    """A case's identifier in an outside data set, so that a re-import updates it."""

    class Source(models.TextChoices):
        NATIVE = "native", "IDEI"
        CPJ = "cpj", "CPJ"
        UNESCO = "unesco", "UNESCO"

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="external_ids")
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    value = models.CharField(_("identifier"), max_length=200)

    class Meta:
        verbose_name = _("external identifier")
        verbose_name_plural = _("external identifiers")
        constraints = [
            models.UniqueConstraint(fields=["source", "value"], name="unique_external_id")
        ]

    def __str__(self):
        return f"{self.source}:{self.value}"


class CaseEvent(models.Model):
    """A dated judicial development on a case's timeline."""

    class Kind(models.TextChoices):
        INVESTIGATION = "investigation", _("Investigation opened")
        ARREST = "arrest", _("Arrest")
        CHARGES = "charges", _("Charges")
        TRIAL = "trial", _("Trial")
        CONVICTION = "conviction", _("Conviction")
        ACQUITTAL = "acquittal", _("Acquittal")
        APPEAL = "appeal", _("Appeal")
        ARCHIVED = "archived", _("Case archived")
        REOPENED = "reopened", _("Case reopened")
        STATE_REPLY = "state_reply", _("State's reply to UNESCO")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    date = models.DateField(_("date"))
    date_precision = models.CharField(
        _("date known to the"),
        max_length=10,
        choices=DatePrecision.choices,
        default=DatePrecision.DAY,
    )
    kind = models.CharField(_("what happened"), max_length=20, choices=Kind.choices)
    description = models.TextField(_("description"), blank=True)
    source_url = models.URLField(_("source URL"), max_length=500, blank=True)
    source_title = models.CharField(_("source"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("judicial event")
        verbose_name_plural = _("judicial events")
        ordering = ["date", "id"]

    def __str__(self):
        return f"{self.date} {self.get_kind_display()}"


class CountryAlias(models.Model):
    """A country name as outside data sets write it ("UK", "Ivory Coast"), mapped to ISO 3166.

    A blank country means an admin must decide (ambiguous, or a former state such as
    Yugoslavia): rows that use it wait in the review queue.
    """

    name = models.CharField(
        _("name as written"),
        max_length=120,
        unique=True,
        help_text=_("Stored case-folded with single spaces."),
    )
    country = CountryField(_("country"), blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("country alias")
        verbose_name_plural = _("country aliases")
        ordering = ["name"]

    def __str__(self):
        return f"{self.name} → {self.country.code or '?'}"

    def save(self, *args, **kwargs):
        self.name = " ".join(self.name.casefold().split())
        super().save(*args, **kwargs)


class ValueAlias(models.Model):
    """A spelling a data set uses for a value ("Freelancer", "N/A"), mapped to the value we store.

    Like country aliases: an unknown value seen in an import appears here with no value, and an
    admin fills it in; the next import then understands it.
    """

    class Field(models.TextChoices):
        GENDER = "gender", _("gender")
        ROLE = "role", _("role")
        EMPLOYMENT = "employment", _("staff or freelance")
        ORIGIN = "origin", _("local or foreign")
        TYPE_OF_DEATH = "type_of_death", _("type of death")
        IMPUNITY = "impunity", _("impunity (CPJ)")
        JOBS = "jobs", _("jobs")
        OUTLETS = "outlets", _("outlets")

    field = models.CharField(_("field"), max_length=20, choices=Field.choices)
    name = models.CharField(
        _("value as written"),
        max_length=200,
        help_text=_("Compared without case, accents, punctuation or spacing."),
    )
    value = models.CharField(
        _("stored as"),
        max_length=200,
        blank=True,
        help_text=_(
            "For a field with fixed choices, one of its codes; otherwise the spelling to keep. "
            "Blank: not decided yet (the value is kept as written and reported)."
        ),
    )
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("value alias")
        verbose_name_plural = _("value aliases")
        ordering = ["field", "name"]
        constraints = [models.UniqueConstraint(fields=["field", "name"], name="unique_value_alias")]

    def __str__(self):
        return f"{self.field}: {self.name} → {self.value or '?'}"

    def save(self, *args, **kwargs):
        self.name = alias_key(self.name)
        super().save(*args, **kwargs)

    def clean(self):
        choices = VALUE_ALIAS_CHOICES.get(self.field)
        if self.value and choices is not None and self.value not in choices:
            raise ValidationError(
                {
                    "value": _("Use one of the codes: %(codes)s.")
                    % {"codes": ", ".join(sorted(choices))}
                }
            )


VALUE_ALIAS_CHOICES = {
    "gender": {v for v, _label in Case.Gender.choices},
    "role": {v for v, _label in Case.Role.choices},
    "employment": {v for v, _label in Case.Employment.choices},
    "origin": {v for v, _label in Case.Origin.choices},
    "type_of_death": {v for v, _label in Case.TypeOfDeath.choices},
    "impunity": {v for v, _label in Case.Impunity.choices if v},
}


def alias_key(value: str) -> str:
    """A value as compared: "Broadcast  Reporter", "broadcast-reporter" → "broadcast reporter"."""
    decomposed = unicodedata.normalize("NFKD", value.casefold())
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(re.sub(r"[\W_]+", " ", stripped).split())[:200]


class ImportRun(models.Model):
    """One run of the case importer, with its report."""

    class Format(models.TextChoices):
        NATIVE = "native", "IDEI"
        CPJ = "cpj", "CPJ"
        UNESCO = "unesco", "UNESCO"

    format = models.CharField(_("format"), max_length=10, choices=Format.choices)
    file_name = models.CharField(_("file"), max_length=255)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("started by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
    )
    started_at = models.DateTimeField(_("started"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    dry_run = models.BooleanField(_("dry run"), default=False)
    publish = models.BooleanField(_("publish imported cases"), default=False)
    # {"new": n, "updated": n, "unchanged": n, "review": n, "errors": n, "rows": n}
    counts = models.JSONField(_("counts"), default=dict)
    # Per-row lines: [{"line": 12, "outcome": "error", "message": "..."}], capped in length.
    report = models.JSONField(_("report"), default=list)
    # [{"column": "typeOfDeath", "value": "Poisoned", "kind": "unknown", "count": 3,
    #   "lines": [4, 9, 12]}]: values imported as written, and stray values in blank rows.
    warnings = models.JSONField(_("warnings"), default=list)

    class Meta:
        verbose_name = _("import run")
        verbose_name_plural = _("import runs")
        ordering = ["-started_at"]

    def __str__(self):
        return f"{self.get_format_display()} {self.file_name} ({self.started_at:%Y-%m-%d %H:%M})"


class ReviewItem(models.Model):
    """Something an import could not decide alone; an admin decides."""

    class Kind(models.TextChoices):
        UNKNOWN_COUNTRY = "unknown_country", _("Unknown country name")
        AMBIGUOUS_COUNTRY = "ambiguous_country", _("Ambiguous country name")
        POSSIBLE_DUPLICATE = "possible_duplicate", _("Possible duplicate")
        CONFLICT = "conflict", _("Conflicting values")

    class Decision(models.TextChoices):
        SAME_PERSON = "same", _("Same person: update the case")
        DIFFERENT_PERSON = "different", _("Different person: create a case")
        REJECTED = "rejected", _("Rejected: import nothing")
        DONE = "done", _("Decided without importing")

    run = models.ForeignKey(
        ImportRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="review_items"
    )
    case = models.ForeignKey(
        Case, null=True, blank=True, on_delete=models.CASCADE, related_name="review_items"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    line = models.PositiveIntegerField(_("line"), null=True, blank=True)
    raw = models.JSONField(_("row as imported"), default=dict)
    message = models.TextField(_("message"))
    # Who the row is about, in its source ("cpj:maria-lopez:MX:2019"): one pending item per
    # person, refreshed by later imports; a decision on it is respected by later imports.
    person_key = models.CharField(_("person"), max_length=250, blank=True, db_index=True)
    decision = models.CharField(_("decision"), max_length=10, choices=Decision.choices, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("review item")
        verbose_name_plural = _("review queue")
        ordering = ["resolved_at", "-created_at"]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.message[:60]}"
