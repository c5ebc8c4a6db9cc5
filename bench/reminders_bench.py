"""Reminders benchmark: one reminder fanned out to 100,000 subscribers, end to end.

Real pieces throughout: PostgreSQL (DATABASE_URL must name a database whose name contains
"bench"; it is dropped, created and migrated), a private redis-server on a free port (never the
shared one), `celery -A idei worker --pool prefork` processes, and an aiosmtpd sink in a process
of its own (so it does not share a GIL with the measuring process) that counts every message and
its Message-ID. The due run is `letters.reminders.tasks.queue_due_reminders` in a separate
process too, so that its own peak memory can be read.

Measured per worker concurrency (2, then 4 on these 2 cores): messages per second from the start
of the due run until the sink has received every reminder; peak resident memory (VmHWM) of the
due run and of each worker process; duplicates at the sink; and what the hourly re-run costs
once everyone has been reminded. Results: bench/results/reminders.json. Target: 500 reminders/s.
"""

import argparse
import datetime
import json
import multiprocessing
import os
import random
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script for the due-run role
    sys.path.insert(0, str(ROOT))

from bench.cases_bench import (  # noqa: E402
    bench_database_url,
    fail,
    load_cases,
    machine,
    recreate_database,
    setup_django,
)

RESULTS = ROOT / "bench" / "results" / "reminders.json"
TARGET_PER_SECOND = 500
AS_OF = datetime.date(2026, 10, 26)  # the 7-days-before reminder is due for everyone
LANGUAGES = ["en"] * 5 + ["es"] * 3 + ["fr"] * 2 + ["ar"]
ZONES = {
    "MX": "America/Mexico_City", "CO": "America/Bogota", "PH": "Asia/Manila",
    "BR": "America/Sao_Paulo", "IN": "Asia/Kolkata", "PK": "Asia/Karachi", "FR": "Europe/Paris",
    "US": "America/New_York", "NG": "Africa/Lagos", "UA": "Europe/Kyiv", "ES": "Europe/Madrid",
    "IQ": "Asia/Baghdad", "SY": "Asia/Damascus", "KI": "Pacific/Kiritimati",
    "AS": "Pacific/Pago_Pago", "NP": "Asia/Kathmandu", "SO": "Africa/Mogadishu",
}  # fmt: skip
MESSAGE_ID = re.compile(rb"^Message-ID:\s*(<[^>\r\n]+>)", re.MULTILINE | re.IGNORECASE)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def peak_kib(pid: int) -> dict[str, int]:
    """VmHWM (peak resident set) and VmRSS of a live process, in KiB, from /proc."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in {"VmHWM", "VmRSS"}:
            values[key] = int(rest.split()[0])
    return values


def mib(kib: int) -> float:
    return round(kib / 1024, 1)


# -- A proposed outbox change, measured as a variant ------------------------------------------


def returning_claim(pk: int):
    """Proposal for idei.outbox.sending.claim: one UPDATE ... RETURNING, not UPDATE then SELECT."""
    from django.utils import timezone

    from idei.outbox.models import OutgoingMessage

    now = timezone.now()
    table = OutgoingMessage._meta.db_table
    rows = list(
        OutgoingMessage.objects.raw(
            f'UPDATE "{table}" SET status = %s, claimed_at = %s, attempts = attempts + 1 '  # noqa: S608
            "WHERE id = %s AND status = %s AND next_attempt_at <= %s RETURNING *",
            ["sending", now, pk, "queued", now],
        )
    )
    return rows[0] if rows else None


def __getattr__(name: str):
    """`celery -A bench.reminders_bench` (the "returning" variant): our app, proposed claim."""
    if name != "app":
        raise AttributeError(name)
    from celery.signals import worker_process_init

    from idei.celery import app

    def use_returning_claim(**kwargs):  # in each pool process, once Django is set up
        from idei.outbox import sending as outbox

        outbox.claim = returning_claim

    worker_process_init.connect(use_returning_claim, weak=False)
    return app


# -- The SMTP sink, in its own process ----------------------------------------------------------


def run_sink(port: int, control) -> None:
    """Accept every message, count it and its Message-ID; answer `stats`/`reset`/`stop`."""
    import threading

    from aiosmtpd.controller import Controller

    lock = threading.Lock()
    state = {"count": 0, "ids": set(), "first": None, "last": None}

    class Sink:
        async def handle_DATA(self, server, session, envelope):
            match = MESSAGE_ID.search(envelope.content)
            now = time.time()
            with lock:
                state["count"] += 1
                state["ids"].add(match.group(1) if match else b"")
                state["first"] = state["first"] or now
                state["last"] = now
            return "250 OK"

    controller = Controller(Sink(), hostname="127.0.0.1", port=port)
    controller.start()
    control.send("ready")
    while True:
        command = control.recv()
        with lock:
            if command == "stats":
                control.send(
                    {
                        "count": state["count"],
                        "distinct": len(state["ids"]),
                        "first": state["first"],
                        "last": state["last"],
                    }
                )
            elif command == "reset":
                state.update(count=0, ids=set(), first=None, last=None)
                control.send("ok")
            else:
                break
    controller.stop()


class SmtpSink:
    def __init__(self):
        self.port = free_port()
        context = multiprocessing.get_context("spawn")
        self.control, child = context.Pipe()
        self.process = context.Process(target=run_sink, args=(self.port, child), daemon=True)

    def start(self):
        self.process.start()
        assert self.control.recv() == "ready"

    def stats(self) -> dict:
        self.control.send("stats")
        return self.control.recv()

    def reset(self):
        self.control.send("reset")
        self.control.recv()

    def stop(self):
        if self.process.is_alive():
            self.control.send("stop")
            self.process.join(10)
        if self.process.is_alive():
            self.process.kill()


# -- Redis and workers --------------------------------------------------------------------------


class PrivateRedis:
    def __init__(self):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = subprocess.Popen(
            [
                *("redis-server", "--port", str(self.port), "--bind", "127.0.0.1"),
                *("--save", "", "--appendonly", "no", "--daemonize", "no"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while not self.ping():
            if time.monotonic() > deadline:
                raise RuntimeError("redis-server did not start")
            time.sleep(0.05)

    def ping(self) -> bool:
        import redis

        try:
            return bool(redis.Redis(port=self.port, socket_connect_timeout=0.5).ping())
        except redis.RedisError:
            return False

    def flush(self):
        import redis

        redis.Redis(port=self.port).flushall()

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)


def service_env(database_url: str, redis_url: str, smtp_port: int) -> dict:
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp_port),
        # Production-like: no query log kept per connection, no debug pages.
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "localhost",
        "SECURE_SSL_REDIRECT": "0",
        "LOG_LEVEL": "WARNING",
        "LOG_FORMAT": "text",
    }


class Worker:
    """One `celery worker` process (prefork) and its pool processes."""

    def __init__(self, env: dict, concurrency: int, log: Path, claim: str = "orm"):
        self.log = log
        app = "idei" if claim == "orm" else "bench.reminders_bench"
        with log.open("wb") as handle:
            self.process = subprocess.Popen(
                [
                    *(str(ROOT / ".venv" / "bin" / "celery"), "-A", app, "worker"),
                    *("--pool", "prefork", "--concurrency", str(concurrency)),
                    *("-Q", "celery", "-n", f"bench-{uuid.uuid4().hex[:6]}@%h"),
                    *("--without-gossip", "--without-mingle", "--without-heartbeat"),
                    *("--loglevel", "INFO"),
                ],
                cwd=ROOT,
                env=env,
                stdout=handle,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + 90
        while b" ready." not in log.read_bytes():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"worker did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.1)

    def children(self) -> list[int]:
        import psutil

        return [child.pid for child in psutil.Process(self.process.pid).children()]

    def memory(self) -> dict:
        main = peak_kib(self.process.pid)
        pool = [peak_kib(pid) for pid in self.children()]
        return {
            "main_peak_mib": mib(main["VmHWM"]),
            "pool_peak_mib": [mib(values["VmHWM"]) for values in pool],
            "pool_rss_now_mib": [mib(values["VmRSS"]) for values in pool],
        }

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)


# -- The due run, in its own process ------------------------------------------------------------


def due_role(args) -> int:
    """Run send_due_reminders once and print its timing and peak memory as JSON."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "idei.settings")
    import django

    django.setup()
    from letters.reminders.tasks import queue_due_reminders

    baseline = peak_kib(os.getpid())["VmRSS"]
    started = time.time()
    report = queue_due_reminders(
        as_of_date=datetime.date.fromisoformat(args.date), chunk_size=args.chunk
    )
    finished = time.time()
    print(
        json.dumps(
            {
                "started": started,
                "seconds": round(finished - started, 3),
                "recipients": report.recipients,
                "batches": report.batches,
                "rss_after_django_setup_mib": mib(baseline),
                "peak_rss_mib": mib(peak_kib(os.getpid())["VmHWM"]),
            }
        )
    )
    return 0


