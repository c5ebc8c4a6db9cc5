"""Two web nodes see one state: sessions, form tokens, rate limits and the sign-in lockout live
in PostgreSQL or Redis, never in a process.

Two gunicorn processes on their own loopback addresses (127.0.0.11 and 127.0.0.12), both on
the test database and a private redis-server (so that its keys disturb no one), are asked in
turn, as nginx's round robin would ask them (deploy/nginx/idei.conf). A session made on one is
signed in on the other; a form token from one signs once, on the other, and never again on
either; an address's rate limit counts its requests on both; wrong passwords on both lock the
account out on both. The per-process copies that do exist (block-lists read at most every 30
s, static data) are listed in docs/deploy.md. bench/cluster.py shows the same under load:
every signer's page comes from one node and its POST, through nginx, often from the other.
"""

import http.client
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

import pytest
from django.conf import settings

from letters.models import Signature
from tests.conftest import require
from tests.factories import MembershipFactory
from tests.letters.factories import open_campaign

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

ROOT = Path(__file__).resolve().parent.parent
NODES = ["127.0.0.11", "127.0.0.12"]
HOST = "idei.test"
FIELD = re.compile(r'name="(csrfmiddlewaretoken|started)" value="([^"]+)"')


def free_port(address: str) -> int:
    with socket.socket() as sock:
        sock.bind((address, 0))
        return sock.getsockname()[1]


