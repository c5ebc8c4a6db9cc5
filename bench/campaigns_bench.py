"""Campaigns benchmark: 200 campaigns and 100,000 signatures in PostgreSQL.

Measures the server-side latency (p50/p95) of a campaign's signature figures in the coordinator
dashboard, of the public campaign page, the campaign list and the campaigns API; and the CSV
export of 100,000 signatures: rows per second, and memory while streaming (Python's traced
memory and the process's resident size at 10,000, 50,000 and 100,000 rows), against building the
same rows in memory at once for comparison.

Needs PostgreSQL: DATABASE_URL must name a database whose name contains "bench" (dropped and
created again, then migrated). Requests go through Django's test Client in-process, as in
bench/cases_bench.py whose helpers it shares. Results: bench/results/campaigns.json.
"""

import argparse
import datetime
import json
import os
import random
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

from bench.cases_bench import (
    fail,
    fresh_database,
    machine,
    percentile,
)

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "campaigns.json"
LATENCY_TARGET_MS = 50
COUNTRIES = ["MX", "CO", "PH", "BR", "IN", "PK", "FR", "US", "NG", "UA", "ES", "AR", "SO", "IQ"]
CHECKPOINTS = (10_000, 50_000, 100_000)


def load(campaign_count: int, signature_count: int, seed: int = 2026) -> dict:
    """Organisations, cases, officials, campaigns with letters; all signatures on one campaign.

    The flagship campaign carries every signature: the worst case for its figures and export.
    """
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from campaigns.models import (
        Campaign,
        CampaignStatusChange,
        LetterTemplate,
        Membership,
        Organisation,
        Target,
    )
    from cases.models import Case
    from letters.models import Signature

    rng = random.Random(seed)
    now = timezone.now()
    organisations = Organisation.objects.bulk_create(
        Organisation(name=f"Press Freedom Group {n}", slug=f"group-{n}") for n in range(20)
    )
    # No password: the benchmark signs in with force_login.
    coordinator = get_user_model().objects.create_user("bench-coordinator")
    Membership.objects.create(user=coordinator, organisation=organisations[0], role="coordinator")
    cases = Case.objects.bulk_create(
        Case(
            full_name=f"Journalist {n}",
            sort_name=f"Journalist {n}",
            slug=f"journalist-{n}",
            country=rng.choice(COUNTRIES),
            date_of_death=datetime.date(2006, 1, 1) + datetime.timedelta(days=rng.randrange(7000)),
            year=2006 + n % 19,
            is_published=True,
            summary="A journalist killed for their work.",
        )
        for n in range(600)
    )
    targets = Target.objects.bulk_create(
        Target(
            name=f"Official {n}",
            position="Attorney General",
            institution="Office of the Attorney General",
            country=rng.choice(COUNTRIES),
            email=f"official{n}@gov.example.org",
        )
        for n in range(300)
    )
    statuses = ["published"] * 7 + ["closed", "delivered", "draft"]
    campaigns = Campaign.objects.bulk_create(
        Campaign(
            organisation=organisations[n % len(organisations)],
            title=f"Reopen the investigations, campaign {n}",
            slug="flagship" if n == 0 else f"campaign-{n}",
            summary="Most killings of journalists remain unpunished. We ask officials to act.",
            body="We ask for **justice**:\n\n- reopen the cases\n- protect the families",
            goal=150_000 if n == 0 else 5_000,
            status="published" if n == 0 else statuses[n % len(statuses)],
            signature_count=signature_count if n == 0 else 0,
            share_text="Sign for justice",
        )
        for n in range(campaign_count)
    )
    Campaign.cases.through.objects.bulk_create(
        Campaign.cases.through(campaign_id=c.id, case_id=case.id)
        for c in campaigns
        for case in rng.sample(cases, 3)
    )
    Campaign.targets.through.objects.bulk_create(
        Campaign.targets.through(campaign_id=c.id, target_id=t.id)
        for c in campaigns
        for t in rng.sample(targets, 2)
    )
    LetterTemplate.objects.bulk_create(
        LetterTemplate(
            campaign=c,
            language="en",
            subject="Reopen the case of {case_names}",
            body="Dear {target_name},\n\n{cases}\n\nYours,\n{signer_name}, {signer_city}",
        )
        for c in campaigns
    )
    CampaignStatusChange.objects.bulk_create(
        CampaignStatusChange(campaign=c, from_status="draft", to_status="published")
        for c in campaigns
        if c.status != "draft"
    )
    flagship = campaigns[0]
    batch = []
    for n in range(signature_count):
        batch.append(
            Signature(
                campaign=flagship,
                name=f"Signer {n}",
                email=f"signer{n}@example.org",
                email_key=f"signer{n}@example.org",
                country=COUNTRIES[n % len(COUNTRIES)],
                city="Puebla",
                message="Justice now." if n % 5 == 0 else "",
                confirmed_at=now - datetime.timedelta(minutes=(n * 7919) % (60 * 24 * 60)),
                consent_share_name=n % 2 == 0,
                consent_updates=n % 3 == 0,
            )
        )
        if len(batch) == 5000:
            Signature.objects.bulk_create(batch)
            batch = []
    Signature.objects.bulk_create(batch)
    return {
        "campaigns": Campaign.objects.count(),
        "signatures": Signature.objects.count(),
        "flagship_signatures": Signature.objects.filter(campaign=flagship).count(),
        "cases": len(cases),
        "officials": len(targets),
    }


