"""The row pipeline every format shares: parse, match, compare, write in bulk, report.

A format (cpj.py, unesco.py, native.py) only says how its columns map to case fields and how a
row is identified. Everything else happens here, in one transaction: a refused file or a dry run
leaves the database exactly as it was.
"""

import datetime
import difflib
import hashlib
import json
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.models import (
    Beat,
    Case,
    CountryAlias,
    DatePrecision,
    ExternalId,
    ImportRun,
    Incident,
    Medium,
    Perpetrator,
    ReviewItem,
    ValueAlias,
    case_slug_base,
    compute_unresolved,
    record_status_changes,
)

from ..figures import forget_vocabulary
from . import bulk
from .countries import CountryResolver, normalise_country_name
from .reading import ImportRefused, RawRow, Table, column_key
from .values import RowError, ValueAliases, name_key

NEW, UPDATED, UNCHANGED, REVIEW, ERROR = "new", "updated", "unchanged", "review", "error"
# A row about a person a reviewer rejected earlier: not imported, not queued again.
REJECTED = "rejected"
OUTCOMES = (NEW, UPDATED, UNCHANGED, REVIEW, REJECTED, ERROR)
# Warning kinds: a value imported as written (the row imports), a stray value in a blank row.
UNKNOWN_VALUE, STRAY_VALUE = "unknown", "stray"
WARNING_LINES = 20  # line numbers kept per warning
# Progress stages, for a terminal or the admin's progress page.
CHECKING, WRITING = "checking", "writing"
Progress = Callable[[str, int, int], None]
# ImportRun.report keeps what an admin needs to read (not the unchanged rows), within reason.
STORED_REPORT_LINES = 5000
BATCH = 1000

M2M_MODELS = {"media": Medium, "beats": Beat, "perpetrators": Perpetrator}
PRECISION_RANK = {
    DatePrecision.DAY: 0,
    DatePrecision.MONTH: 1,
    DatePrecision.YEAR: 2,
    DatePrecision.UNKNOWN: 3,
}


@dataclass
class ParsedRow:
    """One row turned into case values, before it is matched to a case."""

    line: int
    raw: dict[str, str]
    fields: dict[str, Any]  # only the fields whose columns the file has
    m2m: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # field → (slug, name)
    country_raw: str = ""
    key: str = ""  # identifier in the source (ExternalId value, or the slug for native files)
    slug: str = ""  # a native file's slug: kept for a new case when it is free
    incident_name: str | None = None
    external_ids: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    group_size: int = 1  # rows in this file with the same name, country and year
    kept: dict[str, str] = field(default_factory=dict)  # cells not understood, as written
    match: int | None = None
    add_key: bool = False  # matched without its key: record the key for next time

    @property
    def name(self) -> str:
        return self.fields.get("full_name", "")

    @property
    def person(self) -> tuple[str, str, int | None]:
        return name_key(self.name), self.fields.get("country", ""), self.fields.get("year")


@dataclass
class RowOutcome:
    line: int
    outcome: str
    name: str = ""
    case_id: int | None = None
    message: str = ""
    changes: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        data = {"line": self.line, "outcome": self.outcome, "name": self.name}
        if self.case_id:
            data["case"] = self.case_id
        if self.message:
            data["message"] = self.message
        if self.changes:
            data["changes"] = self.changes
        return data


@dataclass
class ImportReport:
    format: str
    file_name: str
    dry_run: bool
    publish: bool
    rows: list[RowOutcome] = field(default_factory=list)
    blank_rows: int = 0
    run_id: int | None = None
    # (column, value, kind) → line numbers where it was met
    warning_lines: dict[tuple[str, str, str], list[int]] = field(default_factory=dict)
    warning_counts: Counter = field(default_factory=Counter)

    def add(self, outcome: RowOutcome):
        self.rows.append(outcome)

    def warn(self, column: str, value: str, kind: str, line: int):
        key = (column, value, kind)
        self.warning_counts[key] += 1
        lines = self.warning_lines.setdefault(key, [])
        if len(lines) < WARNING_LINES:
            lines.append(line)

    @property
    def warnings(self) -> list[dict]:
        """One entry per column and value, the most frequent first."""
        return [
            {
                "column": column,
                "value": value,
                "kind": kind,
                "count": count,
                "lines": self.warning_lines[(column, value, kind)],
            }
            for (column, value, kind), count in sorted(
                self.warning_counts.items(), key=lambda item: (-item[1], item[0])
            )
        ]

    @property
    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(OUTCOMES, 0)
        for row in self.rows:
            counts[row.outcome] += 1
        counts["rows"] = len(self.rows)
        counts["blank"] = self.blank_rows
        counts["warnings"] = sum(self.warning_counts.values())
        return counts

    def lines(self, outcome: str) -> list[RowOutcome]:
        return [row for row in self.rows if row.outcome == outcome]

    def sorted_rows(self) -> list[RowOutcome]:
        return sorted(self.rows, key=lambda row: row.line)


