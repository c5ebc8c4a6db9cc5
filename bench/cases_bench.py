"""Cases benchmark: server-side latency of the case pages and API at 20,000 cases, and the
import of two snapshots of a 20,000-row CPJ-format export (the older, then the newer).

Needs PostgreSQL: DATABASE_URL must name a database whose name contains "bench" (it is dropped
and created again, then migrated). Requests go through Django's test Client in-process, so the
figures are the server's own time (middleware, views, queries, templates), without network or
a WSGI server. Results: bench/results/cases.json. Targets: p95 < 50 ms per page, each snapshot's
import < 10 s.
"""

import argparse
import datetime
import importlib.util
import json
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from bench.versions import python_speed_ms

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "cases.json"
GENERATOR = ROOT / "bench" / "data" / "cpj_generator.py"
LATENCY_TARGET_MS = 50
IMPORT_TARGET_S = 10

PAGES = [
    "/cases/",
    "/cases/?q=radio+journalist",  # common words: 8,540 matches, counted to 1,000
    "/cases/?q=ortega",  # a name, the main use: 776 matches, counted and ranked
    "/cases/?country=MX&year_min=2010",
    "/cases/mx/",
    "/cases/statistics/",
    "/api/v1/cases/",
    "/api/v1/cases/?country=MX&impunity=complete",
    "/api/v1/countries/",
]

# Weighted like the real distribution: a few countries account for most killings.
COUNTRIES = {
    "IQ": 190, "SY": 140, "PH": 100, "MX": 110, "PK": 75, "SO": 70, "IN": 60, "AF": 55,
    "BR": 50, "CO": 45, "RU": 40, "HN": 35, "PS": 40, "UA": 20, "YE": 20, "BD": 20, "NG": 10,
    "TR": 15, "GT": 15, "LY": 12, "CD": 12, "NP": 8, "SL": 5, "SD": 10, "ID": 8, "VE": 6,
    "DZ": 30, "TJ": 5, "LK": 20, "KE": 4, "SV": 3, "EC": 4, "PE": 5, "FR": 8, "US": 6,
}  # fmt: skip
FIRST = [
    "Ahmed", "Maria", "José", "Ana", "Mohammed", "Rafael", "Gerardo", "Fatima", "Javier",
    "Regina", "Anna", "Daphne", "Jamal", "Shireen", "Juan", "Ali", "Hassan", "Rosa", "Noor",
    "Carlos", "Miroslava", "Samir", "Olga", "Daniel", "Elena", "Musa", "Pedro", "Lucía", "Omar",
]  # fmt: skip
LAST = [
    "Hernández", "Ortega", "Valdez", "Martínez", "Breach", "Khan", "Rahman", "Abu Akleh",
    "Politkovskaya", "Caruana Galizia", "Santos", "Cruz", "Reyes", "Hussein", "Ali", "Gómez",
    "Kuciak", "Pearl", "Ahmadi", "Mendoza", "Silva", "Kovalenko", "Haddad", "Okafor", "Delgado",
]  # fmt: skip
PLACES = ["the capital", "a provincial town", "the border region", "the port city", "a village"]
OUTLETS = ["Radio Voz", "Diario del Norte", "Al-Sabah", "Channel 7", "The Tribune", "Ríodoce"]
MEDIA = ["print", "radio", "television", "online", "documentary"]
PERPETRATORS = ["criminal_group", "government_officials", "military", "political_group", "unknown"]


def fail(message: str) -> int:
    print(message, file=sys.stderr)
    return 2


def bench_database_url() -> tuple[str, str] | None:
    url = os.environ.get("DATABASE_URL", "")
    parts = urlsplit(url)
    if parts.scheme not in {"postgres", "postgresql"}:
        return None
    return url, parts.path.lstrip("/")


