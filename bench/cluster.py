"""The cluster proof: the reference deployment on one machine, cut while it works.

    make cluster-proof     # or: .venv/bin/python bench/cluster.py [--rate 300] [--seconds 180]

Needs DATABASE_URL naming a PostgreSQL server (the proof creates a database of its own there,
`idei_cluster_<random>`, and drops it at the end), and nginx, redis-server and openssl
installed (.ci/run installs them). It builds, from the files in deploy/ (rendered with
deploy/render.py, the units' ExecStart and environment file read as systemd reads them):

- nginx (deploy/nginx/idei.conf) on 127.0.0.10, in front of
- two web nodes (deploy/systemd/idei-web@.service), gunicorn on 127.0.0.11 and 127.0.0.12;
- two Celery workers (idei-worker@.service) and one beat (idei-beat.service), and
  receive_mail (idei-inbound.service) on 127.0.0.15;
- a private redis-server on 127.0.0.13 (stopping it disturbs no one else), PostgreSQL (the
  shared server, its own database), and an SMTP sink (aiosmtpd, in this process) on
  127.0.0.14 that records every message by recipient and Message-ID.

Then bench/signers.py offers RATE signatures a second for SECONDS from distinct simulated
signers (each from its own loopback address, through nginx: GET the page, wait, POST; one
retry, page and POST, after an error), while this script cuts the cluster at fixed fractions
of the run (at 0:45, 1:15, 1:45 and 2:15 of 3 minutes):

1. SIGKILL web node 1 (its whole process group);
2. SIGKILL worker 1 (its whole process group) while it sends;
3. stop Redis (SIGTERM, no persistence: it comes back empty) for 10 s, then start it again;
4. start web node 1 again.

It passes when every signature that got a success answer is stored exactly once; each of
those signers received exactly one copy of each confirmation e-mail (a second copy of one
message, same Message-ID, is allowed only for a message in an SMTP conversation at the
worker's SIGKILL, and each is listed; a signer whose first try failed and who signed again
is sent a new link, a second message, and is counted apart); the last confirmation arrives
within 2 minutes of the end; the errors the signers saw (per phase) all fall inside a cut's
window. It prints

    cluster: offered=N accepted=N stored=N confirmed=N duplicates=N lost=N p95_steady_ms=N

and exits 1 if anything failed. Every loop is bounded in count and time; traffic goes to
loopback addresses only. Results: bench/results/cluster.json.
"""

import argparse
import contextlib
import datetime
import email
import email.policy
import json
import os
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

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.versions import versions  # noqa: E402
from deploy.render import read_env_file, read_unit, render  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "cluster.json"
DEPLOY = ROOT / "deploy"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
NGINX_ADDRESS = "127.0.0.10"
WEB_ADDRESSES = ["127.0.0.11", "127.0.0.12"]
REDIS_ADDRESS = "127.0.0.13"
SMTP_ADDRESS = "127.0.0.14"
INBOUND_ADDRESS = "127.0.0.15"
THINK_SECONDS = 3.3
# The cuts, as fractions of the run (0:45, 1:15, 1:45, 2:15 of 3:00), and how long after each
# the signers may see errors (the Redis window counts from its restart).
CUTS = {"web_node_1_killed": 0.25, "worker_1_killed": 75 / 180, "redis_stopped": 105 / 180,
        "web_node_1_restarted": 135 / 180}  # fmt: skip
REDIS_DOWN_SECONDS = 10
ERROR_WINDOW_SECONDS = 20
CONFIRMATIONS_WITHIN_SECONDS = 120
# After that, keep waiting (bounded) only to tell late confirmations from missing ones.
LATE_WAIT_SECONDS = 480


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def free_port(address: str) -> int:
    with socket.socket() as sock:
        sock.bind((address, 0))
        return sock.getsockname()[1]