class CaseFormat:
    """How one kind of file maps to cases; subclasses fill in the columns and parse()."""

    name = ""
    source = ""
    # canonical column → header spellings accepted (compared with column_key()).
    columns: dict[str, tuple[str, ...]] = {}
    required: tuple[str, ...] = ()
    country_column = "country"
    name_column = "full_name"
    never_imported: frozenset[str] = frozenset()  # column_key() of columns never stored
    # Look for a renamed case (same source, country, year, outlet, job and circumstances)
    # before creating one.
    detects_renames = False
    # Values an admin mapped (ValueAlias), set for each import by the Importer.
    aliases = ValueAliases()

    def map_header(self, header: list[str]) -> dict[str, str]:
        """Canonical column → header as written; refuses the file without a required column."""
        by_key = {}
        for written in header:
            by_key.setdefault(column_key(written), written)
        mapping = {}
        for canonical, spellings in self.columns.items():
            for spelling in (canonical, *spellings):
                if column_key(spelling) in by_key:
                    mapping[canonical] = by_key[column_key(spelling)]
                    break
        missing = [column for column in self.required if column not in mapping]
        if missing:
            found = ", ".join(h for h in header[:15] if h) or "—"
            raise ImportRefused(
                _(
                    "This file does not have the columns a %(format)s file must have: missing "
                    "%(missing)s (columns found: %(found)s). Is it the right format?"
                )
                % {"format": self.label, "missing": ", ".join(missing), "found": found}
            )
        return mapping

    @property
    def label(self) -> str:
        return dict(ImportRun.Format.choices)[self.name]

    def parse(self, row: RawRow, resolver: CountryResolver) -> ParsedRow:
        raise NotImplementedError

    def assign_keys(self, rows: list[ParsedRow]):
        """Give each row its identifier in the source (default: name, country, year)."""
        groups = defaultdict(list)
        for row in rows:
            groups[row.person].append(row)
        for (person_name, country, year), group in groups.items():
            base = f"{person_name}:{country}:{year or ''}"
            for row in group:
                row.group_size = len(group)
            if len(group) == 1:
                group[0].key = group[0].key or base
                continue
            disambiguate(base, group)

    def key_index(self, rows: list[ParsedRow]) -> dict[str, int]:
        """Identifier → case id for every case already imported from this source (one query)."""
        return dict(ExternalId.objects.filter(source=self.source).values_list("value", "case_id"))

    records_external_ids = True


def disambiguate(base: str, group: list[ParsedRow]):
    """Two people with the same name, country and year: tell them apart by what differs.

    The exact date first, then the place, then the outlets; only when nothing differs, the
    order in the file (less stable, so the last resort).
    """
    criteria = (
        lambda r: (
            r.fields.get("date_of_death").isoformat()
            if r.fields.get("date_of_death") and r.fields.get("date_precision") == DatePrecision.DAY
            else ""
        ),
        lambda r: name_key(r.fields.get("place", "")),
        lambda r: name_key(r.fields.get("outlets", "")),
    )
    for criterion in criteria:
        values = [criterion(row) for row in group]
        if all(values) and len(set(values)) == len(values):
            for row, value in zip(group, values, strict=True):
                row.key = row.key or f"{base}:{value}"[:200]
            return
    # Nothing tells them apart: rows identical in every column are different people (CPJ lists
    # unnamed victims of one attack so), keyed by their occurrence number among the rows that
    # look alike, so that a re-import finds each again and never merges or adds one.
    signatures = [
        hashlib.sha256(json.dumps([criterion(row) for criterion in criteria]).encode()).hexdigest()[
            :8
        ]
        for row in group
    ]
    alike = len(set(signatures)) == 1
    occurrences: Counter = Counter()
    for row, signature in zip(group, signatures, strict=True):
        occurrences[signature] += 1
        number = occurrences[signature]
        prefix = base if alike else f"{base}:{signature}"
        row.key = row.key or (prefix if number == 1 else f"{prefix}:{number}")[:200]


