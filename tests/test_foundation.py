"""The foundation: settings, health check, Celery through Redis, SMTP, demo data."""

import subprocess
import sys

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.urls import reverse

from campaigns.models import Campaign, Organisation
from cases.models import Case
from cases.observance import days_until_observance, next_observance
from idei.celery import ping
from tests.conftest import ROOT


def run_settings(env: dict) -> subprocess.CompletedProcess:
    """Import the settings in a fresh process with exactly this environment."""
    base = {"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "idei.settings"}
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings;"
            "print(settings.DATABASES['default']['ENGINE'], settings.CELERY_TASK_ALWAYS_EAGER,"
            " settings.EMAIL_BACKEND)",
        ],
        env={**base, **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_nothing_set_runs_the_embedded_default():
    result = run_settings({})
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "django.db.backends.sqlite3",
        "True",
        "django.core.mail.backends.console.EmailBackend",
    ]
    assert "embedded default" in result.stderr


def test_environment_selects_postgres_redis_and_smtp():
    result = run_settings(
        {
            "DATABASE_URL": "postgres://u@db.example:5432/idei",
            "REDIS_URL": "redis://127.0.0.1:6379/0",
            "EMAIL_HOST": "smtp.example",
        }
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "idei.db.postgresql",
        "False",
        "django.core.mail.backends.smtp.EmailBackend",
    ]


def test_production_refuses_to_start_without_a_real_secret_key():
    result = run_settings({"DEBUG": "0"})
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


@pytest.mark.parametrize(
    "env, message",
    [
        ({"DEBUG": "perhaps"}, "DEBUG must be a boolean"),
        ({"EMAIL_HOST": "smtp.example", "EMAIL_PORT": "twenty-five"}, "EMAIL_PORT must be a whole"),
        ({"SITE_URL": "example.org"}, "SITE_URL must start with"),
    ],
)
def test_a_bad_setting_fails_loudly(env, message):
    result = run_settings(env)
    assert result.returncode != 0
    assert message in result.stderr


def test_deploy_check_is_clean_with_production_settings():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        env={
            "PATH": "/usr/bin:/bin",
            "DEBUG": "0",
            "SECRET_KEY": "k" * 64 + "-x9Zq!",
            "ALLOWED_HOSTS": "idei.example.org",
        },
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.django_db
def test_healthz_is_200_when_database_and_broker_answer(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok" and body["database"] == "ok"
    assert body["broker"] in {"ok", "eager"}


@pytest.mark.django_db
def test_healthz_is_503_when_the_broker_is_unreachable(client, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "ok", "broker": "unreachable"}


@pytest.mark.django_db
def test_healthz_is_503_when_the_database_is_unreachable(client, monkeypatch):
    def refuse(*args, **kwargs):
        raise connection.Database.OperationalError("connection refused")

    monkeypatch.setattr(connection, "cursor", refuse)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] == "unreachable"


@pytest.mark.django_db
def test_healthz_refuses_post(client):
    assert client.post("/healthz").status_code == 405


@pytest.mark.redis
def test_a_task_goes_through_redis_to_a_real_worker_and_back(celery_worker):
    result = ping.delay("through the broker")
    assert result.get(timeout=20) == "through the broker"


def test_mail_goes_through_the_smtp_server_and_is_read_back(smtp_server):
    sent = mail.send_mail(
        "Letter received",
        "Your letter was delivered. Ça marche, شكرا.",
        "IDEI <no-reply@idei.example>",
        ["signer@example.org"],
    )
    assert sent == 1
    [message] = smtp_server.wait_for(1)
    assert message["Subject"] == "Letter received"
    assert message["To"] == "signer@example.org"
    assert "Ça marche, شكرا." in message.get_content()


@pytest.mark.django_db
def test_seed_demo_is_idempotent(capsys):
    call_command("seed_demo")
    counts = (Case.objects.count(), Organisation.objects.count(), Campaign.objects.count())
    call_command("seed_demo")
    assert (Case.objects.count(), Organisation.objects.count(), Campaign.objects.count()) == counts
    assert counts[0] >= 10 and Campaign.objects.published().count() == 1
    assert len({c.country.code for c in Case.objects.all()}) >= 5
    assert Campaign.objects.get().targets.exists()
    assert "password" in capsys.readouterr().out


@pytest.mark.django_db
def test_home_page_shows_live_figures(client):
    call_command("seed_demo")
    response = client.get(reverse("home"))
    assert response.status_code == 200
    total = Case.objects.published().count()
    unresolved = Case.objects.published().unresolved().count()
    assert response.context["case_count"] == total
    assert response.context["unresolved_percent"] == round(100 * unresolved / total)
    assert response.context["open_campaign_count"] == 1
    assert f"{round(100 * unresolved / total)}%" in response.content.decode()


@pytest.mark.parametrize(
    "today, expected, days",
    [
        ("2026-11-21", "2027-11-02", 346),
        ("2026-11-02", "2026-11-02", 0),
        ("2026-11-01", "2026-11-02", 1),
        ("2027-12-31", "2028-11-02", 307),
        ("2028-01-01", "2028-11-02", 306),
    ],  # 2028 is a leap year
)
def test_days_until_the_next_2_november(today, expected, days):
    import datetime

    day = datetime.date.fromisoformat(today)
    assert next_observance(day) == datetime.date.fromisoformat(expected)
    assert days_until_observance(day) == days


@pytest.mark.django_db
@pytest.mark.parametrize(
    "language, text",
    [
        ("en", "Nearly nine in ten"),
        ("fr", "Près de neuf"),
        ("es", "Casi nueve de cada diez"),
        ("ar", "ما يقرب من تسع"),
        ("ru", "Почти девять из десяти"),
        ("zh-hans", "近九成"),
    ],
)
def test_home_page_is_translated(client, language, text):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE=language)
    html = response.content.decode()
    assert f'lang="{language}"' in html
    assert text in html
    assert ('dir="rtl"' in html) == (language == "ar")


@pytest.mark.django_db
def test_security_headers_are_sent(client):
    response = client.get("/")
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert response["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response["X-Frame-Options"] == "DENY"