def wait_port(address: str, port: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            sock.settimeout(1)
            if sock.connect_ex((address, port)) == 0:
                return
        time.sleep(0.2)
    raise RuntimeError(f"nothing listens on {address}:{port} after {timeout} s")


def wait_http(url: str, timeout: float) -> None:
    """Until the URL answers 200, asked for the site's name (a node alone too)."""
    import urllib.request

    deadline = time.monotonic() + timeout
    request = urllib.request.Request(url, headers={"Host": NGINX_ADDRESS})  # noqa: S310
    while time.monotonic() < deadline:
        with (
            contextlib.suppress(OSError),
            urllib.request.urlopen(request, timeout=5) as response,  # noqa: S310 (loopback)
        ):
            if response.status == 200:
                return
        time.sleep(0.5)
    raise RuntimeError(f"{url} did not answer 200 within {timeout} s")


# -- The deploy/ files, rendered --------------------------------------------------------------


def render_deploy(workdir: Path, values: dict) -> dict[str, Path]:
    """Every file of deploy/ rendered into workdir with these values; their paths by name."""
    rendered = {}
    for template in [
        DEPLOY / "idei.env.template",
        DEPLOY / "nginx" / "idei.conf",
        *sorted((DEPLOY / "systemd").glob("*.service")),
    ]:
        target = workdir / template.name.removesuffix(".template")
        target.write_text(render(template.read_text(), values))
        rendered[target.name] = target
    return rendered


def self_signed_certificate(workdir: Path) -> tuple[Path, Path]:
    certificate, key = workdir / "tls.crt", workdir / "tls.key"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-days", "1", "-subj", f"/CN={NGINX_ADDRESS}",
         "-keyout", str(key), "-out", str(certificate)],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    return certificate, key


def nginx_main_config(workdir: Path, site: Path) -> Path:
    """What Debian's /etc/nginx/nginx.conf does for the site, in a directory of our own."""
    for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (workdir / f"nginx-{name}").mkdir(exist_ok=True)
        (workdir / f"nginx-{name}").chmod(0o777)
    config = workdir / "nginx.conf"
    config.write_text(
        f"""worker_processes 1;
pid {workdir}/nginx.pid;
error_log {workdir}/nginx-main-error.log warn;
events {{ worker_connections 8192; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    sendfile on;
    client_body_temp_path {workdir}/nginx-client_body;
    proxy_temp_path {workdir}/nginx-proxy;
    fastcgi_temp_path {workdir}/nginx-fastcgi;
    uwsgi_temp_path {workdir}/nginx-uwsgi;
    scgi_temp_path {workdir}/nginx-scgi;
    include {site};
}}
"""
    )
    return config


# -- Processes run from their units -----------------------------------------------------------


def group_cpu_seconds(group: int) -> float:
    """User and system CPU of the processes in a process group, with their reaped children."""
    ticks = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # gone meanwhile
        if int(fields[2]) == group:  # pgrp
            ticks += sum(int(value) for value in fields[11:15])  # utime stime cutime cstime
    return ticks / os.sysconf("SC_CLK_TCK")


class Service:
    """A process started the way its systemd unit says (ExecStart, WorkingDirectory,
    EnvironmentFile), in a process group of its own, so that a SIGKILL takes it whole, as
    systemd's control group would."""

    def __init__(self, name: str, unit: Path, instance: str, base_env: dict, logdir: Path):
        self.name = name
        self.unit = read_unit(unit, instance)
        self.env = {**base_env, **read_env_file(Path(self.unit["EnvironmentFile"]))}
        self.logfile = logdir / f"{name}.log"
        self.process: subprocess.Popen | None = None
        # CPU seconds of earlier incarnations (killed, then started again).
        self.cpu_banked = 0.0

    def cpu_seconds(self) -> float:
        """CPU time of every process of this service so far, reaped children included."""
        return self.cpu_banked + (group_cpu_seconds(self.process.pid) if self.process else 0.0)

    def start(self) -> None:
        with open(self.logfile, "ab") as output:
            self.process = subprocess.Popen(
                self.unit["ExecStart"],
                cwd=self.unit["WorkingDirectory"],
                env=self.env,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def signal_group(self, signum: int) -> None:
        if self.process is not None and self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signum)

    def kill(self) -> None:
        self.cpu_banked = self.cpu_seconds()
        self.signal_group(signal.SIGKILL)
        if self.process is not None:
            self.process.wait(timeout=30)
        # Pool processes of a killed group die with it; any left are killed too.
        self.signal_group(signal.SIGKILL)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            self.signal_group(signal.SIGKILL)
            return
        self.signal_group(signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=float(self.unit.get("TimeoutStopSec", "30")))
        self.signal_group(signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=10)


