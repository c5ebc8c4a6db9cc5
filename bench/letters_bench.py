"""Letters benchmark: the sign form under rising load, and the petition PDF for 100,000 signers.

`bench/run.py letters [--only load|petition] [--signers N] [--steps 100,200,300,400]
[--step-seconds 40]`. Needs PostgreSQL and Redis: DATABASE_URL must name a database whose name
contains "bench" (dropped and created again, then migrated), REDIS_URL a Redis database.

- **Sign form**: gunicorn (4 sync workers, DEBUG=0) on loopback, a real Celery worker and an
  SMTP sink (aiosmtpd) so that confirmation mails really go out, both at idle CPU priority;
  bench/signers.py drives it: virtual signers arrive at a fixed rate (open loop), each GETs
  the campaign page (CSRF cookie and token, the form's signed timestamp), waits past the
  minimum time on page, and POSTs the form with a new address, asking for JSON as the page's
  script does. Per-IP rate limits would stop a load test from one address, so gunicorn runs
  with TRUSTED_PROXY_COUNT=1 and each signer sends a random X-Forwarded-For address (what a
  proxy in front would add). Each step reports signatures per second, p50/p95/p99 and errors,
  then counts the rows (every accepted signature must be in the database) and waits for the
  confirmation e-mails to be sent.
- **Petition PDF**: 100,000 confirmed signers who agreed to share their names (Arabic,
  Cyrillic, Chinese, accented and plain Latin names), made the way production makes it: by
  the Celery tasks in a real worker (prefork pool, concurrency 1, on the bench's own queue).
  First the coordinator's petition (generate_petition_pdf), then the close of the campaign
  (deliver_petition_task: three officials in one language, so one signer list for the
  three). Each is timed from enqueue to result, while the resident memory of the pool process
  that runs it is sampled every 50 ms (it starts no process of its own). The PDFs' text is
  then extracted to check that every name is there exactly once and that Arabic and Chinese
  were set in Noto fonts. Targets: under 120 s and 500 MB.

Results: bench/results/letters.json.
"""

import argparse
import contextlib
import datetime
import json
import os
import platform
import random
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from bench.versions import python_speed_ms, versions

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "letters.json"
BIN = Path(sys.executable).parent
PETITION_TARGET_S, PETITION_TARGET_MB = 120, 500
SIGN_TARGET_RATE, SIGN_TARGET_P95_MS = 300, 250
# The load generator shares the 2 cores with the site. Run at normal priority it waits behind
# the site's processes to read its responses, and that wait is counted as the site's latency;
# a higher priority (it needs about a quarter of a core) keeps its clock honest.
GENERATOR_PRIORITY = os.environ.get("BENCH_GENERATOR_PRIORITY", "nice -n -10").split()
# letters.abuse.MIN_SECONDS_ON_PAGE is 3: a form sent sooner is silently dropped.
THINK_SECONDS = 3.3

