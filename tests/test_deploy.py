"""deploy/: the files an administrator starts from are valid as rendered, and render safely.

nginx's site passes `nginx -t` (inside a main configuration like Debian's, with a test
certificate), the units pass `systemd-analyze verify`, the environment template gives a
configuration Django starts with, and render.py refuses what would leave a file half-filled.
bench/cluster.py runs the same files (make cluster-proof).
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bench.cluster import nginx_main_config, render_deploy, self_signed_certificate
from deploy.render import (
    RenderError,
    parse_assignments,
    placeholders,
    read_env_file,
    read_unit,
    render,
)
from tests.conftest import require

ROOT = Path(__file__).resolve().parent.parent
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def production_values(workdir: Path, certificate: Path, key: Path) -> dict:
    """The values docs/deploy.md gives for one machine, with the test's own paths."""
    return {
        "ROOT": str(ROOT), "USER": "root", "ENV_FILE": str(workdir / "idei.env"),
        "SERVER_NAME": "idei.example.org",
        "WEB_NODES": ["127.0.0.1:8000", "127.0.0.1:8001"],
        "LISTEN": ["443 ssl http2", "[::]:443 ssl http2"], "HTTP_LISTEN": ["80", "[::]:80"],
        "TLS_CERTIFICATE": str(certificate), "TLS_CERTIFICATE_KEY": str(key),
        "NGINX_LOG_DIR": str(workdir), "MEDIA_ROOT": str(workdir / "media"),
        "PRIVATE_FILES_ROOT": str(workdir / "private"), "SECRET_KEY": "x" * 64,
        "SITE_URL": "https://idei.example.org",
        "DATABASE_URL": "postgres://idei:secret@127.0.0.1:5432/idei",
        "REDIS_URL": "redis://127.0.0.1:6379/0", "EMAIL_HOST": "smtp.example.org",
        "EMAIL_PORT": "587", "EMAIL_USE_TLS": "1", "EMAIL_HOST_USER": "idei",
        "EMAIL_HOST_PASSWORD": "p@ss,word=1", "SECURE_SSL_REDIRECT": "1",
        "WEB_CONCURRENCY": "4", "INBOUND_HOST": "127.0.0.1", "INBOUND_PORT": "2525",
    }  # fmt: skip


@pytest.fixture
def rendered(tmp_path):
    require(shutil.which("openssl"), "needs openssl (apt-get install openssl)")
    certificate, key = self_signed_certificate(tmp_path)
    return tmp_path, render_deploy(tmp_path, production_values(tmp_path, certificate, key))


def test_the_nginx_site_passes_nginx_t(rendered):
    require(os.path.exists(NGINX), "needs nginx: apt-get install nginx")
    workdir, files = rendered
    config = nginx_main_config(workdir, files["idei.conf"])

    checked = subprocess.run(
        [NGINX, "-t", "-c", str(config)], capture_output=True, text=True, timeout=60
    )

    assert checked.returncode == 0, checked.stderr
    assert "test is successful" in checked.stderr


def test_the_nginx_site_lists_every_web_node_and_limits_request_bodies(rendered):
    _workdir, files = rendered
    site = files["idei.conf"].read_text()

    assert "server 127.0.0.1:8000 max_fails=1" in site
    assert "server 127.0.0.1:8001 max_fails=1" in site
    assert "listen [::]:443 ssl http2;" in site
    assert "client_max_body_size 64k;" in site  # the sign form
    assert not placeholders(site)  # nothing left unfilled


