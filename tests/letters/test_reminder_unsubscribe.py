"""One-click unsubscribe (RFC 8058) and the preference page of a reminder subscription."""

from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.urls import reverse

from idei.outbox import services as outbox_services
from letters.models import MessageKind, Subscription
from letters.reminders.content import ReminderRunContext, reminder_headers, render_reminder
from tests.letters.factories import ReminderTextFactory, SubscriptionFactory

pytestmark = pytest.mark.django_db

TOKEN = "k3Jd9-unsubscribe_token-for-tests-0123456789"


@pytest.fixture
def subscription():
    return SubscriptionFactory(
        unsubscribe_token=TOKEN, country="MX", language="es", time_zone="America/Mexico_City"
    )


@pytest.fixture
def mail_client():
    """A mail client's POST: no cookies, no session, no CSRF token, CSRF checks enforced."""
    return Client(enforce_csrf_checks=True)


def unsubscribe_url(token=TOKEN):
    return reverse("letters:reminders:unsubscribe", args=[token])


def preferences_url(token=TOKEN):
    return reverse("letters:reminders:preferences", args=[token])


# -- Unsubscribe -------------------------------------------------------------------------------


def test_get_shows_a_button_and_does_not_unsubscribe(client, subscription):
    response = client.get(unsubscribe_url())

    assert response.status_code == 200
    assert 'method="post"' in response.content.decode()
    subscription.refresh_from_db()
    assert subscription.is_active


def test_one_click_post_without_session_or_csrf_unsubscribes_with_200(mail_client, subscription):
    response = mail_client.post(unsubscribe_url(), {"List-Unsubscribe": "One-Click"})

    assert response.status_code == 200  # not a redirect: mail clients do not follow them
    subscription.refresh_from_db()
    assert subscription.unsubscribed_at is not None
    assert not subscription.is_active


def test_a_repeated_post_is_harmless(mail_client, subscription):
    mail_client.post(unsubscribe_url(), {"List-Unsubscribe": "One-Click"})
    subscription.refresh_from_db()
    first = subscription.unsubscribed_at

    response = mail_client.post(unsubscribe_url(), {"List-Unsubscribe": "One-Click"})

    assert response.status_code == 200
    subscription.refresh_from_db()
    assert subscription.unsubscribed_at == first


def test_a_forged_token_gets_a_clear_404_page(mail_client, subscription):
    for method in (mail_client.get, mail_client.post):
        response = method(unsubscribe_url("forged-token"))
        assert response.status_code == 404
        assert "This reminder link is not valid" in response.content.decode()
    subscription.refresh_from_db()
    assert subscription.is_active


def test_unsubscribe_rejects_other_methods(client, subscription):
    assert client.put(unsubscribe_url()).status_code == 405
    assert client.delete(unsubscribe_url()).status_code == 405


def test_the_unsubscribe_page_after_unsubscribing_says_so(client, subscription):
    client.post(unsubscribe_url())
    html = client.get(unsubscribe_url()).content.decode()
    assert "You are unsubscribed" in html
    assert 'method="post"' not in html.split("<main", 1)[-1]


def test_a_reminder_over_smtp_carries_a_working_one_click_link(
    mail_client, subscription, smtp_server, settings, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "https://idei.example.org"
    reminder = ReminderTextFactory().reminder
    shared = ReminderRunContext.build()
    email = render_reminder(subscription, reminder, observance_year=2026, shared=shared)
    with django_capture_on_commit_callbacks(execute=True):
        outbox_services.enqueue(
            kind=MessageKind.REMINDER,
            key=f"reminder:{subscription.pk}:{reminder.pk}:2026",
            to=subscription.email,
            subject=email.subject,
            body_text=email.text,
            body_html=email.html,
            headers=reminder_headers(subscription),
        )
    [mail] = smtp_server.wait_for(1)

    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = mail["List-Unsubscribe"].strip().strip("<>")  # a long header may be folded
    assert url == f"https://idei.example.org/reminders/unsubscribe/{TOKEN}/"
    response = mail_client.post(urlsplit(url).path, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert not Subscription.objects.get(pk=subscription.pk).is_active


# -- Preferences -------------------------------------------------------------------------------


def test_the_preference_page_shows_the_current_choices(client, subscription):
    response = client.get(preferences_url())
    assert response.status_code == 200
    form = response.context["form"]
    assert form.initial == {"language": "es", "country": "MX", "time_zone": "America/Mexico_City"}


def test_language_country_and_time_zone_can_be_changed(client, subscription):
    response = client.post(
        preferences_url(), {"language": "fr", "country": "FR", "time_zone": "Europe/Paris"}
    )

    assert response.status_code == 200
    assert "Your choices are saved" in response.content.decode()
    subscription.refresh_from_db()
    assert (subscription.language, subscription.country.code, subscription.time_zone) == (
        "fr",
        "FR",
        "Europe/Paris",
    )


def test_a_new_country_with_the_old_time_zone_takes_the_new_countrys_zone(client, subscription):
    client.post(
        preferences_url(),
        {"language": "es", "country": "PH", "time_zone": "America/Mexico_City"},
    )
    subscription.refresh_from_db()
    assert subscription.time_zone == "Asia/Manila"


def test_an_invalid_time_zone_is_a_clear_form_error_and_nothing_changes(client, subscription):
    response = client.post(
        preferences_url(), {"language": "fr", "country": "MX", "time_zone": "Mars/Olympus_Mons"}
    )

    assert response.status_code == 400
    assert "is not a time zone we know" in response.content.decode()
    subscription.refresh_from_db()
    assert (subscription.language, subscription.time_zone) == ("es", "America/Mexico_City")


def test_hostile_input_on_the_preference_page_is_escaped(client, subscription):
    response = client.post(
        preferences_url(),
        {"language": "es", "country": "MX", "time_zone": "<script>alert(1)</script>"},
    )
    html = response.content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_preferences_need_the_csrf_token(mail_client, subscription):
    response = mail_client.post(
        preferences_url(), {"language": "fr", "country": "FR", "time_zone": "Europe/Paris"}
    )
    assert response.status_code == 403
    subscription.refresh_from_db()
    assert subscription.language == "es"


def test_a_forged_token_on_the_preference_page_is_a_404(client, subscription):
    response = client.get(preferences_url("forged-token"))
    assert response.status_code == 404
    assert "This reminder link is not valid" in response.content.decode()


def test_the_preference_page_offers_to_leave(client, subscription):
    html = client.get(preferences_url()).content.decode()
    assert f'action="{unsubscribe_url()}"' in html


def test_an_unsubscribed_address_cannot_change_preferences(client, subscription):
    client.post(unsubscribe_url())
    client.post(preferences_url(), {"language": "fr", "country": "FR", "time_zone": "Europe/Paris"})
    subscription.refresh_from_db()
    assert subscription.language == "es"


def test_preferences_reject_other_methods(client, subscription):
    assert client.put(preferences_url()).status_code == 405
