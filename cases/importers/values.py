"""Cell parsers shared by the formats: dates, yes/no, choices, multi-valued cells, vocabularies."""

import calendar
import datetime
import re
import unicodedata

from django.utils.text import slugify
from django.utils.translation import gettext as _

from cases.models import DatePrecision, ValueAlias, alias_key


class RowError(Exception):
    """This row cannot be imported; the message says why (reported with the line number)."""


def text(value: str) -> str:
    """Single-spaced, trimmed: stray spaces and line breaks in names are data-entry noise."""
    return " ".join(value.split())


def limited(value: str, max_length: int, label: str) -> str:
    if len(value) > max_length:
        raise RowError(
            _("%(field)s is longer than %(max)s characters.") % {"field": label, "max": max_length}
        )
    return value


# Commas only: CPJ writes "Columnist/Commentator", "Publisher/Owner" and "Radio Free
# Europe/Radio Liberty" as single values, so a slash (or anything else) never separates.
_SEPARATORS = re.compile(r"\s*,\s*")


def split_multi(value: str) -> list[str]:
    """The values of a multi-valued cell: "Print, Internet,radio," gives three.

    Only commas separate (with or without a space; trailing commas ignored); case variants of
    one value are kept once (the first spelling wins).
    """
    seen, items = set(), []
    for item in _SEPARATORS.split(value or ""):
        item = text(item)
        key = item.casefold()
        if item and key not in seen:
            seen.add(key)
            items.append(item)
    return items


def join_multi(items: list[str]) -> str:
    return ", ".join(items)


def name_key(name: str) -> str:
    """A person's name for matching: no case, accents, punctuation or spacing differences."""
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return "-".join(re.findall(r"\w+", stripped))[:150]


def loose(value: str) -> str:
    """A choice as written, for comparison: "Complete Impunity" = "complete_impunity"."""
    return " ".join(re.sub(r"[\W_]+", " ", value.casefold()).split())


def choice(value: str, mapping: dict[str, str], label: str, blank: str | None = "") -> str:
    """The model value for a cell, whatever its case or spacing; unknown values are row errors."""
    key = loose(value)
    if not key:
        if blank is None:
            raise RowError(_("%(field)s is missing.") % {"field": label})
        return blank
    try:
        return mapping[key]
    except KeyError:
        raise RowError(
            _("Unknown value “%(value)s” for %(field)s.") % {"value": text(value), "field": label}
        ) from None


def choices_mapping(choices, extra: dict[str, str] | None = None) -> dict[str, str]:
    """Codes and English labels of a TextChoices, plus format-specific spellings."""
    mapping = {}
    for value, label in choices:
        if value:
            mapping[loose(value)] = value
            mapping[loose(str(label))] = value
    for spelling, value in (extra or {}).items():
        mapping[loose(spelling)] = value
    return mapping


_YES = {"yes", "y", "true", "1", "confirmed", "oui", "si", "sí", "x"}
_NO = {"no", "n", "false", "0", "unconfirmed", "non"}
_UNKNOWN = {"", "unknown", "n a", "na", "not known", "none"}


def yes_no(value: str, label: str) -> bool | None:
    key = loose(value)
    if key in _YES:
        return True
    if key in _NO:
        return False
    if key in _UNKNOWN:
        return None
    raise RowError(
        _("“%(value)s” is not yes, no or unknown (%(field)s).")
        % {"value": text(value), "field": label}
    )


_MONTHS = {}
for _number in range(1, 13):
    _MONTHS[calendar.month_name[_number].lower()] = _number
    _MONTHS[calendar.month_abbr[_number].lower()] = _number
_MONTHS["sept"] = 9

_ISO = re.compile(r"^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?$")
_DMY = re.compile(r"^(\d{1,2})[/.](\d{1,2})[/.](\d{4})$")
_MY = re.compile(r"^(\d{1,2})[/.](\d{4})$")
_WORDS = re.compile(r"^(?:(\d{1,2})\s+)?([a-z]+)\.?\s+(?:(\d{1,2}),?\s+)?(\d{4})$")


def parse_date(value: str, label: str) -> tuple[datetime.date | None, str]:
    """A date and how precisely it is known.

    Accepts 2019-03-02, 2019-03, 2019, 02/03/2019 (day first), 03/2019, "March 2, 2019",
    "2 March 2019", "March 2019" and "Mar. 2019". A date known only to the year or month is
    stored as its first day, with the precision saying so.
    """
    raw = text(value).lower().rstrip(".")
    if not raw:
        return None, DatePrecision.UNKNOWN
    day = month = year = None
    if m := _ISO.match(raw):
        year, month, day = (int(g) if g else None for g in m.groups())
    elif m := _DMY.match(raw):
        day, month, year = (int(g) for g in m.groups())
    elif m := _MY.match(raw):
        month, year = (int(g) for g in m.groups())
    elif (m := _WORDS.match(raw)) and m.group(2) in _MONTHS:
        day = int(m.group(1) or m.group(3)) if (m.group(1) or m.group(3)) else None
        month, year = _MONTHS[m.group(2)], int(m.group(4))
    else:
        raise RowError(
            _("“%(value)s” is not a date (%(field)s).") % {"value": text(value), "field": label}
        )
    precision = DatePrecision.DAY if day else DatePrecision.MONTH if month else DatePrecision.YEAR
    try:
        date = datetime.date(year, month or 1, day or 1)
    except ValueError:
        raise RowError(
            _("“%(value)s” is not a valid date (%(field)s).")
            % {"value": text(value), "field": label}
        ) from None
    if not 1900 <= date.year <= datetime.date.today().year + 1:
        raise RowError(
            _("Year %(year)s is out of range (%(field)s).") % {"year": date.year, "field": label}
        )
    return date, precision