@dataclass
class KnownCase:
    """What matching needs to know about a case already in the database."""

    id: int
    date: datetime.date | None
    precise: bool
    place: str
    outlets: str
    name: str = ""  # name_key() of the full name
    jobs: str = ""
    type_of_death: str = ""


def similar_names(a: str, b: str) -> bool:
    """Close enough to be a corrected spelling ("Jon Smith" / "John Smith"), not another person."""
    return difflib.SequenceMatcher(None, a, b).ratio() >= 0.8


def compatible(row: ParsedRow, known: KnownCase) -> bool:
    """Could this row describe this case? Strict when the file has namesakes."""
    date = row.fields.get("date_of_death")
    precise = row.fields.get("date_precision") == DatePrecision.DAY
    if precise and known.precise and date != known.date:
        return False
    if row.group_size == 1:
        return True
    return bool(
        (precise and known.precise and date == known.date)
        or (row.fields.get("place") and name_key(row.fields["place"]) == known.place)
        or (row.fields.get("outlets") and name_key(row.fields["outlets"]) == known.outlets)
    )


def probably_renamed(row: ParsedRow, known: KnownCase) -> bool:
    """The same person under a corrected spelling: same outlet, job and circumstances.

    CPJ gives only the year for many cases, so the date counts only when both are exact. The
    caller has already checked the country, the year, and that the case left the file.
    """
    date = row.fields.get("date_of_death")
    exact = row.fields.get("date_precision") == DatePrecision.DAY and known.precise
    if exact and date != known.date:
        return False
    for mine, theirs in (
        (name_key(row.fields.get("outlets", "")), known.outlets),
        (name_key(row.fields.get("jobs", "")), known.jobs),
        (row.fields.get("type_of_death", ""), known.type_of_death),
    ):
        if mine and theirs and mine != theirs:
            return False
    return similar_names(row.person[0], known.name)


def display(field_name: str, value) -> str:
    """A value as the report shows it: choice labels, ISO dates, yes/no."""
    if value is None or value == "" or value == []:
        return ""
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {v}" for k, v in value.items())[:200]
    model_field = Case._meta.get_field(field_name)
    if model_field.choices and not field_name.startswith(("country", "nationalities")):
        return str(dict(model_field.choices).get(value, value))
    return str(value)[:200]


def field_label(field_name: str) -> str:
    return str(Case._meta.get_field(field_name).verbose_name)


def current_value(case: Case, field_name: str):
    value = getattr(case, field_name)
    if field_name == "country":
        return value.code if value else ""
    if field_name == "nationalities":
        return [country.code for country in value]
    return value


