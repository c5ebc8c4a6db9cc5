"""Coordinators sign in, sign out, reset and change their password (Django auth, our templates)."""

import re

import pytest
from django.contrib.auth import get_user_model

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"


def test_sign_in_page_is_translated_and_has_a_labelled_form(client):
    response = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="fr")
    html = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="fr"' in html
    assert 'for="id_username"' in html and 'for="id_password"' in html


def test_signing_in_leads_to_the_dashboard(client):
    UserFactory(username="ana")
    response = client.post("/accounts/login/", {"username": "ana", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/dashboard/"


def test_signing_in_returns_to_the_page_asked_for(client):
    UserFactory(username="ana")
    response = client.post(
        "/accounts/login/",
        {"username": "ana", "password": PASSWORD, "next": "/dashboard/officials/"},
    )
    assert response["Location"] == "/dashboard/officials/"


def test_signing_in_ignores_a_next_address_on_another_site(client):
    UserFactory(username="ana")
    response = client.post(
        "/accounts/login/",
        {"username": "ana", "password": PASSWORD, "next": "https://evil.example/steal"},
    )
    assert response["Location"] == "/dashboard/"


def test_a_wrong_password_is_refused_with_a_message_at_the_top(client):
    UserFactory(username="ana")
    response = client.post("/accounts/login/", {"username": "ana", "password": "wrong"})
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="error-summary"' in html
    assert "correct username and password" in html
    assert "_auth_user_id" not in client.session


def test_the_navigation_offers_sign_in_then_dashboard_and_sign_out(client):
    assert "/accounts/login/" in client.get("/").content.decode()
    client.force_login(UserFactory())
    html = client.get("/").content.decode()
    assert 'href="/dashboard/"' in html
    assert 'action="/accounts/logout/"' in html


def test_signing_out_needs_a_post(client):
    client.force_login(UserFactory())
    assert client.get("/accounts/logout/").status_code == 405
    assert "_auth_user_id" in client.session
    response = client.post("/accounts/logout/")
    assert response.status_code == 302 and response["Location"] == "/"
    assert "_auth_user_id" not in client.session


def test_password_reset_by_e_mail_sets_a_new_password_once(client, smtp_server):
    UserFactory(username="ana", email="ana@example.org")
    response = client.post("/accounts/password/reset/", {"email": "ana@example.org"})
    assert response["Location"] == "/accounts/password/reset/sent/"

    (message,) = smtp_server.wait_for(1)
    assert message["To"] == "ana@example.org"
    assert message["Subject"] == "Choose a new IDEI password"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    link = re.search(r"http://testserver(/accounts/password/reset/\S+/)", text).group(1)
    assert link in html

    form_url = client.get(link)["Location"]  # Django hides the token behind a redirect
    response = client.post(
        form_url,
        {"new_password1": "a new long passphrase", "new_password2": "a new long passphrase"},
    )
    assert response["Location"] == "/accounts/password/reset/done/"
    assert get_user_model().objects.get(username="ana").check_password("a new long passphrase")

    again = client.get(link, follow=True)
    assert "This link is not valid" in again.content.decode()


def test_password_reset_for_an_unknown_address_says_the_same_and_sends_nothing(client, smtp_server):
    response = client.post("/accounts/password/reset/", {"email": "nobody@example.org"})
    assert response["Location"] == "/accounts/password/reset/sent/"
    with pytest.raises(AssertionError):
        smtp_server.wait_for(1, timeout=0.5)


def test_password_change_needs_the_old_password(client):
    user = UserFactory(username="ana")
    client.force_login(user)
    assert client.get("/accounts/password/change/").status_code == 200
    refused = client.post(
        "/accounts/password/change/",
        {
            "old_password": "wrong",
            "new_password1": "another passphrase",
            "new_password2": "another passphrase",
        },
    )
    assert refused.status_code == 200 and 'id="error-summary"' in refused.content.decode()
    response = client.post(
        "/accounts/password/change/",
        {
            "old_password": PASSWORD,
            "new_password1": "another passphrase",
            "new_password2": "another passphrase",
        },
    )
    assert response["Location"] == "/accounts/password/change/done/"
    user.refresh_from_db()
    assert user.check_password("another passphrase")


def test_password_change_asks_anonymous_visitors_to_sign_in(client):
    response = client.get("/accounts/password/change/")
    assert response["Location"].startswith("/accounts/login/?next=")