FIRST = {
    "ar": ["محمد", "فاطمة", "أحمد", "ليلى", "عمر", "نور", "يوسف", "مريم"],
    "ru": ["Анна", "Дмитрий", "Ольга", "Сергей", "Наталья", "Иван"],
    "zh": ["王", "李", "张", "刘", "陈", "杨"],
    "es": ["José", "María", "Ángel", "Lucía", "Íñigo", "Begoña"],
    "en": ["John", "Mary", "David", "Sarah", "Peter", "Grace"],
}  # fmt: skip
LAST = {
    "ar": ["عبد الله", "الحسن", "المصري", "حداد", "الخطيب"],
    "ru": ["Политковская", "Муратов", "Иванова", "Смирнов", "Кузнецова"],
    "zh": ["小明", "静", "伟", "芳", "娜"],
    "es": ["Núñez", "Peña", "Muñoz", "Gómez-Çelik", "Ibáñez"],
    "en": ["Smith", "O'Brien", "Walker", "Nguyen", "Okafor"],
}  # fmt: skip
CITIES = {
    "ar": (["القاهرة", "بيروت", "الخرطوم"], "EG"),
    "ru": (["Москва", "Казань", "Новосибирск"], "RU"),
    "zh": (["北京", "上海", "广州"], "CN"),
    "es": (["Ciudad de México", "Bogotá", "Córdoba"], "MX"),
    "en": (["London", "Lagos", "Manila"], "GB"),
}


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
    import psycopg

    admin_url = urlunsplit(urlsplit(url)._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def setup_django():
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "idei.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def machine() -> dict:
    return {
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "versions": versions(),
        "python_loop_ms": python_speed_ms(),
    }


def make_campaign(slug: str, *, delivery_mode: str = "each"):
    from campaigns.models import Campaign, LetterTemplate, Organisation, Target
    from cases.models import Case

    organisation, _ = Organisation.objects.get_or_create(
        slug="bench-press-freedom", defaults={"name": "Bench Press Freedom", "country": "MX"}
    )
    campaign = Campaign.objects.create(
        organisation=organisation,
        slug=slug,
        title="Justice for Regina Martínez and Anas Al-Sharif",
        summary="Reopen the investigations.",
        status=Campaign.Status.PUBLISHED,
        delivery_mode=delivery_mode,
        goal=100_000,
    )
    target = Target.objects.create(
        name="Fiscal General",
        position="Attorney General",
        institution="Fiscalía General de la República",
        country="MX",
        email="fiscal@gov.example.org",
        postal_address="Avenida Paseo de la Reforma 211\n06500 Ciudad de México",
        language="es",
    )
    campaign.targets.add(target)
    for n, (name, country) in enumerate([("Regina Martínez", "MX"), ("أنس الشريف", "PS")]):
        case = Case.objects.create(
            full_name=name,
            sort_name=name,
            slug=f"{slug}-case-{n}",
            country=country,
            date_of_death=datetime.date(2012 + n * 12, 4, 28),
            year=2012 + n * 12,
            place="Xalapa" if country == "MX" else "Gaza",
            type_of_death="murder",
            impunity="complete",
            summary="Killed after reporting on organised crime; no one has been convicted.",
            is_published=True,
        )
        campaign.cases.add(case)
    for language, body in [
        (
            "en",
            "Dear {target_name},\n\nWe ask you to reopen:\n{cases}\n\nSincerely,\n{signer_name}",
        ),
        (
            "es",
            "Estimado {target_name}:\n\nLe pedimos reabrir:\n{cases}\n\nAtentamente, {signer_name}",
        ),
    ]:
        LetterTemplate.objects.create(
            campaign=campaign, language=language, subject="Justice: {case_names}", body=body
        )
    return campaign


# -- Petition PDF -----------------------------------------------------------------------------


def load_signers(campaign, count: int, seed: int = 5):
    from django.utils import timezone

    from letters.models import Signature

    rng = random.Random(seed)
    scripts = list(FIRST)
    now = timezone.now()
    batch = []
    for n in range(count):
        script = scripts[n % len(scripts)]
        cities, country = CITIES[script]
        name = f"{rng.choice(FIRST[script])} {rng.choice(LAST[script])} #{n}"
        batch.append(
            Signature(
                campaign=campaign,
                name=name,
                email=f"p{n}@example.org",
                email_key=f"p{n}@example.org",
                country=country,
                city=rng.choice(cities),
                consent_share_name=True,
                confirmed_at=now,
            )
        )
        if len(batch) == 5000:
            Signature.objects.bulk_create(batch)
            batch = []
    Signature.objects.bulk_create(batch)


# The close path: officials in one language share one signer list.
PETITION_OFFICIALS = [
    ("Fiscal General", "fiscal@gov.example.org"),
    ("Jueza de Distrito", "jueza@gov.example.org"),
    ("Defensor del Pueblo", "defensor@gov.example.org"),
]


def add_officials(campaign):
    """Two more Spanish-speaking officials beside make_campaign's Fiscal General."""
    from campaigns.models import Target

    for name, email in PETITION_OFFICIALS[1:]:
        campaign.targets.add(
            Target.objects.create(
                name=name, position=name, institution="República", country="MX",
                email=email, language="es",
            )
        )  # fmt: skip


def start_petition_worker(env: dict, queue: str, log) -> subprocess.Popen:
    """A real Celery worker as production runs one (prefork), consuming only `queue`."""
    return subprocess.Popen(
        [str(BIN / "celery"), "-A", "idei", "worker", "--pool", "prefork", "-c", "1",
         "-Q", queue, "-n", f"{queue}@%h", "-l", "WARNING",
         "--without-gossip", "--without-mingle", "--without-heartbeat"],
        cwd=ROOT,
        env=env,
        # Files, not pipes: nobody reads a pipe while the worker runs, and a worker that writes
        # more than a pipe holds (WeasyPrint warns for every glyph a font cannot draw) blocks.
        stdout=log,
        stderr=subprocess.STDOUT,
    )  # fmt: skip


def pool_process(worker_pid: int):
    """The worker's one pool process (prefork, concurrency 1): the one that runs tasks."""
    import psutil

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        children = psutil.Process(worker_pid).children()
        if len(children) == 1:
            return children[0]
        time.sleep(0.2)
    raise RuntimeError("the worker's pool process did not start")


def run_task_measured(task, campaign_id: int, queue: str, worker_pid: int) -> dict:
    """Enqueue the task, wait for its result; wall time and the pool process's peak memory."""
    import psutil

    worker = psutil.Process(worker_pid)
    child = pool_process(worker_pid)
    idle = child.memory_full_info()
    cpu_before = child.cpu_times()
    load_before = os.getloadavg()
    started = time.monotonic()
    result = task.apply_async((campaign_id,), queue=queue, ignore_result=False)
    peak_rss = peak_uss = peak_worker = 0
    while not result.ready():
        with contextlib.suppress(psutil.Error):
            info = child.memory_full_info()
            peak_rss, peak_uss = max(peak_rss, info.rss), max(peak_uss, info.uss)
            peak_worker = max(peak_worker, info.rss + worker.memory_info().rss)
        if time.monotonic() - started > 3600:
            raise RuntimeError(f"{task.name} did not finish within an hour")
        time.sleep(0.05)
    elapsed = time.monotonic() - started
    cpu_after = child.cpu_times()
    value = result.get(timeout=10)  # raises what the task raised
    if pool_process(worker_pid).pid != child.pid:
        raise RuntimeError(f"the pool process died during {task.name}")
    return {
        "task": task.name,
        "seconds": round(elapsed, 2),
        # The pool process's CPU time: well below the wall time, other processes had the CPU.
        "cpu_seconds": round(
            cpu_after.user + cpu_after.system - cpu_before.user - cpu_before.system, 2
        ),
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "peak_rss_mb": round(peak_rss / 1e6, 1),
        "peak_uss_mb": round(peak_uss / 1e6, 1),
        "idle_rss_mb": round(idle.rss / 1e6, 1),
        "worker_and_pool_peak_rss_mb": round(peak_worker / 1e6, 1),
        "load_average_before": [round(x, 2) for x in load_before],
        "result": value,
    }


def check_petition(path: Path, count: int) -> dict:
    """Every numbered name exactly once, Arabic and Chinese in Noto fonts, text extractable."""
    import re

    text = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    # A right-to-left name may come out with its number reversed around the "#".
    numbers = [int(x) for x in re.findall(r"#(\d+)", text)]
    numbers += [int(x) for x in re.findall(r"(\d+)#", text)]
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True).stdout
    arabic_names = [f"{first} {last}" for first in FIRST["ar"] for last in LAST["ar"]]
    return {
        "names_found": len(set(numbers)),
        "names_expected": count,
        "names_seen_twice": len(numbers) - len(set(numbers)),
        "every_name_once": sorted(numbers) == list(range(count)),
        "arabic_font": any(f in fonts for f in ("Noto-Naskh-Arabic", "Noto-Sans-Arabic")),
        "cjk_font": "CJK" in fonts,
        "arabic_names_in_logical_order": sum(name in text for name in arabic_names),
    }