class Redis:
    """A private redis-server without persistence: stopped, it comes back empty."""

    def __init__(self, workdir: Path, port: int):
        self.workdir, self.port = workdir, port
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        with open(self.workdir / "redis.log", "ab") as output:
            self.process = subprocess.Popen(
                ["redis-server", "--bind", REDIS_ADDRESS, "--port", str(self.port),
                 "--save", "", "--appendonly", "no", "--dir", str(self.workdir),
                 "--protected-mode", "no"],
                stdout=output, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
        wait_port(REDIS_ADDRESS, self.port, 30)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)

    def commandstats(self) -> dict[str, int]:
        import redis

        info = redis.Redis(host=REDIS_ADDRESS, port=self.port).info("commandstats")
        return {name.removeprefix("cmdstat_"): value["calls"] for name, value in info.items()}


# -- The SMTP sink ----------------------------------------------------------------------------


class Sink:
    """Every message received: (time, recipient, Message-ID, subject)."""

    def __init__(self):
        self.messages: list[tuple[float, str, str, str]] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        received = time.time()
        with self.lock:
            for recipient in envelope.rcpt_tos:
                self.messages.append(
                    (
                        received,
                        recipient.lower(),
                        str(message["Message-ID"]),
                        str(message["Subject"]),
                    )
                )
        return "250 Message accepted for delivery"

    def snapshot(self) -> list[tuple[float, str, str, str]]:
        with self.lock:
            return list(self.messages)


# -- The run ----------------------------------------------------------------------------------