def measure_page(client, url: str, requests: int, warmup: int) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(warmup):
        assert client.get(url).status_code == 200, url
    connection.queries_log.clear()
    with CaptureQueriesContext(connection) as capture:
        client.get(url)
    queries = len(capture.captured_queries)
    timings = []
    for _ in range(requests):
        start = time.perf_counter()
        response = client.get(url)
        timings.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    timings.sort()
    result = {
        "url": url,
        "requests": requests,
        "queries": queries,
        "p50_ms": round(statistics.median(timings), 2),
        "p95_ms": round(percentile(timings, 0.95), 2),
        "max_ms": round(timings[-1], 2),
        "meets_target": percentile(timings, 0.95) < LATENCY_TARGET_MS,
    }
    print(
        f"  {url:58} p50 {result['p50_ms']:7.2f} ms  p95 {result['p95_ms']:7.2f} ms  "
        f"{queries} queries{'' if result['meets_target'] else '  MISSES TARGET'}",
        flush=True,
    )
    return result


def rss_bytes() -> int:
    """The process's resident set size, from /proc (Linux)."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE")


def run_export(client, url: str, traced: bool) -> dict:
    """POST the export and read the stream to the end, noting memory at each checkpoint."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    if traced:
        tracemalloc.start()
    marks = {}
    rows = -1  # the header line is not a row
    size = 0
    with CaptureQueriesContext(connection) as capture:
        start = time.perf_counter()
        response = client.post(url)
        assert response.status_code == 200 and response.streaming
        for chunk in response.streaming_content:
            rows += chunk.count(b"\n")
            size += len(chunk)
            if rows in CHECKPOINTS:
                marks[rows] = {
                    "rss_mb": round(rss_bytes() / 2**20, 1),
                    **(
                        {"traced_mb": round(tracemalloc.get_traced_memory()[0] / 2**20, 2)}
                        if traced
                        else {}
                    ),
                }
        seconds = time.perf_counter() - start
    result = {
        "rows": rows,
        "bytes": size,
        "seconds": round(seconds, 2),
        "rows_per_second": round(rows / seconds),
        "queries": len(capture.captured_queries),
        "memory_at_rows": {str(k): v for k, v in sorted(marks.items())},
    }
    if traced:
        result["traced_peak_mb"] = round(tracemalloc.get_traced_memory()[1] / 2**20, 2)
        tracemalloc.stop()
    return result


def in_memory_peak(campaign) -> float:
    """For comparison: peak traced memory of building every row in memory before sending."""
    from idei.csv_export import inert
    from letters.dashboard import EXPORT_FIELDS, export_row, exportable

    tracemalloc.start()
    rows = [
        [inert(cell) for cell in export_row(row)]
        for row in exportable(campaign).values_list(*EXPORT_FIELDS)
    ]
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    del rows
    return round(peak / 2**20, 2)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Campaign pages and signature export at scale.")
    parser.add_argument("--campaigns", type=int, default=200)
    parser.add_argument("--signatures", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)

    problem = fresh_database("campaigns")
    if problem:
        return fail(problem)
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from campaigns.models import Campaign

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    loaded = load(args.campaigns, args.signatures)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    print(f"Loaded {loaded} in {time.perf_counter() - started:.1f} s", flush=True)

    client = Client()
    client.force_login(get_user_model().objects.get(username="bench-coordinator"))
    print("Pages:", flush=True)
    pages = [
        measure_page(client, page, args.requests, args.warmup)
        for page in [
            "/dashboard/campaigns/flagship/signatures/",
            "/dashboard/campaigns/flagship/signatures/export/",
            "/campaigns/flagship/",
            "/campaigns/",
            "/campaigns/?country=MX",
            "/api/v1/campaigns/",
            "/api/v1/campaigns/flagship/",
        ]
    ]

    print("CSV export of the flagship campaign's signatures:", flush=True)
    export_url = "/dashboard/campaigns/flagship/signatures/export/csv/"
    speed = run_export(client, export_url, traced=False)
    print(
        f"  {speed['rows']} rows in {speed['seconds']} s: {speed['rows_per_second']} rows/s, "
        f"{speed['queries']} queries; RSS at rows {speed['memory_at_rows']}",
        flush=True,
    )
    memory = run_export(client, export_url, traced=True)
    print(
        f"  traced memory at rows {memory['memory_at_rows']}, peak {memory['traced_peak_mb']} MB",
        flush=True,
    )
    whole = in_memory_peak(Campaign.objects.get(slug="flagship"))
    print(f"  for comparison, all rows built in memory at once: peak {whole} MB", flush=True)

    results = {
        "benchmark": "campaigns",
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        # Other work on a shared machine inflates every figure: compare within one run.
        "load_average_1_5_15": [round(x, 2) for x in os.getloadavg()],
        "postgresql": connection.cursor().connection.info.server_version,
        "data": loaded,
        "targets": {"p95_ms": LATENCY_TARGET_MS},
        "method": (
            f"Django test Client in-process (server-side time), DEBUG off, signed in as a "
            f"coordinator, {args.warmup} warm-up then {args.requests} timed requests per page. "
            "Export: one untraced run for speed and resident size, one under tracemalloc for "
            "Python's own allocations (tracemalloc slows it down)."
        ),
        "pages": pages,
        "export": {
            "untraced": speed,
            "traced": memory,
            "all_rows_in_memory_peak_mb": whole,
        },
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    print(f"Wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