def pdf_figures(path: Path) -> dict:
    from pypdf import PdfReader

    return {
        "pages": len(PdfReader(str(path)).pages),
        "file_mb": round(path.stat().st_size / 1e6, 2),
    }


def bench_petition(args) -> dict:
    from django.db import connection

    from idei.celery import app as celery_app
    from idei.celery import ping
    from idei.outbox.models import OutgoingMessage
    from letters.delivery.tasks import deliver_petition_task, generate_petition_pdf

    campaign = make_campaign("bench-petition", delivery_mode="petition")
    add_officials(campaign)
    started = time.monotonic()
    load_signers(campaign, args.signers)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE letters_signature")
    connection.close()
    print(f"loaded {args.signers} signers in {time.monotonic() - started:.1f} s", flush=True)
    private = Path(tempfile.mkdtemp(prefix="petition-bench-"))
    queue = f"bench-petition-{secrets.token_hex(4)}"
    env = {
        **os.environ,
        "IDEI_ROOT": str(ROOT),
        "LOG_LEVEL": "WARNING",
        "PRIVATE_FILES_ROOT": str(private / "files"),
    }
    log = open(private / "worker.log", "wb")  # noqa: SIM115 (closed after the worker stops)
    worker = start_petition_worker(env, queue, log)
    try:
        assert ping.apply_async(queue=queue).get(timeout=120) == "pong"
        # The coordinator's download: the task their petition page queues.
        coordinator = run_task_measured(generate_petition_pdf, campaign.pk, queue, worker.pid)
        coordinator_pdf = Path(coordinator.pop("result"))
        coordinator.update(pdf_figures(coordinator_pdf))
        print(json.dumps(coordinator), flush=True)
        # The close: one message per official, each with the petition PDF.
        close = run_task_measured(deliver_petition_task, campaign.pk, queue, worker.pid)
        close["officials"] = close.pop("result")
        attachments = [
            private / "files" / name
            for name in OutgoingMessage.objects.filter(kind="petition")
            .order_by("pk")
            .values_list("attachment", flat=True)
        ]
        close["signer_lists_in_storage"] = sorted(
            path.name.split("-")[1] for path in (private / "files").rglob("signers-*.pdf")
        )
        close.update(pdf_figures(attachments[0]))
        print(json.dumps(close), flush=True)
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
        log.close()
        # The petition messages' send tasks wait on the default queue: no SMTP here.
        celery_app.control.purge()
    figures = {
        "signers": args.signers,
        "how": (
            "Celery worker, prefork pool, concurrency 1; memory: RSS of the pool process "
            "running the task, sampled every 50 ms"
        ),
        **{key: coordinator[key] for key in ("seconds", "peak_rss_mb", "pages", "file_mb")},
        "signers_per_second": round(args.signers / coordinator["seconds"]),
        "coordinator_petition": coordinator,
        "close_with_officials": close,
        "targets": {"seconds": PETITION_TARGET_S, "peak_rss_mb": PETITION_TARGET_MB},
    }
    if shutil.which("pdftotext"):
        figures["check"] = check_petition(coordinator_pdf, args.signers)
        figures["check_official"] = check_petition(attachments[-1], args.signers)
        print(json.dumps({"check": figures["check"], "official": figures["check_official"]}))
    shutil.rmtree(private)
    return figures


