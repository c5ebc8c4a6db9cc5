"""Realistic, messy CPJ-format exports for tests and benchmarks (fictional people only).

The rows look like CPJ's "killed" database export, with what real exports have: year-only
and month-only dates, stray spaces in names, multi-valued cells split by commas with or without
a space and with trailing commas, values with slashes inside ("Columnist/Commentator", "Radio
Free Europe/Radio Liberty"), case variants of one value, `N/A` and `Unknown` types of death
(unconfirmed cases, media workers), rows identical in every column (unnamed or single-name
victims of one attack: different people), blank rows and rows blank but for a stray value,
country names that are not ISO names (UK, USA, Ivory Coast...), ambiguous and former states
(Congo, Korea, Yugoslavia...), namesakes (two people with the same name, country and year),
values the importer does not know (imported with a warning), a few broken rows, photo columns
and columns the importer does not know. newer_export() adds renames between two snapshots.

Every row comes with the outcome a first import should give it, so that tests can assert exact
counts; newer_export() derives a later export with known changes for the import-twice test.

    python bench/data/cpj_generator.py cpj.csv --rows 20000 --seed 1 [--newer cpj-newer.csv]
"""

import argparse
import copy
import csv
import datetime
import io
import random
import sys
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

CPJ_COLUMNS = [
    "year",
    "combinedStatus",
    "fullName",
    "sortName",
    "primaryNationality",
    "secondaryNationality",
    "tertiaryNationality",
    "gender",
    "photoUrl",
    "photoCredit",
    "type",
    "lastStatus",
    "typeOfDeath",
    "status",
    "employedAs",
    "organizations",
    "jobs",
    "coverage",
    "mediums",
    "country",
    "location",
    "region",
    "state",
    "locality",
    "province",
    "localOrForeign",
    "sourcesOfFire",
    "motiveConfirmed",
    "accountabilityCrossfire",
    "accountabilityAssignment",
    "impunityMurder",
    "tortured",
    "captive",
    "threatened",
    "startDisplay",
    "mtpage",
]

# (as written in the file, ISO code, region, places)
COUNTRIES = [
    ("Mexico", "MX", "Americas", ["Culiacán, Sinaloa", "Veracruz", "Tijuana", "Acapulco"]),
    ("Philippines", "PH", "Asia", ["Maguindanao", "Manila", "Cebu"]),
    ("Iraq", "IQ", "Middle East & North Africa", ["Baghdad", "Mosul", "Basra"]),
    ("Syria", "SY", "Middle East & North Africa", ["Aleppo", "Homs", "Damascus"]),
    ("Pakistan", "PK", "Asia", ["Karachi", "Peshawar", "Quetta"]),
    ("Somalia", "SO", "Sub-Saharan Africa", ["Mogadishu", "Kismayo"]),
    ("India", "IN", "Asia", ["Bengaluru", "Sirsa", "Raipur"]),
    ("Brazil", "BR", "Americas", ["Atalaia do Norte", "Rio de Janeiro"]),
    ("Colombia", "CO", "Americas", ["Cali", "Tumaco"]),
    ("Honduras", "HN", "Americas", ["Tegucigalpa", "San Pedro Sula"]),
    ("Afghanistan", "AF", "Asia", ["Kabul", "Jalalabad"]),
    ("Ukraine", "UA", "Europe & Central Asia", ["Kyiv", "Irpin"]),
    ("Russia", "RU", "Europe & Central Asia", ["Moscow", "Makhachkala"]),
    ("Yemen", "YE", "Middle East & North Africa", ["Aden", "Taiz"]),
    ("Bangladesh", "BD", "Asia", ["Dhaka", "Chittagong"]),
    ("UK", "GB", "Europe & Central Asia", ["Belfast", "London"]),
    ("USA", "US", "Americas", ["Las Vegas", "Annapolis"]),
    ("United States of America", "US", "Americas", ["Oakland"]),
    ("Ivory Coast", "CI", "Sub-Saharan Africa", ["Abidjan"]),
    ("Côte d'Ivoire", "CI", "Sub-Saharan Africa", ["Abidjan"]),
    ("East Timor", "TL", "Asia", ["Dili"]),
    ("Bosnia", "BA", "Europe & Central Asia", ["Sarajevo", "Mostar"]),
    ("Republic of Congo", "CG", "Sub-Saharan Africa", ["Brazzaville"]),
    ("DR Congo", "CD", "Sub-Saharan Africa", ["Bukavu", "Goma"]),
    ("Democratic Republic of the Congo", "CD", "Sub-Saharan Africa", ["Kinshasa"]),
    ("  mexico ", "MX", "Americas", ["Oaxaca"]),
]
# Names an importer must not guess: they go to the review queue.
AMBIGUOUS_COUNTRIES = ["Congo", "Korea", "Yugoslavia", "USSR", "Serbia and Montenegro"]

