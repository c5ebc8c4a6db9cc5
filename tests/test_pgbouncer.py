"""The site behind a real PgBouncer in transaction mode (DATABASE_POOLER=transaction).

A transaction pooler hands each transaction whatever server connection is free, so nothing
may rely on a session: the settings turn off psycopg's prepared statements and server-side
cursors, the outbox skips its session-level SET, and the beat's lock takes DATABASE_DIRECT_URL.
Here the test database is reached through PgBouncer (two server connections handed out in
turn, so consecutive transactions land on different sessions; a second client keeps taking
them too), and a person signs, confirms, and the letters go out; a case export streams the
whole table; the pooler's log shows the traffic went through it. With psycopg's prepared
statements or server-side cursors left on, these tests fail ("prepared statement ... does
not exist", "cursor ... does not exist").
"""

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.db import connections
from django.test import Client
from django.urls import reverse

from idei.outbox.models import OutgoingMessage
from letters.models import Signature
from tests.conftest import free_port, require
from tests.factories import CaseFactory
from tests.letters.factories import confirmation_token, open_campaign, sign_data

ROOT = Path(__file__).resolve().parent.parent
PGBOUNCER = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"


def wait_for_port(port: int, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise AssertionError(f"PgBouncer did not listen on {port} within {timeout} s")


@pytest.fixture
def pgbouncer(postgres, transactional_db):
    """A PgBouncer in transaction mode in front of the test database; its port."""
    require(os.path.exists(PGBOUNCER), "needs PgBouncer: apt-get install pgbouncer")
    database = settings.DATABASES["default"]
    port = free_port()
    workdir = Path(tempfile.mkdtemp(prefix="idei-pgbouncer-"))
    workdir.chmod(0o777)  # run as the postgres user when we are root (PgBouncer refuses root)
    (workdir / "users.txt").write_text(f'"{database["USER"]}" ""\n')
    (workdir / "pgbouncer.ini").write_text(
        f"""[databases]
* = host={database["HOST"] or "127.0.0.1"} port={database["PORT"] or 5432}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {port}
unix_socket_dir =
auth_type = trust
auth_file = {workdir / "users.txt"}
pool_mode = transaction
default_pool_size = 2
min_pool_size = 2
server_round_robin = 1
max_client_conn = 20
logfile = {workdir / "pgbouncer.log"}
pidfile = {workdir / "pgbouncer.pid"}
"""
    )
    command = [PGBOUNCER, str(workdir / "pgbouncer.ini")]
    if os.geteuid() == 0:
        command[1:1] = ["-u", "postgres"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        wait_for_port(port)
        yield port, workdir / "pgbouncer.log"
    finally:
        process.terminate()
        process.wait(timeout=10)
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture
def through_pgbouncer(pgbouncer, settings):
    """The default connection goes through PgBouncer, configured as settings.py does for
    DATABASE_POOLER=transaction; another client keeps taking the server connections."""
    port, log = pgbouncer
    connection = connections["default"]
    original = {key: connection.settings_dict[key] for key in ("HOST", "PORT", "OPTIONS")}
    original["DISABLE_SERVER_SIDE_CURSORS"] = connection.settings_dict.get(
        "DISABLE_SERVER_SIDE_CURSORS", False
    )
    connection.close()
    connection.settings_dict.update(
        HOST="127.0.0.1",
        PORT=str(port),
        OPTIONS={**original["OPTIONS"], "prepare_threshold": None},
        DISABLE_SERVER_SIDE_CURSORS=True,
    )
    settings.DATABASE_POOLER = "transaction"
    stop = threading.Event()

    def other_client():
        # Short transactions from another client: server connections change hands between
        # our transactions, so a session-bound statement would fail or leak.
        url = (
            f"host=127.0.0.1 port={port} dbname={connection.settings_dict['NAME']} "
            f"user={connection.settings_dict['USER']}"
        )
        with psycopg.connect(url, autocommit=True, prepare_threshold=None) as other:
            while not stop.is_set():
                other.execute("SELECT 1")
                time.sleep(0.002)

    thread = threading.Thread(target=other_client, daemon=True)
    thread.start()
    try:
        yield log
    finally:
        stop.set()
        thread.join(timeout=5)
        connection.close()
        connection.settings_dict.update(original)


def test_signing_confirming_and_sending_work_through_pgbouncer_in_transaction_mode(
    through_pgbouncer, smtp_server
):
    campaign = open_campaign()
    client = Client()
    for n in range(8):  # more than psycopg's threshold for preparing a statement (5)
        response = client.post(
            reverse("letters:sign", args=[campaign.slug]),
            sign_data(client, email=f"pooled{n}@example.org"),
            REMOTE_ADDR=f"198.51.100.{n + 1}",
        )
        assert response.status_code == 302
    mails = smtp_server.wait_for(8)
    for mail in mails:
        token = confirmation_token(mail.get_body(("plain",)).get_content())
        assert client.post(reverse("letters:confirm", args=[token])).status_code == 302

    assert Signature.objects.filter(campaign=campaign, confirmed_at__isnull=False).count() == 8
    # Each confirmation sent the letter to the official, and the signer a copy.
    assert OutgoingMessage.objects.filter(status="sent").count() == 8 + 8 * 2
    assert "login attempt: db=" in through_pgbouncer.read_text()


def test_a_streamed_export_works_without_server_side_cursors(through_pgbouncer):
    CaseFactory.create_batch(30, is_published=True)

    response = Client().get(reverse("cases:export_csv"))

    assert response.status_code == 200
    lines = b"".join(response.streaming_content).decode().strip().splitlines()
    assert len(lines) >= 1 + 30


def test_the_pooler_setting_turns_off_what_needs_a_session(tmp_path):
    """settings.py, read as a deployment would: DATABASE_POOLER=transaction without
    DATABASE_DIRECT_URL is refused; with it, no prepared statements or server-side cursors."""
    script = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'idei.settings'; "
        "from django.conf import settings as s; d = s.DATABASES; "
        "print(d['default']['DISABLE_SERVER_SIDE_CURSORS'], "
        "d['default']['OPTIONS']['prepare_threshold'], d['direct']['PORT'])"
    )
    environment = {
        **os.environ,
        "DATABASE_URL": "postgres://idei@127.0.0.1:6432/idei",
        "DATABASE_POOLER": "transaction",
        "LOG_LEVEL": "WARNING",
    }
    environment.pop("DATABASE_DIRECT_URL", None)
    refused = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=environment, capture_output=True, text=True
    )
    assert refused.returncode != 0
    assert "needs DATABASE_DIRECT_URL" in refused.stderr

    environment["DATABASE_DIRECT_URL"] = "postgres://idei@127.0.0.1:5432/idei"
    accepted = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=environment, capture_output=True, text=True
    )
    assert accepted.returncode == 0, accepted.stderr
    assert accepted.stdout.split() == ["True", "None", "5432"]
