"""Asking for reminders from the home page in a real Chromium, confirmed from the e-mail.

The e-mail comes from the real SMTP test server (the live server runs in this process, so the
`smtp_server` fixture's settings apply to it; Celery runs eagerly in tests). Every page the
browser loads is checked with axe-core by the `page` fixture.
"""

import re

import pytest
from django.core.cache import cache

from letters.models import Subscription

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


def test_subscribe_from_the_home_page_and_confirm_from_the_email(
    page, live_server, smtp_server, settings, artifacts_dir
):
    settings.SITE_URL = live_server.url  # links in e-mails lead to this live server
    page.goto("/")
    form = page.locator("section[aria-labelledby=reminder-heading]")
    assert form.get_by_role("heading", name="Remind me before 2 November").is_visible()
    form.get_by_label("Your e-mail address").fill("amara@example.org")
    form.get_by_label("Your country").select_option("PH")
    form.get_by_label("Language of the reminders").select_option("fr")
    page.screenshot(path=str(artifacts_dir / "reminders-1-home-form.png"), full_page=True)
    form.get_by_role("button", name="Remind me").click()

    page.get_by_role("heading", name="Check your e-mail").wait_for()
    [mail] = smtp_server.wait_for(1)
    assert mail["To"] == "amara@example.org"
    link = re.search(r"http\S+/reminders/confirm/\S+/", mail.get_body(("plain",)).get_content())

    page.goto(link.group(0))
    assert page.get_by_role("heading", name="Confirm your reminders").is_visible()
    assert not Subscription.objects.get().is_active  # opening the link confirms nothing
    page.get_by_role("button", name="Confirm my reminders").click()

    page.get_by_role("heading", name="Your reminders are confirmed").wait_for()
    page.screenshot(path=str(artifacts_dir / "reminders-2-confirmed.png"), full_page=True)
    subscription = Subscription.objects.get()
    assert subscription.is_active
    assert (subscription.country.code, subscription.language) == ("PH", "fr")
    assert subscription.time_zone == "Asia/Manila"


def test_the_preference_page_and_unsubscribe_in_the_browser(page, live_server):
    from tests.letters.factories import SubscriptionFactory

    subscription = SubscriptionFactory(unsubscribe_token="browser-token-0123456789abcdef")
    page.goto(f"/reminders/preferences/{subscription.unsubscribe_token}/")
    page.get_by_label("Time zone").select_option("Europe/Paris")
    page.get_by_role("button", name="Save").click()
    page.get_by_text("Your choices are saved.").wait_for()

    page.get_by_role("button", name="Stop all reminders").click()
    page.get_by_role("heading", name="You are unsubscribed").wait_for()
    subscription.refresh_from_db()
    assert subscription.time_zone == "Europe/Paris"
    assert subscription.unsubscribed_at is not None