FIRST_NAMES = [
    "María", "José", "Juan", "Lucía", "Ahmed", "Fatima", "Mohammed", "Aisha", "Olga", "Anna",
    "Daniel", "Gauri", "Javier", "Miroslava", "Regina", "Shireen", "Jamal", "Daphne", "Jan",
    "Anastasia", "Dom", "Bruno", "Gerardo", "Cecilio", "Samir", "Noura", "Abdul", "Pedro",
    "Ana", "Luis", "Carlos", "Rosa", "Hassan", "Leila", "Viktor", "Natalia", "Kwame", "Amina",
    "Chinedu", "Thi", "Nguyen", "Ravi", "Priya", "Siddiqui", "Francisco", "Margarito",
]  # fmt: skip
LAST_NAMES = [
    "Pérez", "García", "López", "Martínez", "Hernández", "Rodríguez", "Al-Sayed", "Khan",
    "Hussain", "Ivanova", "Petrov", "Lankesh", "Valdez", "Breach", "Martínez Zepeda",
    "Abu Akleh", "Khashoggi", "Caruana Galizia", "Kuciak", "Politkovskaya", "Phillips",
    "Pereira", "Rivera", "Ortega", "Salcedo", "Quintero", "Ibarra", "Beltrán", "Mendoza",
    "Okafor", "Mensah", "Diallo", "Traoré", "Nyambura", "Rahman", "Chowdhury", "Haidari",
    "Noorzai", "Kovalenko", "Shevchenko", "Tran", "Santos", "Silva", "Castillo", "Romero",
]  # fmt: skip
NON_LATIN_NAMES = ["محمد العلي", "Анна Иванова", "سمير قصير", "Наталья Эстемирова"]

OUTLETS = [
    "El Diario", "Río Doce", "Radio Progreso", "Al-Jazeera", "Reuters", "Noticias Hoy",
    "La Voz", "Daily Star", "Dawn", "Radio Shabelle", "Novaya Gazeta", "Gauri Lankesh Patrike",
    "TV Azteca", "Channel 4", "Kabul News", "Al-Mayadeen", "Radio Okapi", "The Guardian",
    "Radio Free Europe/Radio Liberty",
]  # fmt: skip
JOBS = ["Print Reporter", "Broadcast Reporter", "Camera Operator", "Editor", "Photographer",
        "Columnist/Commentator", "Producer", "Publisher/Owner", "Internet Reporter"]  # fmt: skip
BEATS = ["Politics", "Crime", "Corruption", "Human Rights", "War", "Culture", "Business",
         "Environment", "Sports"]  # fmt: skip
MEDIUMS = ["Print", "Internet", "Television", "Radio"]
FIRE = ["Criminal Group", "Government Officials", "Military Officials", "Political Group",
        "Paramilitary Group", "Local Residents", "Mob Violence", "Unknown Fire"]  # fmt: skip
IMPUNITY = ["Complete Impunity", "Partial Impunity", "Full Justice"]
# CPJ separates values with commas only, with or without a space.
SEPARATORS = [", ", ","]
# Single names, as CPJ lists some victims of one attack (rows identical in every column).
SINGLE_NAMES = ["Ahmad", "Mustafa", "Khalid", "Yusuf", "Hamza", "Ibrahim", "Tariq", "Bilal"]
# Values the importer does not know: imported and kept as written, with a warning.
UNKNOWN_EMPLOYMENT = ["Contractor", "Stringer"]

