"""Reminder rendering benchmark: CPU time to render one reminder (subject, text and HTML).

Was a test in tests/letters/test_reminder_content.py that only printed its figure: a time asserts
nothing on a shared machine, so it is measured here. Renders the 7-days-before default reminder
for subscribers across 17 countries and 4 languages with `render_reminder`, the shared context
built once as the due run does, and reports the median and p95 of several rounds in µs per
message.

Needs PostgreSQL: DATABASE_URL must name a database whose name contains "bench" (dropped and
created again, then migrated), loaded by bench/reminders_bench.py's `load`. Results:
bench/results/reminder_render.json.
"""

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: python bench/reminder_render_bench.py
    sys.path.insert(0, str(ROOT))

from bench.cases_bench import (  # noqa: E402
    fail,
    fresh_database,
    machine,
    percentile,
)

RESULTS = ROOT / "bench" / "results" / "reminder_render.json"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="render_reminder: µs per message.")
    parser.add_argument("--subscribers", type=int, default=2_000)
    parser.add_argument("--rounds", type=int, default=7, help="each renders every subscriber once")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)

    problem = fresh_database("reminder render")
    if problem:
        return fail(problem)
    from django.core.management import call_command

    from bench.reminders_bench import AS_OF, load
    from letters.models import Reminder, Subscription
    from letters.reminders.content import (
        ReminderRunContext,
        render_reminder,
        signed_campaign_ids_for,
    )

    call_command("migrate", verbosity=0)
    loaded = load(args.subscribers)
    print(f"Loaded {loaded} and {args.subscribers} subscribers", flush=True)

    reminder = Reminder.objects.get(days_before=7)
    subscriptions = list(Subscription.objects.order_by("pk"))
    shared = ReminderRunContext.build()
    signed = signed_campaign_ids_for([s.email_key for s in subscriptions])

    def render(subscription):
        return render_reminder(
            subscription,
            reminder,
            observance_year=AS_OF.year,
            shared=shared,
            signed_campaign_ids=signed.get(subscription.email_key, set()),
        )

    for subscription in subscriptions[:50]:  # warm-up: compiled texts, phrases, country names
        render(subscription)
    per_message_us = []
    for _ in range(args.rounds):
        started = time.perf_counter()
        for subscription in subscriptions:
            render(subscription)
        per_message_us.append((time.perf_counter() - started) / len(subscriptions) * 1e6)

    ordered = sorted(per_message_us)
    result = {
        "machine": machine(),
        "subscribers": len(subscriptions),
        "rounds": args.rounds,
        "median_us_per_message": round(statistics.median(ordered), 1),
        "p95_us_per_message": round(percentile(ordered, 0.95), 1),
        "rounds_us_per_message": [round(value, 1) for value in per_message_us],
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n")
    print(
        f"render_reminder: median {result['median_us_per_message']} µs per message "
        f"(p95 of {args.rounds} rounds {result['p95_us_per_message']} µs); {args.output}",
        flush=True,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