def parse_year(value: str, label: str) -> int | None:
    raw = text(value)
    if not raw:
        return None
    if not re.fullmatch(r"\d{4}(\.0)?", raw):
        raise RowError(_("“%(value)s” is not a year (%(field)s).") % {"value": raw, "field": label})
    year = int(raw[:4])
    if not 1900 <= year <= datetime.date.today().year + 1:
        raise RowError(
            _("Year %(year)s is out of range (%(field)s).") % {"year": year, "field": label}
        )
    return year


def vocabulary_term(value: str, aliases: dict[str, tuple[str, str]]) -> tuple[str, str]:
    """(slug, name) of a medium, beat or perpetrator: known spellings map to one code."""
    key = loose(value)
    if key in aliases:
        return aliases[key]
    slug = slugify(value)[:60] or slugify(value, allow_unicode=True)[:60]
    name = text(value)
    if name.isupper() or name.islower():  # "LOCAL RESIDENTS", "local residents"
        name = name.capitalize()
    return slug, name[:100]


MEDIUM_TERMS = {
    "print": ("print", "Print"),
    "newspaper": ("print", "Print"),
    "internet": ("online", "Internet"),
    "online": ("online", "Internet"),
    "web": ("online", "Internet"),
    "television": ("television", "Television"),
    "tv": ("television", "Television"),
    "radio": ("radio", "Radio"),
}
BEAT_TERMS = {
    "human rights": ("human-rights", "Human rights"),
}
PERPETRATOR_TERMS = {
    "military officials": ("military", "Military officials"),
    "military": ("military", "Military officials"),
    "government officials": ("government-officials", "Government officials"),
    "unknown": ("unknown", "Unknown"),
    "unknown fire": ("unknown", "Unknown"),
}


NOT_APPLICABLE = {"n a", "na", "not applicable", "unknown", "not known", "none", "-"}


class ValueAliases:
    """Spellings of values an admin mapped (ValueAlias), plus the spellings seen in one import.

    Loaded once per import. Unknown values met during the import are remembered in `unseen` so
    that they appear in the admin's value aliases, waiting for a decision.
    """

    def __init__(self, mapped: dict[tuple[str, str], str] | None = None):
        self.mapped = mapped or {}
        self.first_spelling: dict[tuple[str, str], str] = {}
        self.spelled: dict[tuple[str, str], str] = {}
        self.unseen: dict[tuple[str, str], str] = {}

    @classmethod
    def load(cls) -> "ValueAliases":
        return cls(
            {
                (field, name): value
                for field, name, value in ValueAlias.objects.values_list("field", "name", "value")
            }
        )

    def value(self, field: str, written: str) -> str:
        """The value an admin mapped this spelling to, or ""."""
        return self.mapped.get((field, alias_key(written)), "")

    def remember_unknown(self, field: str, written: str):
        key = (field, alias_key(written))
        if key[1] and key not in self.mapped:
            self.unseen.setdefault(key, text(written))

    def spelling(self, field: str, written: str, known: dict[str, str]) -> str:
        """One spelling per value: an admin's alias, a known spelling, else the first seen."""
        # Remembered as written: a 20,000-row file repeats a few hundred outlets and jobs.
        remembered = self.spelled.get((field, written))
        if remembered is not None:
            return remembered
        key = alias_key(written)
        spelling = (
            self.mapped.get((field, key))
            or known.get(key)
            or self.first_spelling.setdefault((field, key), text(written))
        )
        self.spelled[(field, written)] = spelling
        return spelling


class Lenient:
    """Cells of one row read without refusing it: what is not understood is kept as written.

    `kept` (column → value as written) goes to Case.raw_values and to the report's warnings, so
    that a new word in a source's vocabulary never drops a person again.
    """

    def __init__(self, aliases: ValueAliases):
        self.aliases = aliases
        self.kept: dict[str, str] = {}

    def keep(self, column: str, value: str):
        self.kept[column] = text(value)[:500]

    def choice(self, value: str, mapping: dict[str, str], column: str, field: str, default: str):
        key = loose(value)
        if not key:
            return default
        if key in mapping:
            return mapping[key]
        mapped = self.aliases.value(field, value)
        if mapped:
            return mapped
        if key not in NOT_APPLICABLE:
            self.keep(column, value)
            self.aliases.remember_unknown(field, value)
        return default

    def yes_no(self, value: str, column: str) -> bool | None:
        try:
            return yes_no(value, column)
        except RowError:
            self.keep(column, value)
            return None

    def date(self, value: str, column: str) -> tuple[datetime.date | None, str]:
        try:
            return parse_date(value, column)
        except RowError:
            self.keep(column, value)
            return None, DatePrecision.UNKNOWN
