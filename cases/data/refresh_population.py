"""Rebuild cases/data/population.csv from the World Bank's official WDI download.

Download the series SP.POP.TOTL (population, total; CC BY 4.0) as CSV:

    curl -L -o /tmp/pop.zip \
        'https://api.worldbank.org/v2/en/indicator/SP.POP.TOTL?downloadformat=csv'

then run, from the repository root:

    .venv/bin/python cases/data/refresh_population.py /tmp/pop.zip [--year 2024]

The zip holds API_SP.POP.TOTL_DS2_en_csv_v2_<n>.csv (four lines of metadata, a blank line, then
"Country Name","Country Code","Indicator Name","Indicator Code","1960",...) and
Metadata_Country_API_SP.POP.TOTL_DS2_en_csv_v2_<n>.csv, whose blank "Region" marks aggregates.
A bare API_...csv file is accepted too. Rows are kept when the World Bank's ISO 3166-1 alpha-3
code maps to an alpha-2 code in django-countries; aggregates ("World", "Euro area", income
groups...) and codes without an ISO alpha-2 (Kosovo XKX, Channel Islands CHI) are skipped and
listed on stderr. Without --year, the latest year with figures for most economies is used; an
economy without a figure that year gets its most recent earlier one, and the row says which year.
"""

import argparse
import csv
import io
import os
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUTPUT = Path(__file__).resolve().parent / "population.csv"
FIELDS = ["iso2", "name", "population", "year"]


def _setup_django():
    """django-countries reads Django settings; use the project's, so overrides match the app."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "idei.settings")
    import django  # imported here: the checkout must be on sys.path first (a script)

    django.setup()


def read_wdi(path: Path) -> tuple[list[list[str]], set[str] | None]:
    """The data rows (header first) and, from a zip, the set of aggregate codes."""
    aggregates = None
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            data_name = next(n for n in names if n.startswith("API_") and n.endswith(".csv"))
            data_text = archive.read(data_name).decode("utf-8-sig")
            meta_name = next((n for n in names if n.startswith("Metadata_Country_")), None)
            if meta_name:
                meta = csv.DictReader(io.StringIO(archive.read(meta_name).decode("utf-8-sig")))
                aggregates = {
                    row["Country Code"] for row in meta if not (row.get("Region") or "").strip()
                }
    else:
        data_text = path.read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(data_text)))
    # Skip the metadata lines above the real header.
    start = next(i for i, row in enumerate(rows) if row[:2] == ["Country Name", "Country Code"])
    return rows[start:], aggregates


def convert(rows: list[list[str]], aggregates: set[str] | None = None, year: int | None = None):
    """WDI rows → (our rows sorted by iso2, skipped [(code, name)])."""
    # Imported here: django-countries reads the settings, which _setup_django() makes ready.
    from django_countries import countries

    header, body = rows[0], [row for row in rows[1:] if len(row) >= 4]
    years = {int(h): i for i, h in enumerate(header) if h.strip().isdigit()}
    if year is None:
        # The latest year for which at least half the economies have a figure.
        year = max(
            y for y, i in years.items() if sum(1 for r in body if r[i].strip()) * 2 > len(body)
        )
    if year not in years:
        raise SystemExit(f"No column for year {year} in the WDI file.")
    result, skipped = [], []
    for row in body:
        name, code = row[0].strip(), row[1].strip()
        iso2 = countries.alpha2(code) if code else ""
        if (aggregates is not None and code in aggregates) or not iso2:
            skipped.append((code, name))
            continue
        for y in sorted((y for y in years if y <= year), reverse=True):
            value = row[years[y]].strip()
            if value:
                result.append(
                    {"iso2": iso2, "name": name, "population": round(float(value)), "year": y}
                )
                break
        else:
            skipped.append((code, name))
    result.sort(key=lambda r: r["iso2"])
    return result, skipped


def write(rows, output: Path):
    with output.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=FIELDS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", type=Path, help="the WDI zip or its API_SP.POP.TOTL_*.csv")
    parser.add_argument("--year", type=int, help="the year to take (default: latest complete)")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    _setup_django()
    rows, aggregates = read_wdi(args.path)
    result, skipped = convert(rows, aggregates, args.year)
    write(result, args.output)
    print(f"Wrote {len(result)} countries and territories to {args.output}.")
    print(f"Skipped {len(skipped)} aggregates or codes without ISO alpha-2:", file=sys.stderr)
    for code, name in skipped:
        print(f"  {code} {name}", file=sys.stderr)


if __name__ == "__main__":
    main()
