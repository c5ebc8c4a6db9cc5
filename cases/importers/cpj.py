"""CPJ's "killed" database export, as CPJ publishes it (one row per person killed).

CPJ's export has no identifier column: a case is identified by its name, country and year (and,
for namesakes, the exact date, place or outlets). Photos are never imported (copyright).
"""

import datetime

from django.utils.translation import gettext as _

from cases.models import Case, DatePrecision, ExternalId, alias_key

from .base import CaseFormat, ParsedRow
from .reading import RawRow
from .values import (
    BEAT_TERMS,
    MEDIUM_TERMS,
    PERPETRATOR_TERMS,
    Lenient,
    RowError,
    choices_mapping,
    join_multi,
    limited,
    loose,
    parse_year,
    split_multi,
    text,
    vocabulary_term,
)

GENDERS = choices_mapping(Case.Gender.choices, {"m": "male", "f": "female"})
ROLES = choices_mapping(Case.Role.choices, {"media worker": "media_worker"})
EMPLOYMENT = choices_mapping(
    Case.Employment.choices, {"free lance": "freelance", "freelancer": "freelance"}
)
ORIGINS = choices_mapping(Case.Origin.choices)
DEATHS = choices_mapping(
    Case.TypeOfDeath.choices,
    {
        "crossfire combat related": "crossfire",
        "crossfire combat": "crossfire",
        "combat related": "crossfire",
        "dangerous assignment": "dangerous_assignment",
        # CPJ writes N/A for every unconfirmed case and every media worker.
        "n a": "unknown",
        "unknown": "unknown",
    },
)
IMPUNITY = choices_mapping(
    Case.Impunity.choices,
    {
        "complete": "complete",
        "partial": "partial",
        "partial justice": "partial",
        "full justice": "full_justice",
        "complete justice": "full_justice",
        "full": "full_justice",
    },
)
KILLED = {"killed", ""}
# Other lists of CPJ's database, never killings: a row from them is refused.
NOT_KILLED = {"imprisoned", "missing", "jailed", "released"}
# CPJ's jobs as its exports spell them; other case variants keep their first spelling.
JOB_SPELLINGS = {
    alias_key(job): job
    for job in (
        "Broadcast Reporter",
        "Camera Operator",
        "Columnist/Commentator",
        "Editor",
        "Internet Reporter",
        "Photographer",
        "Print Reporter",
        "Producer",
        "Publisher/Owner",
        "Technician",
        "Translator",
    )
}


