"""A PostgreSQL restart in the middle of a send: nothing lost, doubles only where logged.

The test makes a PostgreSQL cluster of its own (its own data directory and port, never the
shared one), migrates it, runs a real `celery worker` process on it and a real SMTP server,
queues messages, and restarts the cluster while the worker sends them.
"""

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from tests.conftest import ROOT, SmtpCapture, free_port, require

PG_BIN = Path("/usr/lib/postgresql/15/bin")
MESSAGES = 40
# serial: restarts a cluster mid-send, timed to land in the middle of it.
pytestmark = [pytest.mark.faults, pytest.mark.slow, pytest.mark.serial]


class SlowSmtp(SmtpCapture):
    """Takes a tenth of a second per message, so that the restart lands mid-send."""

    async def handle_DATA(self, server, session, envelope):
        import asyncio

        await asyncio.sleep(0.1)
        return await super().handle_DATA(server, session, envelope)


def as_postgres(*command, **kwargs):
    return subprocess.run(
        ["runuser", "-u", "postgres", "--", *map(str, command)],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
        **kwargs,
    )


@pytest.fixture
def private_postgres():
    require(
        shutil.which("runuser") and (PG_BIN / "initdb").exists(), "needs PostgreSQL 15 binaries"
    )
    # Directly under /tmp: the postgres user cannot enter pytest's root-only directories.
    data = Path(tempfile.mkdtemp(prefix="idei-pg-"))
    shutil.chown(data, "postgres")
    port = free_port()
    as_postgres(PG_BIN / "initdb", "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8")
    options = f"-p {port} -k {data} -c listen_addresses=127.0.0.1 -c fsync=off"
    pg_ctl = [PG_BIN / "pg_ctl", "-D", data, "-o", options, "-l", data / "log", "-w"]
    as_postgres(*pg_ctl, "start")
    try:
        as_postgres(
            PG_BIN / "createdb", "-h", "127.0.0.1", "-p", port, "-U", "postgres", "idei_fault"
        )
        yield {
            "url": f"postgres://postgres@127.0.0.1:{port}/idei_fault",
            "restart": lambda: as_postgres(*pg_ctl, "-m", "fast", "restart"),
        }
    finally:
        subprocess.run(
            ["runuser", "-u", "postgres", "--", *map(str, pg_ctl), "-m", "immediate", "stop"],
            capture_output=True,
            timeout=60,
        )
        shutil.rmtree(data, ignore_errors=True)


def manage(env, *args, timeout=300):
    return subprocess.run(
        [str(ROOT / ".venv/bin/python"), "manage.py", *args],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_a_postgres_restart_in_the_middle_of_a_send_loses_nothing(
    private_postgres, private_redis, tmp_path
):
    smtp = SlowSmtp("127.0.0.1", free_port())
    controller = Controller(smtp, hostname=smtp.host, port=smtp.port)
    controller.start()
    env = {
        **os.environ,
        "DATABASE_URL": private_postgres["url"],
        # The worker consumes the default queue: on a Redis of its own, nobody else's tasks
        # (another test run's on the shared one) are there to take.
        "REDIS_URL": private_redis.url,
        "EMAIL_HOST": smtp.host,
        "EMAIL_PORT": str(smtp.port),
        "EMAIL_TIMEOUT": "5",
        # Forty letters to one domain: pacing (tested on its own) would spread them over minutes.
        "OUTBOX_DOMAIN_HOURLY_LIMIT": "1000000",
    }
    worker = None
    log_path = tmp_path / "worker.log"
    try:
        manage(env, "migrate", "--noinput")
        with open(log_path, "w") as log:
            worker = subprocess.Popen(
                [
                    str(ROOT / ".venv/bin/celery"),
                    "-A",
                    "idei",
                    "worker",
                    "-P",
                    "solo",
                    "-l",
                    "info",
                ],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        manage(
            env,
            "shell",
            "-c",
            "from idei.outbox import services\n"
            f"for n in range({MESSAGES}):\n"
            "    services.enqueue(kind='letter', key=f'pg:{n}', to=f'o{n}@gov.example.org',"
            " subject='s', body_text='b')\n",
        )
        deadline = time.monotonic() + 60
        while len(smtp.messages) < MESSAGES // 4 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(smtp.messages) >= MESSAGES // 4, log_path.read_text()
        restarted_after = len(smtp.messages)
        private_postgres["restart"]()

        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            delivered = {str(m["To"]) for m in smtp.messages}
            if len(delivered) == MESSAGES:
                break
            time.sleep(0.2)
        # Rows a worker held when its connection died wait for the sweep (2 minutes in
        # production): run it as if those minutes had passed, and send what it hands back.
        swept = manage(
            env,
            "shell",
            "-c",
            "import datetime\nfrom django.utils import timezone\n"
            "from idei.outbox import sending, services\n"
            "_, due = sending.sweep(now=timezone.now() + sending.STALE_SENDING"
            " + datetime.timedelta(minutes=1))\n"
            "services.send_messages(due)\n",
        )
        statuses = (
            manage(
                env,
                "shell",
                "-c",
                "from idei.outbox.models import OutgoingMessage as M\n"
                "print(sorted(set(M.objects.values_list('status', flat=True))))",
            )
            .stdout.strip()
            .splitlines()[-1]
        )
    finally:
        if worker is not None:
            worker.terminate()
            worker.wait(timeout=30)
        controller.stop()
    log = log_path.read_text() + swept.stdout + swept.stderr

    recipients = [str(m["To"]) for m in smtp.messages]
    assert restarted_after < MESSAGES, "the restart came after the last message"
    assert sorted(set(recipients)) == sorted(f"o{n}@gov.example.org" for n in range(MESSAGES))
    assert statuses == "['sent']"
    doubles = {r for r in recipients if recipients.count(r) > 1}
    logged = log.count("possible double send") + log.count("was sent but the database failed")
    assert len(doubles) <= logged, log