# -- Sign form under load ---------------------------------------------------------------------


def wait_http(url: str, timeout: float = 60):
    import urllib.request

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (loopback)
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer 200 within {timeout} s")


def production_env(port: int, smtp_port: int) -> dict:
    """The site's environment as in production (DEBUG=0, behind one proxy), static files
    collected."""
    env = {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp_port),
        "TRUSTED_PROXY_COUNT": "1",
        "LOG_LEVEL": "WARNING",
        "SITE_URL": f"http://127.0.0.1:{port}",
    }
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    return env


def cpu_seconds(pid: int) -> float:
    """User and system CPU time a process has used so far (from /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def bench_serial(args) -> dict:
    """CPU per request, one request at a time: the figure a busy machine disturbs least.

    One gunicorn sync worker (DEBUG=0); a client sends page GETs, then sign POSTs (forms
    fetched first, sent after the minimum time on page), one after another, each on its own
    connection as bench/signers.py does. Reported: the CPU time of the gunicorn worker and of
    its PostgreSQL backend per request (read from /proc; Redis is shared with whatever else
    runs, so its CPU is not counted here: tests/letters/test_abuse.py pins the POST's round
    trips to Redis at one).
    """
    import http.client
    import re
    from urllib.parse import urlencode

    import psycopg
    from django.db import connection

    campaign = make_campaign("bench-serial")
    connection.close()
    port = free_port()
    env = production_env(port, free_port())
    server = subprocess.Popen(
        [str(BIN / "gunicorn"), "idei.wsgi", "-w", "1", "-b", f"127.0.0.1:{port}",
         "--log-level", "warning"],
        cwd=ROOT,
        env=env,
    )  # fmt: skip
    field = re.compile(r'name="(csrfmiddlewaretoken|started)" value="([^"]+)"')
    page = f"/campaigns/{campaign.slug}/"

    def request(method, path, body=None, headers=None):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        try:
            headers = {"Connection": "close", **(headers or {})}
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            return response, response.read()
        finally:
            conn.close()

    def fetch_form():
        response, body = request("GET", page)
        cookie = re.search(r"csrftoken=([^;]+)", response.getheader("Set-Cookie", "")).group(1)
        return dict(field.findall(body.decode())), cookie

    def post(form, n):
        fields, csrf = form
        email = f"serial-{n}-{secrets.token_hex(4)}@example.org"
        body = urlencode(
            {**fields, "name": "Ana López", "email": email, "country": "MX", "city": "Puebla",
             "message": "", "leave_empty": ""}
        )  # fmt: skip
        response, answer = request("POST", f"/campaigns/{campaign.slug}/sign/", body, {
            "Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json",
            "Cookie": f"csrftoken={csrf}", "Referer": f"http://127.0.0.1:{port}{page}",
            "X-Forwarded-For": f"10.{n // 62500 % 256}.{n // 250 % 250}.{n % 250 + 1}",
        })  # fmt: skip
        if response.status != 200 or b'"ok"' not in answer:
            raise RuntimeError(f"sign POST answered {response.status}: {answer[:200]!r}")

    try:
        wait_http(f"http://127.0.0.1:{port}{page}")
        worker = int(subprocess.check_output(["pgrep", "-P", str(server.pid)]).split()[0])
        warm = [fetch_form() for _ in range(50)]
        time.sleep(3.2)
        for n, form in enumerate(warm):
            post(form, n)
        with psycopg.connect(os.environ["DATABASE_URL"], autocommit=True) as admin:
            backends = admin.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
                " AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
            ).fetchall()
        if len(backends) != 1:
            raise RuntimeError(f"expected the worker's one database connection, saw {backends}")
        backend = backends[0][0]

        def measured(run, count):
            before = cpu_seconds(worker), cpu_seconds(backend)
            started = time.perf_counter()
            run()
            wall = time.perf_counter() - started
            after = cpu_seconds(worker), cpu_seconds(backend)
            return {
                "requests": count,
                "gunicorn_worker_cpu_ms": round((after[0] - before[0]) / count * 1000, 3),
                "postgres_backend_cpu_ms": round((after[1] - before[1]) / count * 1000, 3),
                "wall_ms": round(wall / count * 1000, 3),
            }

        count = args.serial_requests
        forms = []
        page_figures = measured(lambda: forms.extend(fetch_form() for _ in range(count)), count)
        time.sleep(3.2)
        post_figures = measured(
            lambda: [post(form, 1000 + n) for n, form in enumerate(forms)], count
        )
        return {"page_get": page_figures, "sign_post": post_figures}
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=20)


def bench_load(args) -> dict:
    from django.db import connection

    from idei.outbox.models import OutgoingMessage
    from letters.models import Signature

    campaign = make_campaign("bench-sign")
    if args.stored:
        started = time.monotonic()
        store_signatures(campaign, args.stored)
        print(
            f"stored {args.stored:,} signatures in {time.monotonic() - started:.0f} s", flush=True
        )
    connection.close()
    smtp_port = free_port()
    port = free_port()
    env = production_env(port, smtp_port)
    processes = []
    try:
        # The worker and the SMTP sink run at idle CPU priority (SCHED_IDLE): on these 2 shared
        # cores the sign form comes first and confirmation e-mails go out with the CPU it
        # leaves (in production the worker has cores of its own). Each step then waits for
        # them to drain, and reports how long that took.
        processes.append(
            subprocess.Popen(
                ["chrt", "--idle", "0", sys.executable, "-m", "aiosmtpd", "-n",
                 "-c", "aiosmtpd.handlers.Sink", "-l", f"127.0.0.1:{smtp_port}"],
                cwd=ROOT,
                env=env,
            )
        )  # fmt: skip
        processes.append(
            subprocess.Popen(
                ["chrt", "--idle", "0", str(BIN / "celery"), "-A", "idei", "worker",
                 "-l", "WARNING", "-c", "2"],
                cwd=ROOT,
                env=env,
            )
        )  # fmt: skip
        processes.append(
            subprocess.Popen(
                [
                    str(BIN / "gunicorn"), "idei.wsgi", "-w", str(args.workers),
                    *(["-k", "gthread", "--threads", str(args.threads)] if args.threads else []),
                    "-b", f"127.0.0.1:{port}", "--log-level", "warning", "--backlog", "2048",
                ],
                cwd=ROOT,
                env=env,
            )
        )  # fmt: skip
        host = f"http://127.0.0.1:{port}"
        wait_http(f"{host}/campaigns/{campaign.slug}/")
        steps = []
        for rate in [int(x) for x in args.steps.split(",")]:
            steps.append(run_step(args, host, campaign, rate, env))
            step = steps[-1]
            # Every accepted signature is a row; the outbox drains to the SMTP sink.
            step["rows_in_database"] = Signature.objects.filter(
                campaign=campaign, email__startswith=f"s{rate}-"
            ).count()
            # Lost: accepted (200 + "ok") but not stored. Rows beyond the accepted ones come
            # from requests the load generator gave up on (timeouts) that the server finished.
            step["lost"] = max(0, step["accepted"] - step["rows_in_database"])
            step["rows_beyond_accepted"] = max(0, step["rows_in_database"] - step["accepted"])
            # Confirmation e-mails still owed: not yet written, or written and not yet sent.
            drained = time.monotonic()
            while time.monotonic() - drained < 600:
                pending = Signature.objects.filter(
                    campaign=campaign, confirmation_due_at__isnull=False
                ).count()
                pending += OutgoingMessage.objects.filter(
                    status__in=["queued", "sending"], kind="confirmation"
                ).count()
                if not pending:
                    break
                time.sleep(1)
            step["confirmation_mails_pending_after_drain"] = pending
            step["seconds_to_drain_mail"] = round(time.monotonic() - drained, 1)
            step["confirmation_mails_sent_total"] = OutgoingMessage.objects.filter(
                kind="confirmation", status="sent"
            ).count()
            connection.close()
            print(json.dumps(step), flush=True)
        return {
            "gunicorn": (
                f"{args.workers} workers x {args.threads} threads (gthread)"
                if args.threads
                else f"{args.workers} sync workers"
            ),
            "server_capacity": post_capacity(host, campaign.slug, args),
            "celery": "1 worker, prefork, concurrency 2, SCHED_IDLE (as the SMTP sink)",
            "think_seconds": THINK_SECONDS,
            "steps": steps,
            "targets": {"signatures_per_second": SIGN_TARGET_RATE, "p95_ms": SIGN_TARGET_P95_MS},
        }
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


def store_signatures(campaign, count: int) -> None:
    """`count` confirmed signatures in the campaign before the load (issue 18: the target holds
    at 1,000,000 stored signatures): copies of one real row, made in one INSERT ... SELECT so
    that every column is filled as the model fills it, then VACUUM ANALYZE as after a day."""
    from django.db import connection
    from django.utils import timezone

    from letters.models import Signature

    template = Signature.objects.create(
        campaign=campaign,
        name="Stored Signer",
        email="stored-template@example.org",
        email_key="stored-template@example.org",
        country="MX",
        city="Puebla",
        consent_share_name=True,
        confirmed_at=timezone.now(),
    )
    columns = [f.column for f in Signature._meta.concrete_fields if not f.primary_key]
    varying = {
        "name": "'Stored Signer ' || g",
        "email": "'stored-' || g || '@example.org'",
        "email_key": "'stored-' || g || '@example.org'",
    }
    select = ", ".join(varying.get(column, f'"{column}"') for column in columns)
    table = Signature._meta.db_table
    names = ", ".join(f'"{column}"' for column in columns)
    with connection.cursor() as cursor:
        cursor.execute(
            f'INSERT INTO "{table}" ({names}) '  # noqa: S608
            f'SELECT {select} FROM "{table}", generate_series(1, %s) AS g WHERE id = %s',
            [count - 1, template.pk],
        )
        cursor.execute(f'VACUUM ANALYZE "{table}"')


def run_step(args, host, campaign, rate: int, env: dict) -> dict:
    """One load step: signers arrive at `rate` a second for `step_seconds` (bench/signers.py)."""
    load_before = os.getloadavg()
    netloc = urlsplit(host)
    generator = subprocess.run(
        [
            *GENERATOR_PRIORITY, sys.executable, str(ROOT / "bench" / "signers.py"),
            netloc.hostname, str(netloc.port), campaign.slug, f"s{rate}", str(rate),
            str(args.step_seconds), str(THINK_SECONDS),
        ],
        cwd=ROOT, env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    result = json.loads(generator.stdout)
    return {
        "target_rate": rate,
        **result,
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
    }


def post_capacity(host: str, slug: str, args) -> dict:
    """Server-side capacity of the sign POST alone: tokens fetched first, then POSTs flat out.

    http.client in threads: 24 connections, each POSTs forms whose
    page was read more than the minimum time on page before, with a new address and a random
    X-Forwarded-For each. The rate is what the site answers with the generator's share of the
    CPU removed as far as possible; it is not a signer's experience (no GET between).
    """
    import http.client
    import re
    from concurrent.futures import ThreadPoolExecutor
    from urllib.parse import urlencode

    netloc = urlsplit(host).netloc
    field = re.compile(r'name="(csrfmiddlewaretoken|started)" value="([^"]+)"')
    total, concurrency = args.capacity_posts, 24
    local = threading.local()

    def conn():
        if getattr(local, "conn", None) is None:
            local.conn = http.client.HTTPConnection(netloc, timeout=30)
        return local.conn

    def request(method, path, body=None, headers=None):
        for attempt in range(2):
            try:
                c = conn()
                c.request(method, path, body=body, headers=headers or {})
                response = c.getresponse()
                return response, response.read()
            except (OSError, http.client.HTTPException):
                local.conn = None
                if attempt:
                    raise
        raise AssertionError

    def fetch_form(_):
        response, body = request("GET", f"/campaigns/{slug}/")
        cookie = response.getheader("Set-Cookie", "")
        return dict(field.findall(body.decode())), re.search(r"csrftoken=([^;]+)", cookie).group(1)

    with ThreadPoolExecutor(4) as pool:
        forms = list(pool.map(fetch_form, range(total)))
    time.sleep(3.2)
    codes: dict[str, int] = {}
    times: list[float] = []
    lock = threading.Lock()

    def post(n):
        fields, csrf = forms[n]
        body = urlencode(
            {**fields, "name": "Ana López", "email": f"cap-{n}-{secrets.token_hex(4)}@example.org",
             "country": "MX", "city": "Puebla", "message": "", "leave_empty": ""}
        )  # fmt: skip
        ip = f"10.{random.randrange(256)}.{random.randrange(256)}.{random.randrange(1, 255)}"
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "Accept": "application/json",
            "Cookie": f"csrftoken={csrf}",
            "Referer": f"{host}/campaigns/{slug}/",
            "X-Forwarded-For": ip,
        }
        started = time.perf_counter()
        try:
            response, answer = request("POST", f"/campaigns/{slug}/sign/", body, headers)
            code = str(response.status) if b'"ok"' in answer else f"{response.status}-not-ok"
        except (OSError, http.client.HTTPException):
            code = "0"
        with lock:
            times.append((time.perf_counter() - started) * 1000)
            codes[code] = codes.get(code, 0) + 1

    load_before = os.getloadavg()
    started = time.monotonic()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(post, range(total)))
    elapsed = time.monotonic() - started
    times.sort()
    from letters.models import Signature

    rows = Signature.objects.filter(email__startswith="cap-").count()

    def pct(q):
        return round(times[min(len(times) - 1, int(q * len(times)))], 1)

    return {
        "posts": total,
        "concurrency": concurrency,
        "seconds": round(elapsed, 2),
        "signatures_per_second": round(codes.get("200", 0) / elapsed, 1),
        "p50_ms": pct(0.5),
        "p95_ms": pct(0.95),
        "p99_ms": pct(0.99),
        "status_codes": codes,
        "rows_in_database": rows,
        "lost": max(0, codes.get("200", 0) - rows),
        "load_average_before": [round(x, 2) for x in load_before],
    }


# -- Entry point ------------------------------------------------------------------------------


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="bench/run.py letters")
    parser.add_argument("--only", choices=["load", "petition", "serial"])
    parser.add_argument("--signers", type=int, default=100_000)
    parser.add_argument("--steps", default="100,200,300,400")
    parser.add_argument("--step-seconds", type=int, default=40)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=0, help="0: sync workers")
    parser.add_argument("--capacity-posts", type=int, default=3000)
    parser.add_argument("--serial-requests", type=int, default=1000)
    parser.add_argument(
        "--stored", type=int, default=0, help="confirmed signatures stored before the load"
    )
    args = parser.parse_args(argv)
    database = bench_database_url()
    if database is None or "bench" not in database[1]:
        return fail("DATABASE_URL must name a PostgreSQL database containing 'bench'.")
    if not os.environ.get("REDIS_URL"):
        return fail("REDIS_URL must be set (Celery broker and cache).")
    recreate_database(*database)
    setup_django()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    previous = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    results = {**previous, "machine": machine()}
    if args.only in (None, "petition"):
        results["petition_pdf"] = {"machine": machine(), **bench_petition(args)}
        RESULTS.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    if args.only in (None, "serial"):
        results["serial_cpu"] = {"machine": machine(), **bench_serial(args)}
        print(json.dumps(results["serial_cpu"], indent=2), flush=True)
    if args.only in (None, "load"):
        results["sign_form"] = {"machine": machine(), **bench_load(args)}
    results["machine"]["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    print(f"results: {RESULTS}")
    return 0
