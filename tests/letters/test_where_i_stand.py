"""The signer always knows where they stand, from their own cookies and nothing public.

After signing, "check your e-mail" shows the address the link went to, with a way to have it
sent again (within the caps) or to sign again with the right address; after confirming, the
campaign page says "you signed" instead of showing the empty form, and neither of those pages
is served from nor written to the page cache.
"""

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from idei.outbox.models import OutgoingMessage
from letters.models import MessageKind, Signature
from letters.views import PENDING_COOKIE, SIGNED_COOKIE
from tests.letters.factories import confirmation_token, open_campaign, sign_data

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


def sign(client, campaign, **overrides):
    return client.post(
        reverse("letters:sign", args=[campaign.slug]), sign_data(client, **overrides)
    )


def check_email_page(client, campaign) -> str:
    return client.get(reverse("letters:check_email", args=[campaign.slug])).content.decode()


def resend(client, campaign):
    return client.post(reverse("letters:resend", args=[campaign.slug]))


def confirmation_mails() -> int:
    return OutgoingMessage.objects.filter(kind=MessageKind.CONFIRMATION).count()


def test_check_your_email_shows_the_address_the_link_went_to(client):
    campaign = open_campaign()

    response = sign(client, campaign, email="ana.lopez@example.org")

    assert response.cookies[PENDING_COOKIE]["httponly"]
    assert response.cookies[PENDING_COOKIE]["path"] == campaign.get_absolute_url()
    html = check_email_page(client, campaign)
    assert "ana.lopez@example.org" in html
    assert "Send the link again" in html
    assert reverse("letters:sign", args=[campaign.slug]) in html  # to correct the address


def test_another_browser_sees_no_address(client):
    campaign = open_campaign()
    sign(client, campaign, email="ana.lopez@example.org")

    assert "ana.lopez@example.org" not in check_email_page(Client(), campaign)


def test_a_forged_address_cookie_is_ignored(client):
    campaign = open_campaign()
    client.cookies[PENDING_COOKIE] = "victim@example.org"

    html = check_email_page(client, campaign)

    assert "victim@example.org" not in html
    assert resend(client, campaign).status_code == 302
    assert confirmation_mails() == 0


def test_the_json_answer_shows_the_address_escaped(client):
    campaign = open_campaign()
    address = '"<b>x</b>"@example.org'

    response = client.post(
        reverse("letters:sign", args=[campaign.slug]),
        sign_data(client, email=address),
        headers={"Accept": "application/json"},
    )

    html = response.json()["html"]
    assert "<b>x</b>" not in html
    assert "&lt;b&gt;x&lt;/b&gt;" in html


def test_send_again_sends_a_new_link_and_the_old_one_stops_working(client):
    campaign = open_campaign()
    sign(client, campaign)
    [first] = OutgoingMessage.objects.filter(kind=MessageKind.CONFIRMATION)
    old = confirmation_token(first.body_text)

    response = resend(client, campaign)

    assert response.status_code == 302
    assert response["Location"] == reverse("letters:check_email", args=[campaign.slug])
    assert confirmation_mails() == 2
    newest = OutgoingMessage.objects.filter(kind=MessageKind.CONFIRMATION).latest("pk")
    new = confirmation_token(newest.body_text)
    assert client.get(reverse("letters:confirm", args=[old])).status_code == 404
    assert client.get(reverse("letters:confirm", args=[new])).status_code == 200


def test_send_again_keeps_within_three_links_per_campaign(client):
    campaign = open_campaign()
    sign(client, campaign)

    for _ in range(6):
        resend(client, campaign)

    assert Signature.objects.get().confirmation_mails_sent == 3
    assert confirmation_mails() == 3


def test_send_again_sends_nothing_for_a_confirmed_signature(client):
    campaign = open_campaign()
    sign(client, campaign)
    Signature.objects.update(confirmed_at="2026-01-01T00:00Z")

    resend(client, campaign)

    assert confirmation_mails() == 1


def test_send_again_refuses_get_and_needs_the_csrf_token(client):
    campaign = open_campaign()
    sign(client, campaign)
    strict = Client(enforce_csrf_checks=True)
    strict.cookies[PENDING_COOKIE] = client.cookies[PENDING_COOKIE].value

    assert client.get(reverse("letters:resend", args=[campaign.slug])).status_code == 405
    assert resend(strict, campaign).status_code == 403
    assert confirmation_mails() == 1


def test_a_returning_signer_sees_that_they_signed_and_others_see_the_form(client):
    campaign = open_campaign()
    sign(client, campaign)
    token = confirmation_token(OutgoingMessage.objects.get().body_text)
    confirmed = client.post(reverse("letters:confirm", args=[token]))
    assert confirmed.cookies[SIGNED_COOKIE]["max-age"] >= 300 * 24 * 3600
    stranger = Client()
    stranger.get(campaign.get_absolute_url())  # the page is now in the cache, with the form

    mine = client.get(campaign.get_absolute_url()).content.decode()
    theirs = stranger.get(campaign.get_absolute_url()).content.decode()

    assert "You signed this campaign" in mine and 'name="email"' not in mine
    assert "You signed this campaign" not in theirs and 'name="email"' in theirs
    assert "Ana María López" not in theirs


def test_a_pending_signer_sees_where_the_link_went_on_the_campaign_page(client):
    campaign = open_campaign()
    Client().get(campaign.get_absolute_url())  # cached for anonymous visitors
    sign(client, campaign, email="ana.lopez@example.org")

    html = client.get(campaign.get_absolute_url()).content.decode()

    assert "Check your e-mail" in html and "ana.lopez@example.org" in html
    assert "ana.lopez@example.org" not in Client().get(campaign.get_absolute_url()).content.decode()


def test_an_erased_signature_is_not_shown_as_signed(client):
    campaign = open_campaign()
    sign(client, campaign)
    token = confirmation_token(OutgoingMessage.objects.get().body_text)
    client.post(reverse("letters:confirm", args=[token]))
    Signature.objects.update(erased_at="2026-01-02T00:00Z")

    html = client.get(campaign.get_absolute_url()).content.decode()

    assert "You signed this campaign" not in html