def recreate_database(url: str, name: str):
    """Drop and create the bench database, connected to the server's maintenance database."""
    import psycopg

    parts = urlsplit(url)
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def fresh_database(benchmark: str) -> str | None:
    """Drop and recreate DATABASE_URL's bench database and set Django up on it.

    Returns why it cannot (no PostgreSQL, or a name without "bench"), or None once ready.
    """
    database = bench_database_url()
    if database is None:
        return (
            f"The {benchmark} benchmark needs PostgreSQL: set DATABASE_URL, e.g.\n"
            "  DATABASE_URL=postgres://postgres@127.0.0.1:5432/idei_bench make bench"
        )
    url, name = database
    if "bench" not in name:
        return f"Refusing to drop database {name!r}: its name must contain 'bench'."
    print(f"Recreating database {name} and migrating...", flush=True)
    recreate_database(url, name)
    setup_django()
    return None


def setup_django():
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "idei.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.conf import settings

    # Production-like request handling: no query log kept per request, no debug pages.
    settings.DEBUG = False
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]


def load_cases(n: int, seed: int = 2026) -> dict:
    """n published cases with media, perpetrators, incidents, events and sources, in bulk.

    bulk_create bypasses Case.save(): slug, sort name, year and is_unresolved are set here.
    The search_vector trigger still runs on INSERT.
    """
    from django.utils.text import slugify

    from cases.models import (
        Case,
        CaseEvent,
        CaseSource,
        Incident,
        Medium,
        Perpetrator,
        compute_unresolved,
    )

    rng = random.Random(seed)
    media = [Medium.objects.create(slug=s, name=s.title()) for s in MEDIA]
    perpetrators = [Perpetrator.objects.create(slug=s, name=s) for s in PERPETRATORS]
    incidents = Incident.objects.bulk_create(
        Incident(name=f"Attack {i}", country=rng.choice(list(COUNTRIES))) for i in range(200)
    )
    codes, weights = list(COUNTRIES), list(COUNTRIES.values())
    cases = []
    for i in range(n):
        date = datetime.date(1992, 1, 1) + datetime.timedelta(days=rng.randrange(34 * 365))
        type_of_death = rng.choices(Case.TypeOfDeath.values, weights=[60, 20, 15, 5], k=1)[0]
        impunity = (
            rng.choices(["complete", "partial", "full_justice"], weights=[80, 15, 5], k=1)[0]
            if type_of_death == "murder"
            else ""
        )
        unesco = rng.choice(["ongoing", "resolved", "no_information", "archived", ""])
        name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
        cases.append(
            Case(
                full_name=name,
                sort_name=name,
                slug=f"{slugify(name)}-{date.year}-{i}",
                gender=rng.choice(["male", "male", "male", "female", "unknown"]),
                role=rng.choice(Case.Role.values),
                employment=rng.choice(Case.Employment.values),
                origin=rng.choice(["local", "local", "local", "foreign"]),
                outlets=rng.choice(OUTLETS),
                date_of_death=date,
                date_precision=rng.choice(["day", "day", "day", "month", "year"]),
                year=date.year,
                country=rng.choices(codes, weights=weights, k=1)[0],
                place=rng.choice(PLACES),
                type_of_death=type_of_death,
                impunity=impunity,
                unesco_status=unesco,
                is_unresolved=compute_unresolved(impunity, unesco),
                incident=rng.choice(incidents) if rng.random() < 0.05 else None,
                summary=(
                    f"{name}, a {rng.choice(MEDIA)} journalist with {rng.choice(OUTLETS)}, was "
                    f"killed in {rng.choice(PLACES)} after reporting on corruption and crime."
                ),
                is_published=rng.random() < 0.97,
            )
        )
    created = Case.objects.bulk_create(cases, batch_size=2000)
    media_through, perpetrator_through = Case.media.through, Case.perpetrators.through
    media_through.objects.bulk_create(
        (
            media_through(case_id=case.id, medium_id=medium.id)
            for case in created
            for medium in rng.sample(media, rng.choice([1, 1, 2]))
        ),
        batch_size=5000,
    )
    perpetrator_through.objects.bulk_create(
        (
            perpetrator_through(case_id=case.id, perpetrator_id=rng.choice(perpetrators).id)
            for case in created
        ),
        batch_size=5000,
    )
    kinds = CaseEvent.Kind.values
    CaseEvent.objects.bulk_create(
        (
            CaseEvent(
                case_id=case.id,
                date=case.date_of_death + datetime.timedelta(days=30 * (k + 1)),
                kind=rng.choice(kinds),
                description="A development in the judicial inquiry.",
                source_url="https://example.org/report",
            )
            for case in created
            for k in range(rng.randrange(4))
        ),
        batch_size=5000,
    )
    CaseSource.objects.bulk_create(
        (
            CaseSource(case_id=case.id, url=f"https://example.org/case/{case.id}", title="Report")
            for case in created
            for _ in range(rng.choice([1, 1, 2]))
        ),
        batch_size=5000,
    )
    return {
        "cases": len(created),
        "events": CaseEvent.objects.count(),
        "sources": CaseSource.objects.count(),
    }