def create_database(server_url: str) -> str:
    import psycopg

    name = f"idei_cluster_{secrets.token_hex(4)}"
    admin = urlunsplit(urlsplit(server_url)._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
        connection.execute(f"ALTER DATABASE \"{name}\" SET timezone TO 'UTC'")
    return urlunsplit(urlsplit(server_url)._replace(path=f"/{name}"))


def drop_database(url: str) -> None:
    import psycopg

    name = urlsplit(url).path.lstrip("/")
    admin = urlunsplit(urlsplit(url)._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def commits(database_url: str) -> int:
    import psycopg

    with psycopg.connect(database_url, autocommit=True) as connection:
        return connection.execute(
            "SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()"
        ).fetchone()[0]


def phase_of(moment: float, cuts: dict[str, float]) -> str:
    phase = "steady"
    for name, at in sorted(cuts.items(), key=lambda item: item[1]):
        if moment >= at:
            phase = name
    return phase


def in_cut_window(moment: float, cuts: dict[str, float]) -> bool:
    for name, at in cuts.items():
        end = at + ERROR_WINDOW_SECONDS + (REDIS_DOWN_SECONDS if name == "redis_stopped" else 0)
        if at <= moment <= end:
            return True
    return False


def judge(outcomes, posts, sink_messages, stored_counts, cuts, load_end, kill_at) -> dict:
    """Every figure of the verdict, from what the signers saw, the rows and the sink."""
    signers = [o for o in outcomes if "email" in o]
    accepted = {o["email"] for o in signers if o["result"] == "accepted"}
    retried = {o["email"] for o in signers if o["attempts"] > 1}
    stored = {address for address, count in stored_counts.items() if count >= 1}
    stored_twice = sorted(address for address, count in stored_counts.items() if count > 1)
    lost = sorted(accepted - stored)
    by_recipient: dict[str, dict[str, list[float]]] = {}
    for received, recipient, message_id, _subject in sink_messages:
        by_recipient.setdefault(recipient, {}).setdefault(message_id, []).append(received)
    confirmed = {address for address in accepted if address in by_recipient}
    # The same message twice: allowed only if its first copy went out around the worker kill.
    duplicates = []
    for recipient, messages in by_recipient.items():
        for message_id, times in messages.items():
            if len(times) > 1:
                duplicates.append(
                    {"recipient": recipient, "message_id": message_id, "copies": len(times),
                     "first": round(min(times) - kill_at, 2),
                     "at_the_kill": kill_at - 15 <= min(times) <= kill_at + 2}
                )  # fmt: skip
    # A second, different message: a new link after signing again; only for who retried.
    second_links = sorted(r for r, messages in by_recipient.items() if len(messages) > 1)
    errors_by_phase: dict[str, int] = {}
    errors_outside = []
    for outcome in signers:
        for moment in outcome["errors"]:
            phase = phase_of(moment, cuts)
            errors_by_phase[phase] = errors_by_phase.get(phase, 0) + 1
            if not in_cut_window(moment, cuts):
                errors_outside.append(round(moment - min(cuts.values()), 1))
    steady = sorted(ms for answered, ms in posts if not in_cut_window(answered, cuts))
    first_mail = {r: min(t for times in m.values() for t in times) for r, m in by_recipient.items()}
    last_confirmation = max((first_mail[a] for a in confirmed), default=load_end)
    return {
        "offered": len(signers),
        "accepted": len(accepted),
        "refused": sum(o["result"] == "refused" for o in signers),
        "failed_after_retry": sum(o["result"] == "error" for o in signers),
        "retried": len(retried),
        "stored": len(accepted & stored),
        "stored_beyond_accepted": len(stored - accepted),
        "stored_twice": stored_twice,
        "lost": lost,
        "confirmed": len(confirmed),
        "unconfirmed": sorted(accepted - confirmed),
        "duplicates": duplicates,
        "second_links": second_links,
        "second_links_without_retry": sorted(set(second_links) - retried),
        "errors_by_phase": errors_by_phase,
        "errors_outside_cut_windows": errors_outside,
        "p95_steady_ms": round(steady[int(0.95 * (len(steady) - 1))]) if steady else None,
        "p50_steady_ms": round(steady[len(steady) // 2]) if steady else None,
        "last_confirmation_after_end_s": round(last_confirmation - load_end, 1),
    }


def shortened(result: dict, keep: int = 20) -> dict:
    """The result with each long list cut to its length and first few items (the file is
    kept in the repository)."""
    return {
        key: {"count": len(value), "first": value[:keep]}
        if isinstance(value, list) and len(value) > keep
        else value
        for key, value in result.items()
    }


def verdict(figures: dict) -> list[str]:
    """What failed, in words; empty when the proof passes."""
    failures = []
    if figures["lost"]:
        failures.append(f"{len(figures['lost'])} accepted signatures not stored")
    if figures["stored_twice"]:
        failures.append(f"{len(figures['stored_twice'])} signatures stored twice")
    if figures["unconfirmed"]:
        failures.append(f"{len(figures['unconfirmed'])} accepted signers got no confirmation")
    if any(not d["at_the_kill"] for d in figures["duplicates"]):
        failures.append("a message was delivered twice away from the worker's SIGKILL")
    if figures["second_links_without_retry"]:
        failures.append(f"{len(figures['second_links_without_retry'])} signers got two links")
    if figures["last_confirmation_after_end_s"] > CONFIRMATIONS_WITHIN_SECONDS:
        failures.append("the last confirmation came more than 2 minutes after the end")
    if figures["errors_outside_cut_windows"]:
        failures.append(f"{len(figures['errors_outside_cut_windows'])} errors outside the cuts")
    return failures


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="bench/cluster.py", description=__doc__.split("\n")[0])
    parser.add_argument("--rate", type=float, default=300)
    parser.add_argument("--seconds", type=float, default=180)
    parser.add_argument("--web-concurrency", type=int, default=3, help="gunicorn workers per node")
    parser.add_argument("--keep", action="store_true", help="keep the database and work dir")
    parser.add_argument(
        "--no-cuts",
        action="store_true",
        help="load only, nothing cut: the per-signature figures of docs/scaling.md",
    )
    args = parser.parse_args(argv)
    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        print(
            "DATABASE_URL must name a PostgreSQL server (a database is created).", file=sys.stderr
        )
        return 2
    for tool in (NGINX, "redis-server", "openssl"):
        if not shutil.which(tool):
            print(f"needs {tool} (apt-get install nginx redis-server openssl)", file=sys.stderr)
            return 2

    workdir = Path(tempfile.mkdtemp(prefix="idei-cluster-"))
    workdir.chmod(0o755)
    logdir = workdir / "logs"
    logdir.mkdir()
    database_url = create_database(os.environ["DATABASE_URL"])
    try:
        return prove(args, workdir, logdir, database_url)
    finally:
        with contextlib.suppress(Exception):
            from django.db import connections

            connections.close_all()
        if args.keep:
            log(f"kept {workdir} and {database_url}")
        else:
            drop_database(database_url)
            shutil.rmtree(workdir, ignore_errors=True)


def prove(args, workdir: Path, logdir: Path, database_url: str) -> int:
    """Build the cluster, load and cut it, judge; 0 if it passed."""
    redis = Redis(workdir, free_port(REDIS_ADDRESS))
    nginx_port, redirect_port = free_port(NGINX_ADDRESS), free_port(NGINX_ADDRESS)
    web_binds = [f"{address}:{free_port(address)}" for address in WEB_ADDRESSES]
    smtp_port, inbound_port = free_port(SMTP_ADDRESS), free_port(INBOUND_ADDRESS)
    certificate, key = self_signed_certificate(workdir)
    site_url = f"http://{NGINX_ADDRESS}:{nginx_port}"
    files = render_deploy(
        workdir,
        {
            "ROOT": str(ROOT), "USER": "root", "ENV_FILE": str(workdir / "idei.env"),
            "SERVER_NAME": NGINX_ADDRESS, "WEB_NODES": web_binds,
            "LISTEN": f"{NGINX_ADDRESS}:{nginx_port}",
            "HTTP_LISTEN": f"{NGINX_ADDRESS}:{redirect_port}",
            "TLS_CERTIFICATE": str(certificate), "TLS_CERTIFICATE_KEY": str(key),
            "NGINX_LOG_DIR": str(logdir), "MEDIA_ROOT": str(workdir / "media"),
            "PRIVATE_FILES_ROOT": str(workdir / "private"),
            "SECRET_KEY": secrets.token_urlsafe(64), "SITE_URL": site_url,
            "DATABASE_URL": database_url,
            "REDIS_URL": f"redis://{REDIS_ADDRESS}:{redis.port}/0",
            "EMAIL_HOST": SMTP_ADDRESS, "EMAIL_PORT": str(smtp_port), "EMAIL_USE_TLS": "0",
            "EMAIL_HOST_USER": "", "EMAIL_HOST_PASSWORD": "",
            # Plain HTTP on loopback: the TLS server block is loaded (nginx -t), not used.
            "SECURE_SSL_REDIRECT": "0", "WEB_CONCURRENCY": str(args.web_concurrency),
            "INBOUND_HOST": INBOUND_ADDRESS, "INBOUND_PORT": str(inbound_port),
        },
    )  # fmt: skip
    (workdir / "media").mkdir()
    base_env = {
        key: value
        for key, value in os.environ.items()
        if key in {"PATH", "HOME", "LANG", "LC_ALL", "TZ", "VIRTUAL_ENV"}
    }
    site_env = {**base_env, **read_env_file(files["idei.env"]), "LOG_LEVEL": "WARNING"}
    services: list[Service] = []
    nginx = None
    generator = None
    from aiosmtpd.controller import Controller

    sink = Sink()
    smtp = Controller(sink, hostname=SMTP_ADDRESS, port=smtp_port)
    result: dict = {}
    try:
        smtp.start()
        redis.start()
        log(f"work dir {workdir}; database {urlsplit(database_url).path[1:]}")
        python = str(ROOT / ".venv" / "bin" / "python")
        for command in (["migrate", "--noinput", "-v0"], ["collectstatic", "--noinput", "-v0"]):
            subprocess.run([python, "manage.py", *command], cwd=ROOT, env=site_env, check=True)
        os.environ.update(site_env)
        os.environ["DJANGO_SETTINGS_MODULE"] = "idei.settings"
        import django

        django.setup()
        from bench.letters_bench import make_campaign

        campaign = make_campaign("cluster-proof")
        from django.db import connection

        connection.close()

        def unit(name: str, instance: str = "") -> Service:
            service = Service(
                name, files[name.split("#")[0]], instance, {**base_env, "LOG_LEVEL": "WARNING"},
                logdir,
            )  # fmt: skip
            services.append(service)
            return service

        webs = [
            unit("idei-web@.service#1", web_binds[0].replace(":", "\\x3a")),
            unit("idei-web@.service#2", web_binds[1].replace(":", "\\x3a")),
        ]
        workers = [unit("idei-worker@.service#1", "1"), unit("idei-worker@.service#2", "2")]
        beat = unit("idei-beat.service")
        inbound = unit("idei-inbound.service")
        for service in [*webs, *workers, beat, inbound]:
            service.name = service.name.replace("@.service#", "-").removesuffix(".service")
            service.logfile = logdir / f"{service.name}.log"
            service.start()
        main_config = nginx_main_config(workdir, files["idei.conf"])
        subprocess.run([NGINX, "-t", "-q", "-c", str(main_config)], check=True, timeout=30)
        nginx = subprocess.Popen(
            [NGINX, "-c", str(main_config), "-g", "daemon off;"], start_new_session=True
        )
        for bind in web_binds:
            host, port = bind.split(":")
            wait_http(f"http://{host}:{port}/healthz", 90)
        wait_port(INBOUND_ADDRESS, inbound_port, 60)
        page = f"{site_url}/campaigns/{campaign.slug}/"
        wait_http(page, 60)
        log(f"cluster up: nginx {site_url}, web {', '.join(web_binds)}, 2 workers, beat")

        redis_before, commits_before = redis.commandstats(), commits(database_url)
        cpu_before = {service.name: service.cpu_seconds() for service in services}
        nginx_cpu_before = group_cpu_seconds(nginx.pid)
        redis_until_stop = redis_before
        outcomes_file = workdir / "outcomes.jsonl"
        begin = time.time() + 1
        generator = subprocess.Popen(
            ["nice", "-n", "-10", sys.executable, str(ROOT / "bench" / "signers.py"),
             NGINX_ADDRESS, str(nginx_port), campaign.slug, "cluster", str(args.rate),
             str(args.seconds), str(THINK_SECONDS), "--from-loopback", "--retry-once",
             "--outcomes", str(outcomes_file)],
            cwd=ROOT, stdout=subprocess.PIPE, text=True, env={**os.environ},
        )  # fmt: skip
        cuts = {name: begin + fraction * args.seconds for name, fraction in CUTS.items()}
        if args.no_cuts:
            cuts = {}
        done_cuts: dict[str, float] = {}
        for name, at in sorted(cuts.items(), key=lambda item: item[1]):
            time.sleep(max(0.0, at - time.time()))
            done_cuts[name] = time.time()
            log(name.replace("_", " "))
            if name == "web_node_1_killed":
                webs[0].kill()
            elif name == "worker_1_killed":
                from idei.outbox.models import OutgoingMessage

                sending = OutgoingMessage.objects.filter(status="sending").count()
                workers[0].kill()
                log(f"({sending} messages were being sent)")
                connection.close()
            elif name == "redis_stopped":
                # Its command counts start again from zero: keep what it counted so far.
                redis_until_stop = redis.commandstats()
                redis.stop()
                time.sleep(REDIS_DOWN_SECONDS)
                redis.start()
                done_cuts["redis_started"] = time.time()
                log("Redis started again, empty")
            elif name == "web_node_1_restarted":
                webs[0].start()
        summary = json.loads(generator.communicate(timeout=args.seconds + 600)[0])
        load_end = time.time()
        log(f"load over: {json.dumps(summary)}")
        # Per signature: PostgreSQL commits and Redis commands (docs/scaling.md).
        commits_after = commits(database_url)
        cpu_load = {
            service.name: service.cpu_seconds() - cpu_before[service.name] for service in services
        }
        nginx_cpu = group_cpu_seconds(nginx.pid) - nginx_cpu_before
        redis_after = redis_until_stop.copy()
        for name, calls in redis.commandstats().items():
            redis_after[name] = redis_after.get(name, 0) + calls

        from letters.models import Signature

        lines = [json.loads(line) for line in outcomes_file.read_text().splitlines()]
        signers = [line for line in lines if "email" in line]
        posts = [(line["post_answered"], line["ms"]) for line in lines if "post_answered" in line]
        accepted = {o["email"] for o in signers if o["result"] == "accepted"}
        deadline = load_end + CONFIRMATIONS_WITHIN_SECONDS + LATE_WAIT_SECONDS
        while time.time() < deadline:
            received = {recipient for _t, recipient, _m, _s in sink.snapshot()}
            missing = len(accepted - received)
            if not missing:
                break
            log(f"waiting for {missing} confirmations")
            time.sleep(10)
        # A last sweep's worth of time for any second copy to show itself.
        time.sleep(5)
        stored_counts: dict[str, int] = {}
        for address in Signature.objects.filter(campaign=campaign).values_list("email", flat=True):
            stored_counts[address.lower()] = stored_counts.get(address.lower(), 0) + 1
        # The workers' CPU once the last confirmation is out (they drain after the load).
        cpu_all = {
            service.name: service.cpu_seconds() - cpu_before[service.name] for service in services
        }
        figures = judge(
            signers, posts, sink.snapshot(), stored_counts, done_cuts, load_end,
            done_cuts.get("worker_1_killed", 0.0),
        )  # fmt: skip
        accepted_count = max(1, figures["accepted"])
        figures["per_signature"] = {
            "postgres_commits": round((commits_after - commits_before) / accepted_count, 2),
            "redis_commands": {
                name: round((calls - redis_before.get(name, 0)) / accepted_count, 2)
                for name, calls in sorted(redis_after.items())
                if calls - redis_before.get(name, 0) > 0
            },
            "web_cpu_ms_during_load": round(
                1000 * sum(cpu_load[w.name] for w in webs) / accepted_count, 2
            ),
            "nginx_cpu_ms_during_load": round(1000 * nginx_cpu / accepted_count, 2),
            "worker_cpu_ms_per_confirmation": round(
                1000 * sum(cpu_all[w.name] for w in workers) / max(1, len(sink.snapshot())), 2
            ),
            "beat_cpu_s": round(cpu_all[beat.name], 2),
            "how": "pg_stat_database.xact_commit and Redis INFO commandstats over the run "
            "(before Redis's stop, plus after its restart), divided by accepted signatures; "
            "every process counts: web, workers, beat",
        }
        failures = verdict(figures)
        result = {
            "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
            "versions": versions(),
            "load_average_after": [round(x, 2) for x in os.getloadavg()],
            "rate": args.rate,
            "seconds": args.seconds,
            "web_concurrency": args.web_concurrency,
            "generator": summary,
            "cuts_at_s": {name: round(at - begin, 1) for name, at in done_cuts.items()},
            **figures,
            "failures": failures,
        }
        print(json.dumps(shortened(result), indent=2), flush=True)
        print(
            f"cluster: offered={figures['offered']} accepted={figures['accepted']} "
            f"stored={figures['stored']} confirmed={figures['confirmed']} "
            f"duplicates={len(figures['duplicates'])} lost={len(figures['lost'])} "
            f"p95_steady_ms={figures['p95_steady_ms']}",
            flush=True,
        )
        for failure in failures:
            print(f"FAILED: {failure}", flush=True)
        return 1 if failures else 0
    finally:
        if generator is not None and generator.poll() is None:
            generator.kill()
        if nginx is not None:
            nginx.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                nginx.wait(timeout=20)
        for service in services:
            service.stop()
        redis.stop()
        smtp.stop()
        if result:
            RESULTS.parent.mkdir(parents=True, exist_ok=True)
            RESULTS.write_text(json.dumps(shortened(result), indent=2) + "\n")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