NEW, REVIEW, ERROR = "new", "review", "error"


@dataclass
class GeneratedExport:
    """Rows of a CPJ-format export and, per row, the outcome of importing it first."""

    rows: list[dict[str, str]]
    expected: list[str | None]  # "new", "review", "error", or None for a blank row
    people: set = field(default_factory=set)  # (name key, country, year) already used
    dates: set = field(default_factory=set)  # (country, exact date) of rows with an exact date

    def counts(self) -> dict[str, int]:
        return {outcome: self.expected.count(outcome) for outcome in (NEW, REVIEW, ERROR)}


@dataclass
class NewerExport:
    """A later export: what changed, and the outcome each row should have on re-import."""

    rows: list[dict[str, str]]
    expected: list[str | None]  # "new", "updated", "unchanged", "review", "error", None
    status_changed: list[int]  # indexes of rows whose impunity status changed
    respaced_name: int  # a name corrected only in spacing and case: an update
    renamed: int  # a name corrected in spelling: waits for review (possible duplicate)
    namesake: int  # a new person with the same name, country and year as an earlier row

    def counts(self) -> dict[str, int]:
        outcomes = ("new", "updated", "unchanged", REVIEW, ERROR)
        return {outcome: self.expected.count(outcome) for outcome in outcomes}