def wait_until_listening(address: str, port: int, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex((address, port)) == 0:
                return
        time.sleep(0.2)
    raise AssertionError(f"nothing listens on {address}:{port} after {timeout} s")


class Node:
    """One web node, asked over HTTP as nginx would ask it (X-Forwarded-For appended)."""

    def __init__(self, address: str, port: int):
        self.address, self.port = address, port

    def request(self, method, path, *, cookies=None, form=None, client="198.51.100.7"):
        connection = http.client.HTTPConnection(self.address, self.port, timeout=60)
        headers = {"Host": HOST, "X-Forwarded-For": client}
        if cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Referer"] = f"http://{HOST}{path}"
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            content = response.read().decode()
        finally:
            connection.close()
        set_cookies = {}
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                set_cookies[name] = rest.split(";", 1)[0]
        return response.status, dict(response.getheaders()), content, set_cookies


@pytest.fixture(scope="module")
def two_nodes(django_db_setup, django_db_blocker):
    """Two gunicorn web nodes on the test database and a private Redis."""
    require(
        settings.DATABASES["default"]["ENGINE"].endswith("postgresql"),
        "needs PostgreSQL: set DATABASE_URL=postgres://postgres@127.0.0.1:5432/idei",
    )
    require(shutil.which("redis-server"), "needs redis-server (apt-get install redis-server)")
    database = settings.DATABASES["default"]
    workdir = Path(tempfile.mkdtemp(prefix="idei-two-nodes-"))
    redis_port = free_port("127.0.0.13")
    processes = [
        subprocess.Popen(
            [
                "redis-server",
                "--bind",
                "127.0.0.13",
                "--port",
                str(redis_port),
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(workdir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    ]
    user = f":{database['PASSWORD']}" if database.get("PASSWORD") else ""
    environment = {
        **{key: os.environ[key] for key in ("PATH", "HOME") if key in os.environ},
        # DEBUG=1: static files without collectstatic, cookies without Secure over plain
        # HTTP; where state lives does not depend on it (make cluster-proof runs DEBUG=0).
        "DEBUG": "1",
        "SECRET_KEY": "two-nodes-" + "k" * 50,
        "ALLOWED_HOSTS": HOST,
        "DATABASE_URL": (
            f"postgres://{database['USER']}{user}@{database['HOST'] or '127.0.0.1'}:"
            f"{database['PORT'] or 5432}/{database['NAME']}"
        ),
        "DB_CONN_MAX_AGE": "0",
        "REDIS_URL": f"redis://127.0.0.13:{redis_port}/0",
        "TRUSTED_PROXY_COUNT": "1",
        "LOG_LEVEL": "WARNING",
        "WEB_CONCURRENCY": "2",
    }
    nodes = []
    try:
        wait_until_listening("127.0.0.13", redis_port)
        for address in NODES:
            port = free_port(address)
            processes.append(
                subprocess.Popen(
                    [
                        str(Path(sys.executable).parent / "gunicorn"),
                        "idei.wsgi",
                        "--bind",
                        f"{address}:{port}",
                        "--log-level",
                        "warning",
                    ],
                    cwd=ROOT,
                    env=environment,
                )
            )
            nodes.append(Node(address, port))
        for node in nodes:
            wait_until_listening(node.address, node.port)
        yield nodes
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        shutil.rmtree(workdir, ignore_errors=True)


def fetch_form(node: Node, slug: str, client: str) -> tuple[dict, dict]:
    status, _headers, content, cookies = node.request("GET", f"/campaigns/{slug}/", client=client)
    assert status == 200
    return dict(FIELD.findall(content)), {"csrftoken": cookies["csrftoken"]}


def sign(node: Node, slug: str, form: tuple[dict, dict], email: str, client: str):
    fields, cookies = form
    data = {**fields, "name": "Ana López", "email": email, "country": "MX", "city": "Puebla",
            "message": "", "leave_empty": ""}  # fmt: skip
    return node.request(
        "POST", f"/campaigns/{slug}/sign/", cookies=cookies, form=data, client=client
    )


# The nodes run settings.py's hashers: the password is stored with them too.
@pytest.mark.real_password_hashers
def test_a_session_made_on_one_node_is_signed_in_on_the_other(two_nodes, transactional_db):
    first, second = two_nodes
    membership = MembershipFactory()
    _status, _headers, page, cookies = first.request("GET", "/accounts/login/")
    token = dict(FIELD.findall(page))["csrfmiddlewaretoken"]

    status, headers, _content, signed_in = first.request(
        "POST",
        "/accounts/login/",
        cookies=cookies,
        form={
            "csrfmiddlewaretoken": token,
            "username": membership.user.username,
            "password": "correct-horse-battery",
        },
    )
    assert status == 302, headers
    dashboard = second.request("GET", "/dashboard/", cookies={**cookies, **signed_in})

    assert dashboard[0] == 200
    assert membership.organisation.name in dashboard[2]


def test_a_form_token_from_one_node_signs_once_on_either(two_nodes, transactional_db):
    first, second = two_nodes
    campaign = open_campaign()
    form = fetch_form(first, campaign.slug, "198.51.100.20")
    time.sleep(3.2)  # past the minimum time on the page

    signed = sign(second, campaign.slug, form, "ana@example.org", "198.51.100.20")
    replayed = sign(first, campaign.slug, form, "other@example.org", "198.51.100.20")

    assert signed[0] == 302
    assert replayed[0] != 302
    assert list(Signature.objects.filter(campaign=campaign).values_list("email", flat=True)) == [
        "ana@example.org"
    ]


def test_an_address_rate_limit_counts_its_requests_on_both_nodes(two_nodes, transactional_db):
    campaign = open_campaign()
    # Seven forms, each from its own client network, alternating nodes: only the address's
    # limit (6 an hour) is shared by them.
    clients = [f"203.0.113.{n + 1}" for n in range(7)]
    forms = [fetch_form(two_nodes[n % 2], campaign.slug, clients[n]) for n in range(7)]
    time.sleep(3.2)

    answers = [
        sign(two_nodes[n % 2], campaign.slug, forms[n], "same@example.org", clients[n])[0]
        for n in range(7)
    ]

    assert answers[:6] == [302] * 6
    assert answers[6] == 429


def test_wrong_passwords_on_both_nodes_lock_the_account_on_both(two_nodes, transactional_db):
    membership = MembershipFactory()
    statuses = []
    for attempt in range(6):
        node = two_nodes[attempt % 2]
        client = f"192.0.2.{attempt + 1}"  # other networks: only the user name's count is shared
        _status, _headers, page, cookies = node.request("GET", "/accounts/login/", client=client)
        token = dict(FIELD.findall(page))["csrfmiddlewaretoken"]
        statuses.append(
            node.request(
                "POST",
                "/accounts/login/",
                cookies=cookies,
                form={
                    "csrfmiddlewaretoken": token,
                    "username": membership.user.username,
                    "password": f"wrong-{attempt}",
                },
                client=client,
            )[0]
        )

    assert statuses[:4] == [200] * 4  # the form again, with its error
    assert statuses[4:] == [429, 429]  # the fifth failure locks out, on either node