class CpjFormat(CaseFormat):
    name = "cpj"
    source = ExternalId.Source.CPJ
    detects_renames = True
    name_column = "fullName"
    # Victims' photos are often copyrighted: never imported, not even kept in the review queue.
    never_imported = frozenset({"photourl", "photocredit"})
    columns = {
        "year": (),
        "date": ("startDisplay", "dateOfDeath", "date_of_death"),
        "combinedStatus": (),
        "fullName": ("name",),
        "sortName": (),
        "primaryNationality": (),
        "secondaryNationality": (),
        "tertiaryNationality": (),
        "gender": (),
        "type": (),
        "typeOfDeath": (),
        "status": (),
        "employedAs": (),
        "organizations": (),
        "jobs": (),
        "coverage": (),
        "mediums": (),
        "country": (),
        "location": (),
        "region": (),
        "state": (),
        "locality": (),
        "province": (),
        "localOrForeign": (),
        "sourcesOfFire": (),
        "motiveConfirmed": (),
        "impunityMurder": (),
        "tortured": (),
        "captive": (),
        "threatened": (),
    }
    required = ("fullName", "country", "year")

    def parse(self, row: RawRow, resolver) -> ParsedRow:
        """One row; only a missing name, country or year refuses it (see Lenient)."""
        v = row.values
        fields: dict = {}
        notes: list[str] = []
        cells = Lenient(self.aliases)
        fields["full_name"] = limited(text(v["fullName"]), 200, "fullName")
        if not fields["full_name"]:
            raise RowError(_("fullName is empty."))
        if "sortName" in v:
            fields["sort_name"] = shortened(text(v["sortName"]), 200, notes)
        status = loose(v.get("status", ""))
        if status in NOT_KILLED:
            raise RowError(
                _("Status is “%(status)s”: only killings are imported.") % {"status": v["status"]}
            )
        if status not in KILLED:
            cells.keep("status", v["status"])

        year = parse_year(v["year"], "year")
        date, precision = cells.date(v.get("date", ""), "date")
        if date and year and date.year != year:
            cells.keep("date", v["date"])
            date = None
        if not date and not year:
            raise RowError(_("No year and no date."))
        if not date:
            date, precision = date_from_year(year)
        fields.update(date_of_death=date, date_precision=precision, year=year or date.year)

        for column, field_name, mapping, default in (
            ("gender", "gender", GENDERS, "unknown"),
            ("type", "role", ROLES, "journalist"),
            ("typeOfDeath", "type_of_death", DEATHS, "unknown"),
            ("employedAs", "employment", EMPLOYMENT, "unknown"),
            ("localOrForeign", "origin", ORIGINS, "unknown"),
            ("impunityMurder", "impunity", IMPUNITY, ""),
        ):
            if column in v:
                fields[field_name] = cells.choice(v[column], mapping, column, field_name, default)
        if "motiveConfirmed" in v:
            fields["motive_confirmed"] = cells.yes_no(v["motiveConfirmed"], "motiveConfirmed")
        elif "combinedStatus" in v:
            fields["motive_confirmed"] = motive_from_combined_status(v["combinedStatus"])
        for column in ("tortured", "captive", "threatened"):
            if column in v:
                fields[column] = cells.yes_no(v[column], column)

        if "organizations" in v:
            outlets = self.spelled("outlets", v["organizations"], {})
            fields["outlets"] = shortened(join_multi(outlets), 300, notes)
        if "jobs" in v:
            jobs = self.spelled("jobs", v["jobs"], JOB_SPELLINGS)
            fields["jobs"] = shortened(join_multi(jobs), 300, notes)
        place = place_from(v)
        if place is not None:
            fields["place"] = shortened(place, 200, notes)

        nationality_columns = [
            c
            for c in ("primaryNationality", "secondaryNationality", "tertiaryNationality")
            if c in v
        ]
        if nationality_columns:
            codes = []
            for column in nationality_columns:
                for name in split_multi(v[column]):
                    code = resolver.code_or_none(name)
                    if code and code not in codes:
                        codes.append(code)
                    elif not code:
                        cells.keep(column, v[column])
            fields["nationalities"] = sorted(codes)

        m2m = {}
        if "mediums" in v:
            m2m["media"] = terms(v["mediums"], MEDIUM_TERMS)
        if "coverage" in v:
            m2m["beats"] = terms(v["coverage"], BEAT_TERMS)
        if "sourcesOfFire" in v:
            m2m["perpetrators"] = terms(v["sourcesOfFire"], PERPETRATOR_TERMS)
        fields["raw_values"] = cells.kept
        return ParsedRow(
            line=row.line,
            raw=row.raw,
            fields=fields,
            m2m=m2m,
            country_raw=v["country"],
            notes=notes,
            kept=cells.kept,
        )

    def spelled(self, field_name: str, cell: str, known: dict[str, str]) -> list[str]:
        """The values of a cell, each in one spelling whatever its case in this row."""
        spellings = [self.aliases.spelling(field_name, item, known) for item in split_multi(cell)]
        return list(dict.fromkeys(spellings))


def date_from_year(year: int):
    return datetime.date(year, 1, 1), DatePrecision.YEAR


def motive_from_combined_status(value: str) -> bool | None:
    value = value.casefold()
    if "unconfirmed" in value:
        return False
    if "confirmed" in value:
        return True
    return None


def place_from(v: dict) -> str | None:
    """CPJ's location, or else its locality and region columns joined ("Culiacán, Sinaloa")."""
    if "location" in v and text(v["location"]):
        return text(v["location"])
    # "region" is CPJ's world region ("Americas"), not a place.
    parts = [text(v[c]) for c in ("locality", "province", "state") if c in v]
    if not parts and "location" not in v:
        return None
    return join_multi([p for p in dict.fromkeys(parts) if p])


def terms(value: str, aliases) -> list[tuple[str, str]]:
    found: dict[str, tuple[str, str]] = {}
    for item in split_multi(value):
        slug, name = vocabulary_term(item, aliases)
        if slug:
            found.setdefault(slug, (slug, name))
    return list(found.values())


def shortened(value: str, max_length: int, notes: list[str]) -> str:
    if len(value) <= max_length:
        return value
    notes.append(_("A long value was shortened to %(max)s characters.") % {"max": max_length})
    return value[: max_length - 1].rstrip() + "…"
