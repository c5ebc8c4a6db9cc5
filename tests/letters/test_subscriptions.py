"""Subscribing to reminders: double opt-in by POST, tokens, no enumeration, the mail cap."""

import datetime
import re

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from idei.outbox.models import OutgoingMessage
from idei.tokens import new_token
from letters.models import MessageKind, Subscription
from letters.reminders import subscriptions
from tests.letters.factories import SignatureFactory, SubscriptionFactory

pytestmark = pytest.mark.django_db

SUBSCRIBE = reverse("letters:reminders:subscribe")


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()


def form(**overrides):
    return {"email": "ana@example.org", "country": "MX", "language": "es", **overrides}


def confirm_url(token: str) -> str:
    return reverse("letters:reminders:confirm", args=[token])


def token_in(text: str) -> str:
    match = re.search(r"/reminders/confirm/([A-Za-z0-9_-]+)/", text)
    assert match, "no confirmation link in the e-mail"
    return match.group(1)


def pending(email="ana@example.org", **fields):
    """A pending subscription and the token of its link."""
    token, digest = new_token()
    subscription = SubscriptionFactory(
        email=email,
        confirmed_at=None,
        confirmation_token_hash=digest,
        confirmation_expires_at=timezone.now() + subscriptions.CONFIRMATION_LIFETIME,
        confirmation_mails_sent=1,
        **fields,
    )
    return subscription, token


def without_nonces(response) -> str:
    """The page without its per-response CSP nonce and CSRF token."""
    html = response.content.decode()
    return re.sub(r'(nonce|value|content)="[A-Za-z0-9+/=_-]{16,}"', "", html)


def confirmation_mails():
    return OutgoingMessage.objects.filter(kind=MessageKind.SUBSCRIPTION_CONFIRMATION)


# -- The form ----------------------------------------------------------------------------------


def test_the_home_page_shows_the_reminder_form_posting_to_reminders(client):
    html = client.get(reverse("home")).content.decode()
    assert f'action="{SUBSCRIBE}"' in html
    assert "Remind me before 2 November" in html
    assert "every reminder has a link to stop them in one click" in html


def test_subscribing_stores_a_pending_subscription_with_the_consent_record(client):
    response = client.post(SUBSCRIBE, form(email="  Ana@Example.org "))

    assert response.status_code == 302
    assert response["Location"] == reverse("letters:reminders:check_email")
    subscription = Subscription.objects.get()
    assert subscription.confirmed_at is None
    assert subscription.email == "Ana@Example.org"
    assert subscription.email_key == "ana@example.org"
    assert subscription.language == "es"
    assert subscription.time_zone == "America/Mexico_City"
    assert "one click" in subscription.consent_record["text"]
    assert subscription.consent_record["at"]
    assert subscription.consent_record["page"]
    assert len(subscription.unsubscribe_token) >= 40