def run_due(env: dict, chunk: int) -> dict:
    output = subprocess.run(
        [
            *(sys.executable, str(Path(__file__).resolve()), "--role", "due"),
            *("--date", AS_OF.isoformat(), "--chunk", str(chunk)),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(output.stdout.strip().splitlines()[-1])


# -- Data ---------------------------------------------------------------------------------------


def load(subscribers: int, seed: int = 2026) -> dict:
    """Cases, open campaigns about them, subscribers across 17 time zones and 4 languages."""
    from django.utils import timezone

    from campaigns.models import Campaign, Organisation
    from cases.models import Case
    from letters.models import Signature, Subscription

    rng = random.Random(seed)
    load_cases(2_000, seed)
    organisation = Organisation.objects.create(name="Press Freedom Group", slug="pfg")
    cases_by_country: dict[str, list[int]] = {}
    for pk, country in Case.objects.values_list("pk", "country"):
        cases_by_country.setdefault(country, []).append(pk)
    countries = list(ZONES)
    about = [country for country in countries if cases_by_country.get(country)]
    campaigns = Campaign.objects.bulk_create(
        Campaign(
            organisation=organisation,
            title=f"Reopen the investigations in {country}",
            slug=f"reopen-{country.lower()}",
            summary="Most killings of journalists remain unpunished.",
            status="published",
        )
        for country in about
    )
    Campaign.cases.through.objects.bulk_create(
        Campaign.cases.through(campaign_id=campaign.pk, case_id=case)
        for campaign, country in zip(campaigns, about, strict=True)
        for case in rng.sample(cases_by_country[country], min(3, len(cases_by_country[country])))
    )
    now = timezone.now()
    batch = []
    for n in range(subscribers):
        country = countries[n % len(countries)]
        batch.append(
            Subscription(
                email=f"reader{n}@example.org",
                email_key=f"reader{n}@example.org",
                country=country,
                language=rng.choice(LANGUAGES),
                time_zone=ZONES[country],
                unsubscribe_token=secrets.token_urlsafe(24),
                confirmed_at=now,
                consent_record={"text": "Remind me before 2 November", "at": now.isoformat()},
            )
        )
        if len(batch) == 5_000:
            Subscription.objects.bulk_create(batch)
            batch = []
    Subscription.objects.bulk_create(batch)
    # One subscriber in ten signed a campaign already: it is left out of their reminder.
    Signature.objects.bulk_create(
        Signature(
            campaign=campaigns[n % len(campaigns)],
            name=f"Reader {n}",
            email=f"reader{n}@example.org",
            email_key=f"reader{n}@example.org",
            country=countries[n % len(countries)],
            confirmed_at=now,
        )
        for n in range(0, subscribers, 10)
    )
    return {"cases": 2_000, "campaigns": len(campaigns), "signatures": subscribers // 10}


def vacuum():
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


def clear_reminder_rows():
    from django.db import connection

    from idei.outbox.models import OutgoingMessage
    from letters.models import MessageKind

    OutgoingMessage.objects.filter(kind=MessageKind.REMINDER).delete()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE letters_outgoingmessage")


# -- One round ----------------------------------------------------------------------------------


def run_round(env, redis, sink, concurrency, claim, subscribers, chunk, timeout, log_dir) -> dict:
    from idei.outbox.models import OutgoingMessage
    from letters.models import MessageKind

    clear_reminder_rows()
    redis.flush()
    sink.reset()
    worker = Worker(env, concurrency, log_dir / f"worker-c{concurrency}-{claim}.log", claim)
    try:
        load_before = os.getloadavg()
        due = run_due(env, chunk)
        deadline = time.monotonic() + timeout
        samples = []
        while True:
            stats = sink.stats()
            samples.append((time.time(), stats["count"]))
            if stats["count"] >= subscribers or time.monotonic() > deadline:
                break
            time.sleep(0.25)
        time.sleep(1)  # a double would arrive now
        stats = sink.stats()
        memory = worker.memory()
        load_after = os.getloadavg()
    finally:
        worker.stop()
    elapsed = (stats["last"] or time.time()) - due["started"]
    sent = OutgoingMessage.objects.filter(
        kind=MessageKind.REMINDER, status=OutgoingMessage.Status.SENT
    ).count()
    return {
        "worker_processes": 1,
        "concurrency": concurrency,
        "claim": claim,
        "chunk_size": chunk,
        "due_run": due,
        "received": stats["count"],
        "distinct_message_ids": stats["distinct"],
        "duplicates": stats["count"] - stats["distinct"],
        "rows_sent": sent,
        "complete": stats["count"] >= subscribers,
        "seconds_end_to_end": round(elapsed, 2),
        "messages_per_second": round(stats["count"] / elapsed, 1),
        "worker_memory": memory,
        "load_average_before_after": [round(load_before[0], 2), round(load_after[0], 2)],
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Reminders fan-out to 100,000 subscribers.")
    parser.add_argument("--subscribers", type=int, default=100_000)
    parser.add_argument("--concurrency", default="2,4", help="comma-separated, one round each")
    parser.add_argument("--chunk", type=int, default=500)
    parser.add_argument(
        "--claim",
        default="orm",
        help="comma-separated: orm (idei.outbox.sending as it was), returning (proposed claim)",
    )
    parser.add_argument("--timeout", type=float, default=900, help="seconds per round, at most")
    parser.add_argument("--output", type=Path, default=RESULTS)
    parser.add_argument("--role", choices=["bench", "due"], default="bench", help=argparse.SUPPRESS)
    parser.add_argument("--date", default=AS_OF.isoformat(), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.role == "due":
        return due_role(args)

    database = bench_database_url()
    if database is None:
        return fail("Set DATABASE_URL=postgres://.../idei_reminders_bench (PostgreSQL).")
    url, name = database
    if "bench" not in name:
        return fail(f"Refusing to drop {name!r}: the database name must contain 'bench'.")
    recreate_database(url, name)
    setup_django()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    started = time.monotonic()
    data = load(args.subscribers)
    vacuum()
    print(f"Loaded {args.subscribers:,} subscribers in {time.monotonic() - started:.1f} s")

    redis = PrivateRedis()
    sink = SmtpSink()
    sink.start()
    env = service_env(url, redis.url, sink.port)
    log_dir = Path(os.environ.get("TMPDIR", "/tmp")) / f"reminders-bench-{os.getpid()}"
    log_dir.mkdir(parents=True, exist_ok=True)
    rounds = []
    try:
        for claim in args.claim.split(","):
            for concurrency in [int(value) for value in args.concurrency.split(",")]:
                result = run_round(
                    env,
                    redis,
                    sink,
                    concurrency,
                    claim,
                    args.subscribers,
                    args.chunk,
                    args.timeout,
                    log_dir,
                )
                rounds.append(result)
                print(
                    f"claim {claim}, concurrency {concurrency}: "
                    f"{result['messages_per_second']} messages/s "
                    f"({result['received']:,} in {result['seconds_end_to_end']} s), "
                    f"duplicates {result['duplicates']}, due run peak "
                    f"{result['due_run']['peak_rss_mib']} MiB, worker pool peaks "
                    f"{result['worker_memory']['pool_peak_mib']} MiB",
                    flush=True,
                )
        # Everyone has been reminded: what each of the other 23 hourly runs of the day costs.
        rerun = run_due(env, args.chunk)
        print(f"re-run once everyone is reminded: {rerun['seconds']} s, {rerun['batches']} batches")
    finally:
        sink.stop()
        redis.stop()

    results = {
        "benchmark": "reminders",
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "load_average_at_end": [round(value, 2) for value in os.getloadavg()],
        "subscribers": args.subscribers,
        "data": data,
        "target_messages_per_second": TARGET_PER_SECOND,
        "rounds": rounds,
        "rerun_when_all_sent": rerun,
        "worker_logs": str(log_dir),
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2) + "\n")
    print(f"Results: {args.output}")
    standard = [r for r in rounds if r["claim"] == "orm"] or rounds
    return 0 if max(r["messages_per_second"] for r in standard) >= TARGET_PER_SECOND else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