class Importer:
    """Runs one file (or a few rows from the review queue) through the pipeline."""

    def __init__(
        self,
        fmt: CaseFormat,
        report: ImportReport,
        run: ImportRun,
        *,
        publish: bool,
        user=None,
        forced_matches: dict[int, int] | None = None,
        force_new: set[int] | frozenset = frozenset(),
    ):
        self.fmt, self.report, self.run = fmt, report, run
        self.publish, self.user = publish, user
        self.forced_matches = forced_matches or {}
        self.force_new = force_new
        self.resolver = CountryResolver()
        self.reviews: list[ReviewItem] = []
        self.pending_aliases: dict[str, str] = {}
        self.queued_keys: Counter = Counter()
        self.fmt.aliases = ValueAliases.load()
        self.headers: dict[str, str] = {}  # canonical column → header as written
        self.progress: Progress = lambda stage, done, total: None

    # -- Parse -----------------------------------------------------------------------------

    def parse_rows(self, rows: list[RawRow]) -> list[ParsedRow]:
        parsed = []
        for number, row in enumerate(rows, start=1):
            if number % 500 == 0:
                self.progress(CHECKING, number, len(rows))
            if row.is_blank():
                self.report.blank_rows += 1
                continue
            if not any(row.values.get(column, "").strip() for column in self.fmt.required):
                # Blank but for a stray value (a number left in a column at the end of a sheet):
                # skipped as blank, the value reported.
                self.report.blank_rows += 1
                for header, value in row.raw.items():
                    if value.strip():
                        self.report.warn(
                            header, " ".join(value.split())[:200], STRAY_VALUE, row.line
                        )
                continue
            try:
                result = self.fmt.parse(row, self.resolver)
            except RowError as error:
                name = row.values.get(self.fmt.name_column, "")
                self.report.add(
                    RowOutcome(row.line, ERROR, " ".join(name.split()), None, str(error))
                )
                continue
            if not result.country_raw.strip():
                # With the name and the year, the country identifies the person: an error.
                self.report.add(
                    RowOutcome(row.line, ERROR, result.name, None, _("The country is empty."))
                )
                continue
            country = self.resolver.resolve(result.country_raw)
            if not country.code:
                self.review(result, country.review_kind, country.message)
                if result.country_raw.strip():
                    self.pending_aliases[normalise_country_name(result.country_raw)] = (
                        result.country_raw
                    )
                continue
            result.fields["country"] = country.code
            if result.kept:
                written = {
                    self.headers.get(column, column): value for column, value in result.kept.items()
                }
                result.kept = written
                result.fields["raw_values"] = written
                for header, value in written.items():
                    self.report.warn(header, value, UNKNOWN_VALUE, row.line)
            parsed.append(result)
        self.progress(CHECKING, len(rows), len(rows))
        return parsed

    def review(self, row: ParsedRow, kind: str, message: str, case_id: int | None = None):
        # The row is kept to be imported later, minus what is never imported (photos).
        raw = {
            header: value
            for header, value in row.raw.items()
            if column_key(header) not in self.fmt.never_imported
        }
        self.reviews.append(
            ReviewItem(
                run=self.run,
                case_id=case_id,
                kind=kind,
                line=row.line,
                raw=raw,
                message=message,
                person_key=self.queued_person_key(row),
            )
        )
        self.report.add(RowOutcome(row.line, REVIEW, row.name, case_id, message))

    def queued_person_key(self, row: ParsedRow) -> str:
        """The person key of a review item: identical rows (different people) are numbered."""
        key = self.person_key(row)
        self.queued_keys[key] += 1
        number = self.queued_keys[key]
        return key if number == 1 else f"{key}:{number}"[:250]

    def person_key(self, row: ParsedRow) -> str:
        """Who a row is about, in its source: the key, else name, country as written and year."""
        key = row.key or ":".join(
            (
                name_key(row.name),
                normalise_country_name(row.country_raw),
                str(row.fields.get("year") or ""),
            )
        )
        return f"{self.fmt.source}:{key}"[:250]

    # -- Match -----------------------------------------------------------------------------

    def match(self, rows: list[ParsedRow]) -> list[ParsedRow]:
        """Find each row's case: its key, else the same person, else (maybe) a renamed case."""
        rows = self.drop_duplicates(rows)
        rows = self.drop_rejected(rows)
        keys = self.fmt.key_index(rows)
        claimed: set[int] = set()
        unmatched = []
        for row in rows:
            if row.line in self.force_new:
                continue
            case_id = self.forced_matches.get(row.line) or keys.get(row.key)
            if case_id and case_id not in claimed:
                row.match = case_id
                row.add_key = row.key not in keys
                claimed.add(case_id)
            else:
                unmatched.append(row)
        if not unmatched:
            return rows
        people: dict[tuple, list[KnownCase]] = defaultdict(list)
        by_year: dict[tuple, list[KnownCase]] = defaultdict(list)
        for (
            case_id,
            full_name,
            country,
            year,
            date,
            precision,
            place,
            outlets,
            jobs,
            type_of_death,
        ) in Case.objects.values_list(
            "id",
            "full_name",
            "country",
            "year",
            "date_of_death",
            "date_precision",
            "place",
            "outlets",
            "jobs",
            "type_of_death",
        ).iterator(chunk_size=5000):
            known = KnownCase(
                case_id,
                date,
                precision == DatePrecision.DAY,
                name_key(place),
                name_key(outlets),
                name_key(full_name),
                name_key(jobs),
                type_of_death,
            )
            people[(known.name, country, year)].append(known)
            by_year[(country, year)].append(known)
        source_cases = set(keys.values())
        held = set()
        for row in unmatched:
            candidates = [
                known
                for known in people.get(row.person, [])
                if known.id not in claimed and compatible(row, known)
            ]
            if len(candidates) == 1:
                row.match = candidates[0].id
                row.add_key = True
                claimed.add(row.match)
            elif len(candidates) > 1:
                held.add(row.line)
                self.review(
                    row,
                    ReviewItem.Kind.POSSIBLE_DUPLICATE,
                    _("%(count)s cases already have this name, country and year; which one is it?")
                    % {"count": len(candidates)},
                    candidates[0].id,
                )
        if self.fmt.detects_renames:
            for row in unmatched:
                if row.match or row.line in held or row.line in self.force_new:
                    continue
                renamed = [
                    known
                    for known in by_year.get((row.fields["country"], row.fields.get("year")), [])
                    if known.id in source_cases
                    and known.id not in claimed
                    and probably_renamed(row, known)
                ]
                if renamed:
                    held.add(row.line)
                    claimed.add(renamed[0].id)
                    self.review(
                        row,
                        ReviewItem.Kind.POSSIBLE_DUPLICATE,
                        _(
                            "A case imported earlier from this source, no longer in this file, "
                            "has the same country, year, outlet, job and circumstances but "
                            "another spelling of the name: is it the same person?"
                        ),
                        renamed[0].id,
                    )
        return [row for row in rows if row.line not in held]

    def drop_rejected(self, rows: list[ParsedRow]) -> list[ParsedRow]:
        """Rows about a person a reviewer rejected: reported, neither imported nor queued."""
        # Rejections are few: all of them in one query, rather than 20,000 keys in an IN list.
        rejected = set(
            ReviewItem.objects.filter(decision=ReviewItem.Decision.REJECTED).values_list(
                "person_key", flat=True
            )
        )
        if not rejected:
            return rows
        kept = []
        for row in rows:
            if self.person_key(row) in rejected:
                self.report.add(
                    RowOutcome(
                        row.line,
                        REJECTED,
                        row.name,
                        None,
                        _("Rejected earlier in the review queue; not imported."),
                    )
                )
            else:
                kept.append(row)
        return kept

    def drop_duplicates(self, rows: list[ParsedRow]) -> list[ParsedRow]:
        self.fmt.assign_keys(rows)
        first_line: dict[str, int] = {}
        kept = []
        for row in rows:
            if row.key in first_line:
                self.report.add(
                    RowOutcome(
                        row.line,
                        ERROR,
                        row.name,
                        None,
                        _("The same case as line %(line)s (same identifier); skipped.")
                        % {"line": first_line[row.key]},
                    )
                )
                continue
            first_line[row.key] = row.line
            kept.append(row)
        return kept

    # -- Compare and write ---------------------------------------------------------------------

    def apply(self, rows: list[ParsedRow]):
        vocab = self.vocabularies(rows)
        incidents = self.incidents(rows)
        matched_ids = [row.match for row in rows if row.match]
        existing = Case.objects.defer("search_vector").in_bulk(matched_ids)
        current_m2m = self.current_m2m(matched_ids)
        slugs = (
            set(Case.objects.values_list("slug", flat=True))
            if any(not row.match for row in rows)
            else set()
        )
        now = timezone.now()

        creates: list[tuple[ParsedRow, Case]] = []
        updates: list[tuple[ParsedRow, Case, list[dict]]] = []
        update_fields: set[str] = set()
        # field → ("row", line) for a new case or ("case", id) for an existing one → term ids
        m2m_writes: dict[str, dict[tuple[str, int], set[int]]] = defaultdict(dict)
        for number, row in enumerate(rows, start=1):
            if number % 500 == 0:
                self.progress(WRITING, number, len(rows))
            values = dict(row.fields)
            if row.incident_name is not None:
                values["incident_id"] = incidents.get(row.incident_name)
            new_m2m = {
                name: {vocab[name][slug] for slug, _label in terms}
                for name, terms in row.m2m.items()
            }
            if row.match is None:
                case = self.new_case(values, row, slugs)
                creates.append((row, case))
                for name, ids in new_m2m.items():
                    m2m_writes[name][("row", row.line)] = ids
                continue
            case = existing[row.match]
            changes = self.compare(case, values)
            for name, ids in new_m2m.items():
                old = current_m2m[name].get(case.id, set())
                if ids != old:
                    changes.append(self.m2m_change(name, old, ids, vocab))
                    m2m_writes[name][("case", case.id)] = ids
            scalar = [c["field"] for c in changes if c["field"] not in M2M_MODELS]
            if scalar:
                case.is_unresolved = compute_unresolved(case.impunity, case.unesco_status)
                case.updated_at = now
                update_fields.update(scalar, {"is_unresolved", "updated_at"})
            updates.append((row, case, changes))

        bulk.insert(Case, [case for _row, case in creates], with_ids=True)
        changed = [case for _row, case, changes in updates if changes]
        if update_fields:
            Case.objects.bulk_update(changed, sorted(update_fields), batch_size=500)
            record_status_changes(changed)
        self.write_m2m(m2m_writes, creates)
        self.write_external_ids(rows, creates)

        for row, case in creates:
            self.report.add(
                RowOutcome(row.line, NEW, case.full_name, case.id, "; ".join(row.notes))
            )
        for row, case, changes in updates:
            outcome = UPDATED if changes else UNCHANGED
            self.report.add(
                RowOutcome(
                    row.line, outcome, case.full_name, case.id, "; ".join(row.notes), changes
                )
            )
        self.log_history(creates, updates)

    def new_case(self, values: dict, row: ParsedRow, slugs: set[str]) -> Case:
        """A case built as Case.save() would build it: bulk_create() does not call save()."""
        case = Case(**values)
        case.full_name = " ".join(case.full_name.split())
        case.sort_name = case.sort_name or case.full_name
        if case.date_of_death and not case.year:
            case.year = case.date_of_death.year
        if row.slug and row.slug not in slugs:
            case.slug = row.slug
        else:
            base = case_slug_base(case.full_name, case.year)
            slug, n = base, 2
            while slug in slugs:
                slug, n = f"{base}-{n}", n + 1
            case.slug = slug
        slugs.add(case.slug)
        case.is_unresolved = compute_unresolved(case.impunity, case.unesco_status)
        case.is_published = self.publish
        return case

    def compare(self, case: Case, values: dict) -> list[dict]:
        """Set the row's values on the case; return what changed (field, old, new)."""
        values = dict(values)
        if "date_of_death" in values and self.keeps_precise_date(case, values):
            for name in ("date_of_death", "date_precision"):
                values.pop(name, None)
        if "full_name" in values:
            values["full_name"] = " ".join(values["full_name"].split())
            if not values.get("sort_name") and "sort_name" in values:
                values["sort_name"] = values["full_name"]
        changes = []
        for name, new in values.items():
            attribute = name.removesuffix("_id") if name == "incident_id" else name
            old = case.incident_id if name == "incident_id" else current_value(case, name)
            if old == new or (old in (None, "", {}) and new in (None, "", {})):
                continue
            if name == "nationalities" and set(old) == set(new):
                continue  # stored sorted, written in any order: a set
            setattr(case, name, new)
            label_field = "incident" if name == "incident_id" else attribute
            changes.append(
                {
                    "field": name,
                    "label": field_label(label_field),
                    "old": display(attribute, old) if name != "incident_id" else str(old or ""),
                    "new": display(attribute, new) if name != "incident_id" else str(new or ""),
                }
            )
        return changes

    @staticmethod
    def keeps_precise_date(case: Case, values: dict) -> bool:
        """A year-only date in a file does not overwrite the exact date of that same year."""
        new, precision = values.get("date_of_death"), values.get("date_precision")
        if not case.date_of_death or not new:
            return False
        if PRECISION_RANK[precision] <= PRECISION_RANK[case.date_precision]:
            return False
        if precision == DatePrecision.YEAR:
            return new.year == case.date_of_death.year
        return (new.year, new.month) == (case.date_of_death.year, case.date_of_death.month)

    def m2m_change(self, name: str, old: set[int], new: set[int], vocab) -> dict:
        names = vocab.names[name]
        return {
            "field": name,
            "label": field_label(name),
            "old": ", ".join(sorted(names.get(pk, str(pk)) for pk in old)),
            "new": ", ".join(sorted(names.get(pk, str(pk)) for pk in new)),
        }

    def vocabularies(self, rows: list[ParsedRow]) -> "Vocabularies":
        vocab = Vocabularies()
        for name, model in M2M_MODELS.items():
            wanted = {slug: label for row in rows for slug, label in row.m2m.get(name, [])}
            vocab.load(name, model, wanted)
        return vocab

    def incidents(self, rows: list[ParsedRow]) -> dict[str, int]:
        names = {row.incident_name for row in rows if row.incident_name}
        if not names:
            return {}
        found = {}
        for pk, name in Incident.objects.filter(name__in=names).values_list("id", "name"):
            found.setdefault(name, pk)
        for name in names - found.keys():
            found[name] = Incident.objects.create(name=name).id
        return found

    def current_m2m(self, case_ids: list[int]) -> dict[str, dict[int, set[int]]]:
        result: dict[str, dict[int, set[int]]] = {}
        for name, model in M2M_MODELS.items():
            through = getattr(Case, name).through
            column = f"{model._meta.model_name}_id"
            per_case: dict[int, set[int]] = defaultdict(set)
            for start in range(0, len(case_ids), 5000):
                chunk = case_ids[start : start + 5000]
                for case_id, term_id in through.objects.filter(case_id__in=chunk).values_list(
                    "case_id", column
                ):
                    per_case[case_id].add(term_id)
            result[name] = per_case
        return result

    def write_m2m(self, writes, creates):
        new_ids = {row.line: case.id for row, case in creates}
        for name, model in M2M_MODELS.items():
            through = getattr(Case, name).through
            column = f"{model._meta.model_name}_id"
            replaced = [pk for kind, pk in writes[name] if kind == "case"]
            for start in range(0, len(replaced), 5000):
                through.objects.filter(case_id__in=replaced[start : start + 5000]).delete()
            links = [
                (new_ids[pk] if kind == "row" else pk, term)
                for (kind, pk), terms in writes[name].items()
                for term in terms
            ]
            bulk.insert_pairs(through, ("case_id", column), links)

    def write_external_ids(self, rows: list[ParsedRow], creates):
        """The row's key (so that the next import finds the case) and any ids the row carries."""
        new_ids = {row.line: case.id for row, case in creates}
        keys, carried = [], []
        for row in rows:
            case_id = row.match or new_ids.get(row.line)
            if self.fmt.records_external_ids and row.key and (row.match is None or row.add_key):
                keys.append(ExternalId(case_id=case_id, source=self.fmt.source, value=row.key))
            carried += [ExternalId(case_id=case_id, source=s, value=v) for s, v in row.external_ids]
        bulk.insert(ExternalId, keys)  # unique by construction: matching made sure
        # An identifier a native file carries that another case already holds stays there.
        ExternalId.objects.bulk_create(carried, batch_size=BATCH, ignore_conflicts=True)

    def log_history(self, creates, updates):
        """One admin history entry per created or changed case, saying what the import did."""
        if not self.user:
            return
        content_type = ContentType.objects.get_for_model(Case)
        prefix = _("Import #%(run)s (%(format)s, %(file)s)") % {
            "run": self.run.pk,
            "format": self.fmt.label,
            "file": self.report.file_name,
        }
        entries = [
            LogEntry(
                user_id=self.user.pk,
                content_type_id=content_type.pk,
                object_id=str(case.pk),
                object_repr=str(case)[:200],
                action_flag=ADDITION,
                change_message=f"{prefix}: {_('created')}",
            )
            for _row, case in creates
        ] + [
            LogEntry(
                user_id=self.user.pk,
                content_type_id=content_type.pk,
                object_id=str(case.pk),
                object_repr=str(case)[:200],
                action_flag=CHANGE,
                change_message=f"{prefix}: "
                + "; ".join(f"{c['label']}: “{c['old']}” → “{c['new']}”" for c in changes),
            )
            for _row, case, changes in updates
            if changes
        ]
        bulk.insert(LogEntry, entries)

    def write_reviews(self):
        """One waiting item per person: a later import refreshes it with the newer row.

        An item is the same person's when it has the same person key, or (a probable rename)
        the same kind and suggested case.
        """
        by_person, by_case = {}, {}
        for item in ReviewItem.objects.filter(resolved_at=None).only(
            "id", "kind", "person_key", "case_id"
        ):
            if item.person_key:
                by_person.setdefault(item.person_key, item)
            if item.case_id and item.kind == ReviewItem.Kind.POSSIBLE_DUPLICATE:
                by_case.setdefault(item.case_id, item)
        fresh, refreshed = [], {}
        for item in self.reviews:
            waiting = by_person.get(item.person_key) or (
                by_case.get(item.case_id)
                if item.kind == ReviewItem.Kind.POSSIBLE_DUPLICATE
                else None
            )
            if waiting is None:
                by_person[item.person_key] = item
                if item.case_id and item.kind == ReviewItem.Kind.POSSIBLE_DUPLICATE:
                    by_case[item.case_id] = item
                fresh.append(item)
                continue
            if waiting.pk is None:
                continue  # twice in this file: the first row stands for the person
            for name in ("run", "case_id", "kind", "line", "raw", "message", "person_key"):
                setattr(waiting, name, getattr(item, name))
            waiting.updated_at = timezone.now()
            refreshed[waiting.pk] = waiting
        ReviewItem.objects.bulk_create(fresh, batch_size=BATCH)
        ReviewItem.objects.bulk_update(
            list(refreshed.values()),
            ["run", "case", "kind", "line", "raw", "message", "person_key", "updated_at"],
            batch_size=BATCH,
        )
        unseen = self.fmt.aliases.unseen
        if unseen:
            # Unknown values appear in the value aliases with no value, for an admin to map.
            ValueAlias.objects.bulk_create(
                [
                    ValueAlias(
                        field=field_name,
                        name=name,
                        note=_("Seen in an import: %(value)s") % {"value": written[:200]},
                    )
                    for (field_name, name), written in unseen.items()
                ],
                ignore_conflicts=True,
            )
        if self.pending_aliases:
            # Unknown names appear in the alias table with no country, for an admin to fill in.
            CountryAlias.objects.bulk_create(
                [
                    CountryAlias(name=key, note=_("Seen in an import: %(name)s") % {"name": raw})
                    for key, raw in self.pending_aliases.items()
                ],
                ignore_conflicts=True,
            )