def test_only_the_hash_of_the_link_is_stored(
    client, smtp_server, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(SUBSCRIBE, form())
    [mail] = smtp_server.wait_for(1)
    token = token_in(mail.get_body(("plain",)).get_content())

    subscription = Subscription.objects.get()
    assert token not in subscription.confirmation_token_hash
    assert len(subscription.confirmation_token_hash) == 64


def test_the_confirmation_mail_arrives_over_smtp_in_the_chosen_language(
    client, smtp_server, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(SUBSCRIBE, form(language="fr"))

    [mail] = smtp_server.wait_for(1)
    assert mail["To"] == "ana@example.org"
    assert "/reminders/confirm/" in mail.get_body(("html",)).get_content()
    assert "List-Unsubscribe" not in mail  # transactional: nothing to unsubscribe from yet


def test_invalid_input_is_refused_with_errors_and_nothing_stored(client):
    response = client.post(SUBSCRIBE, form(email="not an address", country="XX", language="de"))

    assert response.status_code == 400
    html = response.content.decode()
    assert "Nothing was saved" in html
    assert Subscription.objects.count() == 0
    assert confirmation_mails().count() == 0


def test_a_line_break_in_the_address_is_refused(client):
    response = client.post(SUBSCRIBE, form(email="ana@example.org\r\nBcc: x@example.org"))
    assert response.status_code == 400
    assert Subscription.objects.count() == 0


def test_hostile_input_is_escaped_on_the_error_page(client):
    response = client.post(SUBSCRIBE, form(email="<script>alert(1)</script>"))
    html = response.content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;" in html


def test_the_subscribe_page_rejects_other_methods(client):
    assert client.put(SUBSCRIBE).status_code == 405


# -- No enumeration, at most three mails -------------------------------------------------------


def test_the_answer_is_the_same_for_a_new_and_a_subscribed_address(client):
    new = client.post(SUBSCRIBE, form(email="new@example.org"))
    SubscriptionFactory(email="known@example.org")
    known = client.post(SUBSCRIBE, form(email="known@example.org"))

    assert (new.status_code, new["Location"]) == (known.status_code, known["Location"])
    assert without_nonces(client.get(new["Location"])) == without_nonces(
        client.get(known["Location"])
    )


def test_a_confirmed_address_subscribing_again_gets_nothing_new(client):
    subscription = SubscriptionFactory(email="ana@example.org", language="en", country="FR")

    client.post(SUBSCRIBE, form(language="es", country="MX"))

    subscription.refresh_from_db()
    assert (subscription.language, subscription.country.code) == ("en", "FR")
    assert confirmation_mails().count() == 0


def test_an_address_gets_at_most_three_confirmation_mails(client):
    for _ in range(5):
        client.post(SUBSCRIBE, form())
    assert confirmation_mails().count() == 3
    assert Subscription.objects.count() == 1


def test_the_gmail_variants_of_an_address_are_one_subscriber(client):
    client.post(SUBSCRIBE, form(email="ana.lopez@gmail.com"))
    client.post(SUBSCRIBE, form(email="AnaLopez+news@googlemail.com"))
    assert Subscription.objects.count() == 1


def test_a_new_link_replaces_the_previous_one(client):
    subscription, old_token = pending()
    client.post(SUBSCRIBE, form())

    assert client.post(confirm_url(old_token)).status_code == 404
    subscription.refresh_from_db()
    assert subscription.confirmed_at is None


# -- Confirming --------------------------------------------------------------------------------


def test_get_on_the_link_shows_a_button_and_never_confirms(client):
    subscription, token = pending()

    response = client.get(confirm_url(token))

    assert response.status_code == 200
    assert 'method="post"' in response.content.decode()
    subscription.refresh_from_db()
    assert subscription.confirmed_at is None
    assert subscription.confirmation_token_hash  # the token is not burnt either


def test_post_on_the_link_confirms(client):
    subscription, token = pending()

    response = client.post(confirm_url(token))

    assert response.status_code == 200
    assert "Your reminders are confirmed" in response.content.decode()
    subscription.refresh_from_db()
    assert subscription.is_active


def test_a_used_link_cannot_be_used_again(client):
    _subscription, token = pending()
    client.post(confirm_url(token))

    response = client.post(confirm_url(token))

    assert response.status_code == 404
    assert "already been used" in response.content.decode()


def test_an_expired_link_is_refused_with_410(client):
    subscription, token = pending()
    Subscription.objects.filter(pk=subscription.pk).update(
        confirmation_expires_at=timezone.now() - datetime.timedelta(minutes=1)
    )

    assert client.get(confirm_url(token)).status_code == 410
    assert client.post(confirm_url(token)).status_code == 410
    subscription.refresh_from_db()
    assert subscription.confirmed_at is None


def test_a_forged_link_is_refused_with_404(client):
    pending()
    response = client.post(confirm_url("forged-token-that-was-never-issued"))
    assert response.status_code == 404
    assert Subscription.objects.filter(confirmed_at__isnull=False).count() == 0


def test_confirming_again_after_unsubscribing_needs_a_new_opt_in(client):
    SubscriptionFactory(email="ana@example.org", unsubscribed_at=timezone.now())

    client.post(SUBSCRIBE, form())

    subscription = Subscription.objects.get()
    assert not subscription.is_active
    assert confirmation_mails().count() == 1


def test_the_whole_journey_over_smtp(client, smtp_server, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(SUBSCRIBE, form())
    [mail] = smtp_server.wait_for(1)
    token = token_in(mail.get_body(("plain",)).get_content())

    client.get(confirm_url(token))
    assert not Subscription.objects.get().is_active
    client.post(confirm_url(token))
    assert Subscription.objects.get().is_active


# -- From a signature --------------------------------------------------------------------------


def test_a_confirmed_signature_with_reminder_consent_subscribes_without_second_opt_in():
    signature = SignatureFactory(
        email="Ana@Example.org", email_key="ana@example.org", consent_reminders=True, country="PH"
    )

    subscription = subscriptions.subscribe_from_signature(signature)

    assert subscription.is_active
    assert subscription.source == Subscription.Source.SIGNATURE
    assert subscription.time_zone == "Asia/Manila"
    assert subscription.consent_record["signature_id"] == signature.pk
    assert confirmation_mails().count() == 0


def test_a_signature_without_reminder_consent_subscribes_nobody():
    signature = SignatureFactory(consent_reminders=False)
    assert subscriptions.subscribe_from_signature(signature) is None
    assert Subscription.objects.count() == 0


def test_an_unconfirmed_signature_subscribes_nobody():
    signature = SignatureFactory(consent_reminders=True, confirmed_at=None)
    assert subscriptions.subscribe_from_signature(signature) is None


def test_a_signature_keeps_an_active_subscribers_own_settings():
    existing = SubscriptionFactory(email="ana@example.org", language="fr", country="FR")
    signature = SignatureFactory(
        email="ana@example.org", consent_reminders=True, country="MX", language="es"
    )

    subscription = subscriptions.subscribe_from_signature(signature)

    assert subscription.pk == existing.pk
    assert (subscription.language, subscription.country.code) == ("fr", "FR")


def test_a_signature_reactivates_an_unsubscribed_address_with_its_new_consent():
    existing = SubscriptionFactory(email="ana@example.org", unsubscribed_at=timezone.now())
    signature = SignatureFactory(email="ana@example.org", consent_reminders=True)

    subscription = subscriptions.subscribe_from_signature(signature)

    assert subscription.pk == existing.pk
    assert subscription.is_active
    assert subscription.consent_record["history"]


# -- Time zones --------------------------------------------------------------------------------


def test_an_invalid_time_zone_is_refused_by_the_service():
    with pytest.raises(ValueError):
        subscriptions.subscribe(
            email="ana@example.org",
            country="MX",
            language="es",
            time_zone="Mars/Olympus_Mons",
            consent_text="Remind me",
            page="/",
        )
    assert Subscription.objects.count() == 0


def test_too_many_sign_ups_from_one_network_get_429_with_retry_after(client):
    for n in range(20):
        client.post(SUBSCRIBE, form(email=f"often{n}@example.org"), REMOTE_ADDR="198.51.100.31")

    response = client.post(SUBSCRIBE, form(email="late@example.org"), REMOTE_ADDR="198.51.100.31")

    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 2 * 60  # a sliding minute
    assert 'value="late@example.org"' in response.content.decode()
    assert not Subscription.objects.filter(email="late@example.org").exists()
