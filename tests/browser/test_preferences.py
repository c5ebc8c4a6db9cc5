"""The page of every e-mail we send to one address, in a real Chromium on a phone, with the
keyboard only (axe-core checks every page the `page` fixture loads)."""

import uuid

import pytest
from django.core.cache import cache
from django.utils import timezone

from letters.delivery import links
from letters.models import Signature, Subscription
from tests.factories import CampaignFactory, OrganisationFactory
from tests.letters.factories import SignatureFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


def test_stop_one_stream_then_everything_with_the_keyboard_on_a_phone(page, live_server):
    address = "lin.reader@example.org"
    organisation = OrganisationFactory(name="Press Freedom Watch")
    signature = SignatureFactory(
        campaign=CampaignFactory(organisation=organisation), email=address, email_key=address,
        consent_updates=True,
    )  # fmt: skip
    Subscription.objects.create(
        email=address, email_key=address, country="PH", confirmed_at=timezone.now(),
        unsubscribe_token=uuid.uuid4().hex,
    )  # fmt: skip
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(f"/letters/preferences/{links.preferences_token(signature_id=signature.pk)}/")
    page.get_by_role("heading", name="What we send you").wait_for()

    stop_news = page.get_by_role("button", name="Stop News from Press Freedom Watch")
    stop_news.focus()
    page.keyboard.press("Enter")
    page.get_by_text("Done: that stream is stopped.").wait_for()
    assert not Signature.objects.get(pk=signature.pk).consent_updates
    assert Subscription.objects.get().is_active

    page.get_by_role("button", name="Stop everything").focus()
    page.keyboard.press("Enter")
    page.get_by_text("Done: we will send nothing more").wait_for()
    assert not Subscription.objects.get().is_active
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360  # nothing wider than the phone