def person_key(name: str, country: str, year: int) -> tuple:
    decomposed = unicodedata.normalize("NFKD", " ".join(name.split()).casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return ("".join(c for c in plain if c.isalnum()), country, year)


def _messy_list(rng: random.Random, items: list[str]) -> str:
    """A multi-valued cell as exports write them: mixed separators, case, trailing commas."""
    written = [item.upper() if rng.random() < 0.05 else item for item in items]
    written = [item.lower() if rng.random() < 0.05 else item for item in written]
    cell = ""
    for index, item in enumerate(written):
        cell += item if index == 0 else rng.choice(SEPARATORS) + item
    if rng.random() < 0.1:
        cell += rng.choice([",", ", "])
    return cell


def _messy_name(rng: random.Random, name: str) -> str:
    """Stray spaces, and now and then a name typed in lower case."""
    if rng.random() < 0.03:
        name = name.lower()
    if rng.random() < 0.08:
        name = "  " + name.replace(" ", "   ", 1) + " "
    return name


def _date_cell(rng: random.Random, date: datetime.date) -> tuple[str, bool]:
    """CPJ's display date; sometimes only the month or nothing (year only)."""
    roll = rng.random()
    if roll < 0.12:
        return "", False
    if roll < 0.2:
        return date.strftime("%B %Y"), False
    return f"{date:%B} {date.day}, {date.year}", True


def _person(rng: random.Random) -> str:
    if rng.random() < 0.01:
        return rng.choice(NON_LATIN_NAMES) + " " + rng.choice(["", "Jr", "II"]).strip()
    middle = rng.choice(FIRST_NAMES) + " " if rng.random() < 0.3 else ""
    return f"{rng.choice(FIRST_NAMES)} {middle}{rng.choice(LAST_NAMES)}"


def _row(
    rng: random.Random,
    name: str,
    country: tuple,
    date: datetime.date,
    date_cell: str,
) -> dict[str, str]:
    written, _code, region, places = country
    murder = rng.random() < 0.75
    type_of_death = "Murder" if murder else rng.choice(["Crossfire", "Dangerous Assignment"])
    if rng.random() < 0.05:
        type_of_death = type_of_death.lower()
    place = rng.choice(places)
    gender = rng.choices(["Male", "Female", "male", "FEMALE", ""], [70, 22, 4, 2, 2])[0]
    confirmed = rng.random() < 0.85
    role = rng.choices(["Journalist", "Media Worker", "journalist"], [85, 12, 3])[0]
    if not confirmed or role == "Media Worker":
        # CPJ writes N/A for every unconfirmed case and every media worker; murder is unknown.
        type_of_death, murder = "N/A", False
    elif rng.random() < 0.02:
        type_of_death, murder = "Unknown", False
    nationality = rng.choice([written.strip(), "", "Mexico", "USA"])
    return {
        "year": str(date.year),
        "combinedStatus": "Confirmed" if confirmed else "Unconfirmed",
        "fullName": _messy_name(rng, name),
        "sortName": "",
        "primaryNationality": nationality,
        "secondaryNationality": "",
        "tertiaryNationality": "",
        "gender": gender,
        "photoUrl": "https://cpj.org/wp-content/uploads/photo.jpg",
        "photoCredit": "Family photo",
        "type": role,
        "lastStatus": "",
        "typeOfDeath": type_of_death,
        "status": "Killed",
        "employedAs": rng.choices(
            ["Staff", "Freelance", "staff", "freelance", "Freelancer", "", *UNKNOWN_EMPLOYMENT],
            [40, 30, 5, 5, 5, 13, 1, 1],
        )[0],
        "organizations": _messy_list(rng, rng.sample(OUTLETS, rng.choice([1, 1, 1, 2]))),
        "jobs": _messy_list(rng, rng.sample(JOBS, rng.choice([1, 1, 2]))),
        "coverage": _messy_list(rng, rng.sample(BEATS, rng.choice([1, 2, 3]))),
        "mediums": _messy_list(rng, rng.sample(MEDIUMS, rng.choice([1, 1, 2]))),
        "country": written,
        "location": place,
        "region": region,
        "state": "",
        "locality": "",
        "province": "",
        "localOrForeign": rng.choices(["Local", "Foreign", "local"], [88, 10, 2])[0],
        "sourcesOfFire": _messy_list(rng, rng.sample(FIRE, rng.choice([1, 1, 2]))),
        "motiveConfirmed": "Confirmed" if confirmed else "Unconfirmed",
        "accountabilityCrossfire": "",
        "accountabilityAssignment": "",
        "impunityMurder": rng.choices(IMPUNITY, [80, 15, 5])[0] if murder else "",
        "tortured": rng.choice(["No", "Yes", "Unknown", "no", ""]),
        "captive": rng.choice(["No", "Yes", "Unknown", ""]),
        "threatened": rng.choice(["No", "Yes", "Unknown", "YES", ""]),
        "startDisplay": date_cell,
        "mtpage": f"https://cpj.org/data/people/{rng.randrange(10**6)}/",
    }


def _random_date(rng: random.Random) -> datetime.date:
    return datetime.date(1995, 1, 1) + datetime.timedelta(days=rng.randrange(30 * 365))


def _new_person_row(rng: random.Random, export: GeneratedExport, avoid_dates=()) -> dict:
    """A row for a person not yet in the export (unique name, country and year)."""
    while True:
        country = rng.choice(COUNTRIES)
        date = _random_date(rng)
        name = _person(rng)
        cell, precise = _date_cell(rng, date)
        key = person_key(name, country[1], date.year)
        if key in export.people or (country[1], date.year) in avoid_dates:
            continue
        if precise and (country[1], date) in export.dates:
            continue  # keeps exact (country, date) pairs unique: no accidental rename matches
        export.people.add(key)
        if precise:
            export.dates.add((country[1], date))
        return _row(rng, name, country, date, cell)


def generate_cpj_export(
    n: int,
    seed: int = 0,
    *,
    ambiguous_rate: float = 0.01,
    error_rate: float = 0.005,
    blank_rate: float = 0.005,
    namesake_rate: float = 0.01,
    identical_rate: float = 0.005,
) -> GeneratedExport:
    """n rows (blank ones included) of a CPJ export, with the first-import outcome of each."""
    rng = random.Random(seed)
    export = GeneratedExport(rows=[], expected=[])
    while len(export.rows) < n:
        roll = rng.random()
        if roll < blank_rate:
            blank = dict.fromkeys(CPJ_COLUMNS, "")
            if rng.random() < 0.5:
                blank["gender"] = str(rng.randrange(1, 10))  # a stray value: still blank
            export.rows.append(blank)
            export.expected.append(None)
        elif roll > 1 - identical_rate and len(export.rows) < n - 2:
            # Victims of one attack, each listed by a single name: rows identical in every
            # column are different people.
            copies = rng.choice([2, 2, 3])
            row = _single_name_row(rng, export)
            export.rows += [copy.deepcopy(row) for _ in range(copies)]
            export.expected += [NEW] * copies
        elif roll < blank_rate + error_rate:
            row = _new_person_row(rng, export)
            if rng.random() < 0.5:
                row["year"] = row["year"][:2] + "x" + row["year"][3:]
            else:
                row["fullName"] = "   "
            export.rows.append(row)
            export.expected.append(ERROR)
        elif roll < blank_rate + error_rate + ambiguous_rate:
            row = _new_person_row(rng, export)
            row["country"] = rng.choice(AMBIGUOUS_COUNTRIES)
            export.rows.append(row)
            export.expected.append(REVIEW)
        elif (
            roll < blank_rate + error_rate + ambiguous_rate + namesake_rate
            and len(export.rows) < n - 1
        ):
            # Two different people, same name, country and year, told apart by their dates.
            first = _new_person_row(rng, export)
            second = copy.deepcopy(first)
            date = datetime.date(int(first["year"]), 1, 1)
            first_date = date + datetime.timedelta(days=rng.randrange(0, 180))
            second_date = date + datetime.timedelta(days=rng.randrange(181, 364))
            code = next(c[1] for c in COUNTRIES if c[0] == first["country"])
            for row, day in ((first, first_date), (second, second_date)):
                row["startDisplay"] = f"{day:%B} {day.day}, {day.year}"
                export.dates.add((code, day))
            second["organizations"] = rng.choice(OUTLETS)
            export.rows += [first, second]
            export.expected += [NEW, NEW]
        else:
            export.rows.append(_new_person_row(rng, export))
            export.expected.append(NEW)
    return export


def _single_name_row(rng: random.Random, export: GeneratedExport) -> dict:
    """A row for a victim known by one name, unique by name, country and year in the export."""
    while True:
        country = rng.choice(COUNTRIES)
        date = _random_date(rng)
        name = rng.choice(SINGLE_NAMES)
        key = person_key(name, country[1], date.year)
        if key in export.people:
            continue
        export.people.add(key)
        return _row(rng, name, country, date, f"{date:%B} {date.day}, {date.year}")


def generate_cpj_rows(n: int, seed: int = 0, **options) -> list[dict[str, str]]:
    """Just the rows of generate_cpj_export() (for benchmarks and files)."""
    return generate_cpj_export(n, seed, **options).rows


def newer_export(
    export: GeneratedExport,
    seed: int = 1,
    *,
    status_changes: int = 25,
    new_rows: int = 30,
) -> NewerExport:
    """The same export a few months later: statuses changed, names corrected, new people."""
    rng = random.Random(seed)
    rows = copy.deepcopy(export.rows)
    expected = ["unchanged" if e == NEW else e for e in export.expected]
    people = set(export.people)
    later = GeneratedExport(rows=[], expected=[], people=people, dates=set(export.dates))

    singles = _singles(export)
    candidates = [
        i
        for i, e in enumerate(export.expected)
        if e == NEW and i in singles and export.rows[i]["startDisplay"].count(",") == 1
    ]
    rng.shuffle(candidates)
    lower = [
        i for i in candidates if export.rows[i]["fullName"] == export.rows[i]["fullName"].lower()
    ]
    respaced = lower[0] if lower else candidates[-1]
    candidates.remove(respaced)
    renamed, namesake_of = candidates[0], candidates[1]
    murders = [i for i in candidates[2:] if rows[i]["impunityMurder"] == "Complete Impunity"]
    changed = murders[:status_changes]
    for i in changed:
        rows[i]["impunityMurder"] = rng.choice(["Partial Impunity", "Full Justice"])
        expected[i] = "updated"

    # A name corrected in case and spacing only ("maría  lópez" → "María López"): an update.
    rows[respaced]["fullName"] = " ".join(rows[respaced]["fullName"].split()).title()
    if rows[respaced]["fullName"] == " ".join(export.rows[respaced]["fullName"].split()):
        rows[respaced]["fullName"] = rows[respaced]["fullName"].upper()
    expected[respaced] = "updated"
    # A name corrected in spelling: cannot be matched for certain, so it waits for review.
    rows[renamed]["fullName"] = " ".join(rows[renamed]["fullName"].split()) + "h"
    expected[renamed] = REVIEW

    # A namesake of an earlier row appears: a new case; the earlier one stays unchanged.
    twin = copy.deepcopy(rows[namesake_of])
    first_date = datetime.datetime.strptime(twin["startDisplay"], "%B %d, %Y").date()
    second_date = first_date.replace(month=(first_date.month % 12) + 1, day=1)
    if second_date.year != first_date.year or second_date == first_date:
        second_date = first_date.replace(month=1, day=1 if first_date.day != 1 else 2)
    twin["startDisplay"] = f"{second_date:%B} {second_date.day}, {second_date.year}"
    twin["organizations"] = "Another Outlet"
    rows.append(twin)
    expected.append("new")

    # Renames are detected by country and year (CPJ often gives only the year): no new row may
    # share the renamed case's country and year, or it could be taken for it.
    renamed_code = next(c[1] for c in COUNTRIES if c[0] == rows[renamed]["country"])
    avoid = {(renamed_code, _row_date(rows[renamed]).year)}
    twin_code = next(c[1] for c in COUNTRIES if c[0] == twin["country"])
    if (twin_code, second_date.year) in avoid:
        raise ValueError("seed gives a namesake in the renamed case's year: use another seed")
    for _ in range(new_rows):
        rows.append(_new_person_row(rng, later, avoid_dates=avoid))
        expected.append("new")
    return NewerExport(rows, expected, changed, respaced, renamed, len(rows) - new_rows - 1)


def _row_date(row: dict) -> datetime.date:
    return datetime.datetime.strptime(row["startDisplay"], "%B %d, %Y").date()


def _singles(export: GeneratedExport) -> set[int]:
    """Rows whose name and year no other row has."""
    keys = [(" ".join(r["fullName"].split()).casefold(), r["year"]) for r in export.rows]
    counts = Counter(keys)
    return {i for i, key in enumerate(keys) if counts[key] == 1}


def write_csv(path, rows: "int | list[dict[str, str]]", *, seed: int = 1, bom: bool = False):
    """Write a CPJ-format file: `rows` generated rows (an int) or the given rows, UTF-8."""
    if isinstance(rows, int):
        rows = generate_cpj_rows(rows, seed)
    Path(path).write_bytes(csv_bytes(rows, bom=bom))


def csv_bytes(rows: list[dict[str, str]], *, bom: bool = False) -> bytes:
    """The rows as the bytes of a CSV file (for tests that upload or import in memory)."""
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, fieldnames=CPJ_COLUMNS)
    writer.writeheader()
    writer.writerows(rows)
    return (b"\xef\xbb\xbf" if bom else b"") + buffer.getvalue().encode("utf-8")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("path", nargs="?", help="CSV file to write")
    parser.add_argument("--output", help="CSV file to write (instead of the positional path)")
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--newer", help="also write a newer export with changes to this path")
    args = parser.parse_args(argv)
    args.path = args.path or args.output
    if not args.path:
        parser.error("give the file to write (PATH or --output PATH)")
    export = generate_cpj_export(args.rows, args.seed)
    write_csv(args.path, export.rows)
    print(f"{args.path}: {len(export.rows)} rows, first import: {export.counts()}")
    if args.newer:
        newer = newer_export(export, args.seed + 1)
        write_csv(args.newer, newer.rows)
        print(f"{args.newer}: {len(newer.rows)} rows, re-import: {newer.counts()}")


if __name__ == "__main__":
    sys.exit(main())
