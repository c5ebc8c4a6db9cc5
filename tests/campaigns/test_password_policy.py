"""Password storage and policy: Argon2 first (older hashes upgraded at the next sign-in), at
least 12 characters, no common password, nothing like the user's name or address."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password

from tests.factories import UserFactory

# Password storage is the point here: settings.py's hashers, not the run's fast one.
pytestmark = [pytest.mark.django_db, pytest.mark.real_password_hashers]

PASSWORD = "correct-horse-battery"


def stored_hash(username: str) -> str:
    return get_user_model().objects.get(username=username).password


def change_password(client, new_password):
    return client.post(
        "/accounts/password/change/",
        {"old_password": PASSWORD, "new_password1": new_password, "new_password2": new_password},
    )


def test_a_new_password_is_stored_with_argon2(client):
    client.force_login(UserFactory(username="ana"))
    response = change_password(client, "seven quiet rivers at dawn")
    assert response["Location"] == "/accounts/password/change/done/"
    assert stored_hash("ana").startswith("argon2$argon2id$")


def test_an_older_pbkdf2_hash_becomes_argon2_at_the_next_sign_in(client):
    user = UserFactory(username="ana")
    user.password = make_password(PASSWORD, hasher="pbkdf2_sha256")
    user.save(update_fields=["password"])
    assert stored_hash("ana").startswith("pbkdf2_sha256$")

    refused = client.post("/accounts/login/", {"username": "ana", "password": "wrong-guess"})
    assert refused.status_code == 200
    assert stored_hash("ana").startswith("pbkdf2_sha256$")  # a wrong password changes nothing

    response = client.post("/accounts/login/", {"username": "ana", "password": PASSWORD})
    assert response["Location"] == "/dashboard/"
    assert stored_hash("ana").startswith("argon2$")
    client.post("/accounts/logout/")
    again = client.post("/accounts/login/", {"username": "ana", "password": PASSWORD})
    assert again["Location"] == "/dashboard/"


@pytest.mark.parametrize(
    ("new_password", "message"),
    [
        ("short pass1", "at least 12 characters"),
        ("password1234", "too common"),
        ("123456789012345", "entirely numeric"),
        ("ana.lopez@example", "too similar to the email address"),
        ("journalist-ana", "too similar to the username"),
    ],
)
def test_a_weak_password_is_refused_with_the_reason(client, new_password, message):
    client.force_login(UserFactory(username="journalist-ana", email="ana.lopez@example.org"))
    before = stored_hash("journalist-ana")
    response = change_password(client, new_password)
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="error-summary"' in html
    assert message in html
    assert stored_hash("journalist-ana") == before


def test_the_reset_link_refuses_a_short_password(client, smtp_server):
    UserFactory(username="ana", email="ana.policy@example.org")
    client.post("/accounts/password/reset/", {"email": "ana.policy@example.org"})
    (message,) = smtp_server.wait_for(1)
    text = message.get_body(("plain",)).get_content()
    link = re.search(r"http://testserver(/accounts/password/reset/\S+/)", text).group(1)
    form_url = client.get(link)["Location"]
    response = client.post(
        form_url, {"new_password1": "elevenchars", "new_password2": "elevenchars"}
    )
    assert response.status_code == 200
    assert "at least 12 characters" in response.content.decode()
    assert get_user_model().objects.get(username="ana").check_password(PASSWORD)