@pytest.mark.parametrize(
    ("unit", "instance"),
    [
        ("idei-web@.service", "127.0.0.1\\x3a8000"),
        ("idei-worker@.service", "1"),
        ("idei-beat.service", ""),
        ("idei-inbound.service", ""),
    ],
)
def test_each_unit_passes_systemd_analyze_verify(rendered, unit, instance):
    analyze = shutil.which("systemd-analyze")
    require(analyze, "needs systemd-analyze (Debian's systemd package)")
    workdir, files = rendered
    (workdir / "idei.env").touch()
    # A template unit is verified as one of its instances, named as systemd names it.
    named = workdir / "units" / unit.replace("@.", f"@{instance}.")
    named.parent.mkdir(exist_ok=True)
    named.write_text(files[unit].read_text())

    verified = subprocess.run(
        [analyze, "verify", str(named)], capture_output=True, text=True, timeout=60
    )

    assert verified.returncode == 0, verified.stderr
    assert "is not executable" not in verified.stderr


def test_units_read_as_systemd_reads_them(rendered):
    _workdir, files = rendered

    web = read_unit(files["idei-web@.service"], "127.0.0.11\\x3a8000")
    worker = read_unit(files["idei-worker@.service"], "2")

    assert web["ExecStart"][-2:] == ["--bind", "127.0.0.11:8000"]
    assert web["WorkingDirectory"] == str(ROOT)
    assert worker["ExecStart"][-2:] == ["-n", "idei-2@%h"]  # %%h: Celery's host name


def test_the_environment_template_gives_a_configuration_django_starts_with(rendered):
    _workdir, files = rendered
    environment = read_env_file(files["idei.env"])
    assert environment["EMAIL_HOST_PASSWORD"] == "p@ss,word=1"
    assert environment["DEFAULT_FROM_EMAIL"] == "IDEI <no-reply@idei.example.org>"
    script = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.DEBUG, s.TRUSTED_PROXY_COUNT, s.SECURE_PROXY_SSL_HEADER[0], s.ALLOWED_HOSTS)"
    )
    keep = {key: os.environ[key] for key in ("PATH", "HOME") if key in os.environ}

    started = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={**keep, **environment, "DJANGO_SETTINGS_MODULE": "idei.settings"},
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert started.returncode == 0, started.stderr
    assert started.stdout.split() == [
        "False",
        "1",
        "HTTP_X_FORWARDED_PROTO",
        "['idei.example.org']",
    ]


def test_render_repeats_a_line_per_value_and_fills_the_rest():
    text = "upstream u {\n    server @NODES@;\n}\nroot @ROOT@;\n"

    assert render(text, {"NODES": ["a:1", "b:2"], "ROOT": "/srv"}) == (
        "upstream u {\n    server a:1;\n    server b:2;\n}\nroot /srv;\n"
    )


def test_render_refuses_a_placeholder_left_without_a_value():
    with pytest.raises(RenderError, match="no value for ROOT"):
        render("root @ROOT@;\n", {})


def test_render_refuses_a_name_that_fills_nothing_when_exact():
    with pytest.raises(RenderError, match="ROOOT"):
        render("root @ROOT@;\n", {"ROOT": "/srv", "ROOOT": "/srv"}, exact=True)


def test_render_refuses_one_line_repeated_for_two_lists():
    with pytest.raises(RenderError, match="repeats"):
        render("@A@ @B@\n", {"A": ["1", "2"], "B": ["3", "4"]})


@pytest.mark.parametrize(
    "argument",
    [
        "ROOT",  # no value
        "root=/srv",  # not a placeholder's name
        "ROOT=/srv\nserver_name evil;",  # a second line smuggled into nginx's config
        "=x",
        "A" * 10_000,
    ],
)
def test_the_command_refuses_malformed_assignments(argument):
    with pytest.raises(RenderError):
        parse_assignments([argument])


def test_the_command_takes_a_value_twice_as_a_list_and_values_with_equals_signs():
    values = parse_assignments(["WEB_NODES=a:1", "WEB_NODES=b:2", "SECRET_KEY=x=y"])

    assert values == {"WEB_NODES": ["a:1", "b:2"], "SECRET_KEY": "x=y"}