class Vocabularies:
    """Medium, beat and perpetrator ids by slug: one query each, one insert of new terms."""

    def __init__(self):
        self.ids: dict[str, dict[str, int]] = {}
        self.names: dict[str, dict[int, str]] = {}

    def load(self, name: str, model, wanted: dict[str, str]):
        existing = dict(model.objects.values_list("slug", "id"))
        missing = [
            model(slug=slug, name=label) for slug, label in wanted.items() if slug not in existing
        ]
        if missing:
            model.objects.bulk_create(missing, ignore_conflicts=True)  # no post_save signal
            forget_vocabulary(model)
            existing = dict(model.objects.values_list("slug", "id"))
        self.ids[name] = existing
        self.names[name] = dict(model.objects.values_list("id", "name"))

    def __getitem__(self, name: str) -> dict[str, int]:
        return self.ids[name]


def import_table(
    table: Table,
    fmt: CaseFormat,
    *,
    file_name: str,
    dry_run: bool = False,
    publish: bool = False,
    user=None,
    forced_matches: dict[int, int] | None = None,
    force_new: set[int] | frozenset = frozenset(),
    progress: Progress | None = None,
) -> ImportReport:
    """Import parsed rows in one transaction; a dry run rolls everything back.

    `progress(stage, done, total)` is called every few hundred rows.
    """
    columns = fmt.map_header(table.header)
    for row in table.rows:
        row.values = {canonical: row.raw.get(header, "") for canonical, header in columns.items()}
    report = ImportReport(fmt.name, file_name, dry_run, publish)
    with transaction.atomic():
        run = ImportRun.objects.create(
            format=fmt.name,
            file_name=file_name[:255],
            started_by=user if user and user.pk else None,
            dry_run=dry_run,
            publish=publish,
        )
        importer = Importer(
            fmt,
            report,
            run,
            publish=publish,
            user=user,
            forced_matches=forced_matches,
            force_new=force_new,
        )
        importer.headers = columns
        if progress:
            importer.progress = progress
        rows = importer.parse_rows(table.rows)
        rows = importer.match(rows)
        importer.apply(rows)
        importer.write_reviews()
        run.finished_at = timezone.now()
        importer.progress(WRITING, len(rows), len(rows))
        run.counts = report.counts
        run.report = [row.as_dict() for row in report.sorted_rows() if row.outcome != UNCHANGED][
            :STORED_REPORT_LINES
        ]
        run.warnings = report.warnings[:STORED_REPORT_LINES]
        run.save(update_fields=["finished_at", "counts", "report", "warnings"])
        if dry_run:
            transaction.set_rollback(True)
        else:
            report.run_id = run.pk
    return report
