"""IDEI's own format: what the admin exports, so that an export can be edited and imported back.

One row per case; choices as their codes (English labels are accepted too), dates as
YYYY-MM-DD, YYYY-MM or YYYY according to how precisely they are known, several values in one
cell separated by commas. A case is identified by its slug.
"""

from django.db.models import Prefetch
from django.utils.translation import gettext as _

from cases.fields import NATIVE_COLUMNS
from cases.models import Case, DatePrecision, ExternalId, Medium
from idei.csv_export import inert, uninert

from .base import CaseFormat, ParsedRow
from .cpj import terms
from .reading import RawRow
from .values import (
    BEAT_TERMS,
    MEDIUM_TERMS,
    PERPETRATOR_TERMS,
    RowError,
    choice,
    choices_mapping,
    join_multi,
    limited,
    parse_date,
    split_multi,
    text,
    yes_no,
)

CHOICES = {
    "gender": choices_mapping(Case.Gender.choices),
    "role": choices_mapping(Case.Role.choices),
    "employment": choices_mapping(Case.Employment.choices),
    "origin": choices_mapping(Case.Origin.choices),
    "type_of_death": choices_mapping(Case.TypeOfDeath.choices),
    "impunity": choices_mapping(Case.Impunity.choices),
    "unesco_status": choices_mapping(Case.UnescoStatus.choices),
}
CHOICE_DEFAULTS = {"gender": "unknown", "role": "journalist", "employment": "unknown"}
CHOICE_DEFAULTS |= {"origin": "unknown", "type_of_death": "unknown"}
SOURCES = {value for value, _label in ExternalId.Source.choices}


class NativeFormat(CaseFormat):
    name = "native"
    source = ExternalId.Source.NATIVE
    columns = dict.fromkeys(NATIVE_COLUMNS, ())
    required = ("full_name", "country")
    records_external_ids = False

    def parse(self, row: RawRow, resolver) -> ParsedRow:
        v = {column: uninert(value) for column, value in row.values.items()}
        fields: dict = {"full_name": limited(text(v["full_name"]), 200, "full_name")}
        notes: list[str] = []
        if not fields["full_name"]:
            raise RowError(_("full_name is empty."))
        if "sort_name" in v:
            fields["sort_name"] = limited(text(v["sort_name"]), 200, "sort_name")
        for column, mapping in CHOICES.items():
            if column in v:
                fields[column] = choice(v[column], mapping, column, CHOICE_DEFAULTS.get(column, ""))
        if "date_of_death" in v:
            date, precision = parse_date(v["date_of_death"], "date_of_death")
            fields.update(
                date_of_death=date,
                date_precision=precision,
                year=date.year if date else None,
            )
        for column in ("resolved_on", "last_reviewed"):
            if column in v:
                fields[column] = parse_date(v[column], column)[0]
        for column in ("motive_confirmed", "threatened", "captive", "tortured", "conflict_zone"):
            if column in v:
                fields[column] = yes_no(v[column], column)
        for column, length in (("jobs", 300), ("outlets", 300)):
            if column in v:
                fields[column] = limited(join_multi(split_multi(v[column])), length, column)
        if "place" in v:
            fields["place"] = limited(text(v["place"]), 200, "place")
        if "summary" in v:
            fields["summary"] = v["summary"].strip()
        if "nationalities" in v:
            codes = []
            for name in split_multi(v["nationalities"]):
                code = resolver.code_or_none(name)
                if not code:
                    raise RowError(_("Unknown nationality “%(name)s”.") % {"name": name})
                if code not in codes:
                    codes.append(code)
            fields["nationalities"] = codes
        m2m = {}
        for column, aliases in (
            ("media", MEDIUM_TERMS),
            ("beats", BEAT_TERMS),
            ("perpetrators", PERPETRATOR_TERMS),
        ):
            if column in v:
                m2m[column] = terms(v[column], aliases)
        slug = text(v.get("slug", ""))[:220]
        return ParsedRow(
            line=row.line,
            raw=row.raw,
            fields=fields,
            m2m=m2m,
            country_raw=v["country"],
            key=slug,
            slug=slug,
            incident_name=limited(text(v["incident"]), 200, "incident")
            if "incident" in v
            else None,
            external_ids=parse_external_ids(v.get("external_ids", "")),
            notes=notes,
        )

    def assign_keys(self, rows: list[ParsedRow]):
        """The slug identifies a case; rows without one are matched by name, country and year."""
        super().assign_keys(rows)
        for row in rows:
            if not row.slug:
                row.key = "~" + row.key  # never a slug, so never found in key_index()

    def key_index(self, rows: list[ParsedRow]) -> dict[str, int]:
        slugs = [row.slug for row in rows if row.slug]
        found = {}
        for start in range(0, len(slugs), 5000):
            found.update(
                Case.objects.filter(slug__in=slugs[start : start + 5000]).values_list("slug", "id")
            )
        return found


def parse_external_ids(value: str) -> list[tuple[str, str]]:
    """ "cpj:maria-lopez:MX:2019; unesco:1234" → [("cpj", ...), ("unesco", "1234")]."""
    ids = []
    for item in value.split(";"):
        source, _sep, identifier = item.strip().partition(":")
        if source in SOURCES and identifier:
            ids.append((source, identifier[:200]))
    return ids


def date_cell(date, precision) -> str:
    if not date:
        return ""
    if precision == DatePrecision.YEAR:
        return f"{date.year:04d}"
    if precision == DatePrecision.MONTH:
        return f"{date.year:04d}-{date.month:02d}"
    return date.isoformat()


def yes_no_cell(value) -> str:
    return "" if value is None else ("yes" if value else "no")


def export_rows(cases):
    """The header and one row per case, in the native format (a fixed number of queries)."""
    cases = cases.select_related("incident").prefetch_related(
        Prefetch("media", queryset=Medium.objects.only("name")),
        "beats",
        "perpetrators",
        "external_ids",
    )
    yield list(NATIVE_COLUMNS)
    for case in cases.iterator(chunk_size=2000):
        # Inert here, not only in the CSV writer: the admin's XLSX export writes these rows too.
        yield [inert(cell) for cell in export_row(case)]


def export_row(case) -> list:
    """One case's cells, in the order of NATIVE_COLUMNS."""
    computed = {
        "nationalities": ", ".join(c.code for c in case.nationalities),
        "media": ", ".join(m.name for m in case.media.all()),
        "beats": ", ".join(b.name for b in case.beats.all()),
        "date_of_death": date_cell(case.date_of_death, case.date_precision),
        "country": case.country.code,
        "motive_confirmed": yes_no_cell(case.motive_confirmed),
        "perpetrators": ", ".join(p.name for p in case.perpetrators.all()),
        "threatened": yes_no_cell(case.threatened),
        "captive": yes_no_cell(case.captive),
        "tortured": yes_no_cell(case.tortured),
        "conflict_zone": yes_no_cell(case.conflict_zone),
        "resolved_on": case.resolved_on.isoformat() if case.resolved_on else "",
        "incident": case.incident.name if case.incident else "",
        "last_reviewed": case.last_reviewed.isoformat() if case.last_reviewed else "",
        "published": yes_no_cell(case.is_published),
        "external_ids": "; ".join(f"{e.source}:{e.value}" for e in case.external_ids.all()),
    }
    # Every other column is the case's attribute of the same name.
    return [
        computed[column] if column in computed else getattr(case, column)
        for column in NATIVE_COLUMNS
    ]