def percentile(sorted_values: list[float], fraction: float) -> float:
    index = min(len(sorted_values) - 1, max(0, round(fraction * len(sorted_values)) - 1))
    return sorted_values[index]


def measure_page(client, url: str, requests: int, warmup: int) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    first = client.get(url)
    if first.status_code == 404:
        return {"url": url, "skipped": "404: page not present yet"}
    if first.status_code != 200:
        return {"url": url, "skipped": f"HTTP {first.status_code}"}
    for _ in range(warmup):
        client.get(url)
    # The log is a bounded deque: if anything filled it, a capture would count nothing.
    connection.queries_log.clear()
    with CaptureQueriesContext(connection) as capture:
        client.get(url)
    # Copied now: the next request's request_started signal empties the log.
    queries = list(capture.captured_queries)
    timings = []
    for _ in range(requests):
        start = time.perf_counter()
        response = client.get(url)
        if hasattr(response, "streaming_content"):
            b"".join(response.streaming_content)
        timings.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    timings.sort()
    return {
        "url": url,
        "requests": requests,
        "queries": len(queries),
        "p50_ms": round(statistics.median(timings), 2),
        "p95_ms": round(percentile(timings, 0.95), 2),
        "max_ms": round(timings[-1], 2),
        "meets_target": percentile(timings, 0.95) < LATENCY_TARGET_MS,
        "slowest_queries": sorted(
            ({"ms": float(q["time"]) * 1000, "sql": q["sql"][:300]} for q in queries),
            key=lambda q: -q["ms"],
        )[:3],
    }


# The order of every case list by default (newest first), for published cases only: the first
# page is then read from the index instead of sorting every published case.
RECOMMENDED_INDEX = (
    "CREATE INDEX bench_case_published_newest ON cases_case "
    "(date_of_death DESC NULLS LAST, sort_name, id) WHERE is_published"
)


def has_recommended_index() -> bool:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE tablename = 'cases_case'")
        return any("date_of_death DESC NULLS LAST" in row[0] for row in cursor.fetchall())


def measure_pages(client, args) -> list[dict]:
    pages = []
    for page in PAGES:
        result = measure_page(client, page, args.requests, args.warmup)
        pages.append(result)
        if "skipped" in result:
            print(f"  {page:48} skipped: {result['skipped']}", flush=True)
        else:
            print(
                f"  {page:48} p50 {result['p50_ms']:7.2f} ms  p95 {result['p95_ms']:7.2f} ms  "
                f"{result['queries']} queries{'' if result['meets_target'] else '  MISSES TARGET'}",
                flush=True,
            )
    return pages


def load_generator():
    spec = importlib.util.spec_from_file_location("cpj_generator", GENERATOR)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def write_snapshots(directory: Path, rows: int) -> tuple[Path, Path]:
    """Two snapshots of a generated CPJ export: the older, and a newer one with its changes."""
    generator = load_generator()
    export = generator.generate_cpj_export(rows, 1)
    newer = generator.newer_export(export, 2)
    older_path, newer_path = directory / "cpj-older.csv", directory / "cpj-newer.csv"
    generator.write_csv(older_path, export.rows)
    generator.write_csv(newer_path, newer.rows)
    return older_path, newer_path