def test_the_command_fails_with_a_message_and_writes_nothing(tmp_path):
    command = [sys.executable, str(ROOT / "deploy" / "render.py"), "deploy/idei.env.template"]

    refused = subprocess.run([*command, "ROOT=/srv"], cwd=ROOT, capture_output=True, text=True)

    assert refused.returncode == 2
    assert refused.stdout == ""
    assert "no value for" in refused.stderr


def test_an_environment_file_line_that_is_not_an_assignment_is_refused(tmp_path):
    path = tmp_path / "idei.env"
    path.write_text("DEBUG=0\nexport SECRET_KEY x\n")

    with pytest.raises(RenderError, match=r"idei\.env:2"):
        read_env_file(path)


# -- nginx in front of the site ---------------------------------------------------------------


@pytest.fixture
def behind_nginx(rendered, live_server, settings, tmp_path):
    """The rendered site in front of the live server, on 127.0.0.10; its (address, port)."""
    require(os.path.exists(NGINX), "needs nginx: apt-get install nginx")
    from bench.cluster import free_port

    certificate, key = self_signed_certificate(tmp_path / "..")
    port, redirect = free_port("127.0.0.10"), free_port("127.0.0.10")
    values = {
        **production_values(tmp_path, certificate, key),
        "SERVER_NAME": "127.0.0.10",
        "WEB_NODES": live_server.url.removeprefix("http://"),
        "LISTEN": f"127.0.0.10:{port}",
        "HTTP_LISTEN": f"127.0.0.10:{redirect}",
    }
    site = tmp_path / "site.conf"
    site.write_text(render((ROOT / "deploy" / "nginx" / "idei.conf").read_text(), values))
    config = nginx_main_config(tmp_path, site)
    settings.ALLOWED_HOSTS = ["127.0.0.10"]
    settings.TRUSTED_PROXY_COUNT = 1
    nginx = subprocess.Popen([NGINX, "-c", str(config), "-g", "daemon off;"])
    try:
        from bench.cluster import wait_port

        wait_port("127.0.0.10", port, 30)
        yield "127.0.0.10", port
    finally:
        nginx.terminate()
        nginx.wait(timeout=20)


def through_nginx(address, method, path, *, source="127.0.0.1", headers=None, body=None):
    import http.client

    connection = http.client.HTTPConnection(address[0], address[1], timeout=30,
                                            source_address=(source, 0))  # fmt: skip
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.getheader("Set-Cookie", ""), response.read().decode()
    finally:
        connection.close()


def test_nginx_refuses_an_oversized_sign_form_before_django_reads_it(behind_nginx):
    status, _cookie, _body = through_nginx(
        behind_nginx,
        "POST",
        "/campaigns/any/sign/",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        body=b"name=" + b"a" * 100_000,
    )

    assert status == 413


def test_django_sees_the_address_nginx_saw_never_the_one_a_client_wrote(
    behind_nginx, transactional_db
):
    """A failed sign-in records the client's network (django-axes, through client_address):
    the connection's real address, whatever X-Forwarded-For the client sent."""
    import re

    from axes.models import AccessAttempt

    _status, cookie, page = through_nginx(behind_nginx, "GET", "/accounts/login/",
                                          source="127.0.0.77")  # fmt: skip
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    csrf = re.search(r"csrftoken=([^;]+)", cookie).group(1)
    from urllib.parse import urlencode

    status, _cookie, _body = through_nginx(
        behind_nginx,
        "POST",
        "/accounts/login/",
        source="127.0.0.77",
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"csrftoken={csrf}",
            "Referer": f"http://127.0.0.10:{behind_nginx[1]}/accounts/login/",
            "X-Forwarded-For": "203.0.113.9",  # forged by the client
        },
        body=urlencode(
            {"csrfmiddlewaretoken": token, "username": "nobody", "password": "wrong-password"}
        ),
    )

    assert status == 200  # the form again, with its error
    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == ["127.0.0.77"]
