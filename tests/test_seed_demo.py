"""seed_demo is safe on a production database: with DEBUG=0 it never creates an account with
the password printed in the README, never resets an existing password, and says what it did."""

import io
import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command

from tests.conftest import ROOT
from tests.factories import UserFactory

README_PASSWORD = "demo-coordinator-2026"


def readme_sign_in(client):
    return client.post("/accounts/login/", {"username": "coordinator", "password": README_PASSWORD})


def database_url() -> str:
    database = settings.DATABASES["default"]
    return (
        f"postgres://{database['USER']}@{database['HOST']}:{database['PORT'] or 5432}"
        f"/{database['NAME']}"
    )


@pytest.mark.django_db(transaction=True)
def test_in_production_mode_the_demo_coordinator_gets_no_password(client, postgres):
    # The command as an operator would run it on a server: another process, DEBUG=0.
    # Without REDIS_URL: tasks run inline there, and nothing is left queued for a worker.
    environment = {
        **{k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "EMAIL_HOST"}},
        "DEBUG": "0",
        "SECRET_KEY": "x" * 64,
        "ALLOWED_HOSTS": "idei.example.org",
        "DATABASE_URL": database_url(),
        "LOG_LEVEL": "WARNING",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "seed_demo"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert README_PASSWORD not in result.stdout
    assert "DEBUG is off: created coordinator 'coordinator' without a password" in result.stdout
    user = get_user_model().objects.get(username="coordinator")
    assert not user.has_usable_password()
    assert not user.is_staff and not user.is_superuser

    response = readme_sign_in(client)
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_in_production_mode_an_existing_password_and_rights_are_kept(client, settings):
    settings.DEBUG = False
    UserFactory(username="coordinator", is_staff=False)
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    assert "already exists; its password and rights are unchanged" in out.getvalue()
    assert README_PASSWORD not in out.getvalue()
    user = get_user_model().objects.get(username="coordinator")
    assert user.check_password("correct-horse-battery")
    assert not user.is_staff
    assert readme_sign_in(client).status_code == 200
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_in_debug_mode_the_readme_login_leads_to_two_factor_setup(client, settings):
    settings.DEBUG = True
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    assert f"password {README_PASSWORD!r}" in out.getvalue()
    response = readme_sign_in(client)
    # A superuser: the password is right, and two-factor sign-in is set up before signing in.
    assert response["Location"] == "/accounts/two-factor/setup/"