def measure_import(rows: int) -> dict:
    """Import the older snapshot into an empty case table, the newer one, then it again."""
    from django.core.management import call_command

    from cases.importers import import_file
    from cases.models import Case

    Case.objects.all().delete()
    with tempfile.TemporaryDirectory() as directory:
        older, newer = write_snapshots(Path(directory), rows)
        result = {"rows": rows, "file_bytes": older.stat().st_size}
        for label, path in (("first", older), ("newer", newer), ("again", newer)):
            start = time.perf_counter()
            call_command("import_cases", str(path), format="cpj", publish=True, verbosity=0)
            seconds = time.perf_counter() - start
            result[f"{label}_seconds"] = round(seconds, 2)
            result[f"{label}_rows_per_second"] = round(rows / seconds)
        # What the last import found (a dry run of the same file: nothing written).
        report = import_file(newer.read_bytes(), format="cpj", file_name="again", dry_run=True)
        result["again_counts"] = report.counts
        result["cases_after"] = Case.objects.count()
        result["meets_target"] = max(result["first_seconds"], result["newer_seconds"]) < (
            IMPORT_TARGET_S
        )
    return result


def machine() -> str:
    cpus = os.cpu_count()
    try:
        model = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
    except (OSError, StopIteration):
        model = platform.processor() or "unknown CPU"
    python = platform.python_version()
    return f"{platform.system()} {platform.release()}, {cpus} cores ({model}), Python {python}"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Cases pages, API and import at 20,000 cases.")
    parser.add_argument("--cases", type=int, default=20_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--import-rows", type=int, default=20_000)
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)

    problem = fresh_database("cases")
    if problem:
        return fail(problem)
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    loaded = load_cases(args.cases)
    with connection.cursor() as cursor:
        # What autovacuum does for a live table: statistics, and a visibility map so that
        # counts can be answered from an index alone.
        cursor.execute("VACUUM ANALYZE")
    print(f"Loaded {loaded} in {time.perf_counter() - started:.1f} s", flush=True)

    client = Client()
    print("Pages, schema as migrated:", flush=True)
    pages = measure_pages(client, args)
    pages_with_index = None
    if not has_recommended_index():
        print(f"Pages again, with the recommended index:\n  {RECOMMENDED_INDEX}", flush=True)
        with connection.cursor() as cursor:
            cursor.execute(RECOMMENDED_INDEX)
            cursor.execute("VACUUM ANALYZE cases_case")
        pages_with_index = measure_pages(client, args)
    print("Import of a CPJ-format file...", flush=True)
    imported = measure_import(args.import_rows)
    if "skipped" in imported:
        print(f"  skipped: {imported['skipped']}")
    else:
        print(
            f"  {imported['rows']} rows: older {imported['first_seconds']} s "
            f"({imported['first_rows_per_second']} rows/s), newer {imported['newer_seconds']} s, "
            f"newer again {imported['again_seconds']} s ({imported['again_counts']})"
        )
    results = {
        "benchmark": "cases",
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "python_loop_ms": python_speed_ms(),
        # Other work on a shared machine inflates every figure: compare within one run.
        "load_average_1_5_15": [round(x, 2) for x in os.getloadavg()],
        "postgresql": connection.cursor().connection.info.server_version,
        "redis_cache": bool(os.environ.get("REDIS_URL")),
        "data": loaded,
        "targets": {"p95_ms": LATENCY_TARGET_MS, "import_seconds": IMPORT_TARGET_S},
        "method": (
            f"Django test Client in-process (server-side time), DEBUG off, {args.warmup} warm-up "
            f"then {args.requests} timed requests per page, one after another."
        ),
        "pages": pages,
        "recommended_index": None if pages_with_index is None else RECOMMENDED_INDEX,
        "pages_with_recommended_index": pages_with_index,
        "import": imported,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    print(f"Wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
