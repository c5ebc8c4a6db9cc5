"""One click stops what it says (issue 13, point 6): each e-mail's link stops its own stream,
and the preferences page reached from any e-mail lists every stream with "stop everything"."""

import re
import uuid

import pytest
from django.core import signing
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from letters.delivery import links
from letters.delivery import services as delivery
from letters.models import Signature, Subscription
from letters.reminders.content import ReminderRunContext, render_reminder
from tests.factories import CampaignFactory, OrganisationFactory, TargetFactory
from tests.letters.factories import ReminderTextFactory, SignatureFactory

pytestmark = pytest.mark.django_db

ADDRESS = "sam.reader@example.org"


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def reader():
    """One address: news from two organisations, and reminders; and a stranger's signature."""
    press = OrganisationFactory(name="Press Freedom Watch")
    reporters = OrganisationFactory(name='Reporters <b>"United"</b>')
    signatures = [
        SignatureFactory(campaign=CampaignFactory(organisation=organisation), email=ADDRESS,
                         email_key=ADDRESS, consent_updates=True, consent_reminders=True)
        for organisation in (press, reporters)
    ]  # fmt: skip
    subscription = Subscription.objects.create(
        email=ADDRESS, email_key=ADDRESS, country="MX", confirmed_at=timezone.now(),
        unsubscribe_token=uuid.uuid4().hex,
    )  # fmt: skip
    stranger = SignatureFactory(campaign=signatures[0].campaign, consent_updates=True)
    return {"signatures": signatures, "subscription": subscription, "stranger": stranger}


def consents(email_key=ADDRESS) -> list[bool]:
    rows = Signature.objects.filter(email_key=email_key).order_by("campaign__organisation__name")
    return list(rows.values_list("consent_updates", flat=True))


def reminders_active() -> bool:
    return Subscription.objects.get(email_key=ADDRESS).is_active


def signer_copy_links(signature) -> tuple[str, str, str]:
    """The one-click URL (header), the visible unsubscribe and preferences links of a copy."""
    letter = signature.letters.create(
        target=TargetFactory(), language="en", subject="Justice", body="Dear official"
    )
    message = delivery.signer_copy(signature, [letter])
    header = message.headers["List-Unsubscribe"].strip("<>")
    urls = re.findall(r"https?://\S+", message.body_text)
    preferences = next(url for url in urls if "/letters/preferences/" in url)
    return header, next(url for url in urls if "/letters/unsubscribe/" in url), preferences


def path(url: str) -> str:
    return "/" + url.split("/", 3)[3]


def test_the_signer_copys_one_click_post_stops_only_that_organisations_news(reader):
    press_signature = reader["signatures"][0]
    header, visible, _ = signer_copy_links(press_signature)
    assert header == visible
    response = Client(enforce_csrf_checks=True).post(
        path(header), "List-Unsubscribe=One-Click", "application/x-www-form-urlencoded"
    )
    assert response.status_code == 200
    assert "Press Freedom Watch" in response.content.decode()
    # Reporters United (sorted second) still sends news; reminders still come.
    assert consents() == [False, True]
    assert reminders_active()
    reader["stranger"].refresh_from_db()
    assert reader["stranger"].consent_updates


def test_the_signer_copy_names_the_stream_its_link_stops(reader):
    signature = reader["signatures"][0]
    letter = signature.letters.create(
        target=TargetFactory(), language="en", subject="Justice", body="Dear official"
    )
    text = delivery.signer_copy(signature, [letter]).body_text
    assert "Stop news from Press Freedom Watch (one click)" in text
    assert "Every e-mail we send you" in text


def test_a_reminders_one_click_link_stops_only_the_reminders(reader):
    response = Client(enforce_csrf_checks=True).post(
        reverse("letters:reminders:unsubscribe", args=[reader["subscription"].unsubscribe_token]),
        "List-Unsubscribe=One-Click",
        "application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    assert not reminders_active()
    assert consents() == [True, True]


def test_a_reminder_links_the_preferences_page_of_its_address(reader, client):
    reminder = ReminderTextFactory().reminder
    shared = ReminderRunContext.build()
    rendered = render_reminder(
        reader["subscription"], reminder, observance_year=2026, shared=shared
    )
    [url] = [u for u in re.findall(r"https?://\S+", rendered.text) if "/letters/preferences/" in u]
    assert f'href="{url}"' in rendered.html
    page = client.get(path(url))
    assert page.status_code == 200
    assert "Press Freedom Watch" in page.content.decode()


def test_preferences_page_lists_every_stream_of_the_address_escaped(reader, client):
    _, _, preferences = signer_copy_links(reader["signatures"][0])
    html = client.get(path(preferences)).content.decode()
    assert "News from Press Freedom Watch" in html
    assert "News from Reporters &lt;b&gt;&quot;United&quot;&lt;/b&gt;" in html
    assert "<b>" not in html.split("<main", 1)[-1]
    assert "Reminders before 2 November" in html
    assert html.count('name="stop"') == 4  # three streams and "stop everything"
    assert ADDRESS not in html


def test_stopping_one_stream_on_the_page_leaves_the_others(reader, client):
    _, _, preferences = signer_copy_links(reader["signatures"][0])
    organisation = reader["signatures"][1].campaign.organisation
    response = client.post(path(preferences), {"stop": f"org:{organisation.pk}"})
    assert response.status_code == 200 and "that stream is stopped" in response.content.decode()
    assert consents() == [True, False]
    assert reminders_active()
    # Again: harmless, nothing else changes.
    assert client.post(path(preferences), {"stop": f"org:{organisation.pk}"}).status_code == 200
    assert consents() == [True, False]


def test_stop_everything_stops_every_stream_and_nobody_elses(reader, client):
    _, _, preferences = signer_copy_links(reader["signatures"][0])
    response = client.post(path(preferences), {"stop": "everything"})
    assert response.status_code == 200
    assert consents() == [False, False]
    assert not reminders_active()
    assert not Signature.objects.filter(email_key=ADDRESS, consent_reminders=True).exists()
    reader["stranger"].refresh_from_db()
    assert reader["stranger"].consent_updates
    html = client.get(path(preferences)).content.decode()
    assert html.count("Stopped: you do not receive these.") == 3


@pytest.mark.parametrize(
    "choice", ["", "org:", "org:999999", "org:1 OR 1=1", "everything\x00", "x" * 10_000]
)
def test_unknown_or_hostile_choices_are_refused_and_change_nothing(reader, client, choice):
    _, _, preferences = signer_copy_links(reader["signatures"][0])
    response = client.post(path(preferences), {"stop": choice})
    assert response.status_code == 400
    assert "Please choose again" in response.content.decode()
    assert consents() == [True, True] and reminders_active()


def test_another_organisations_stream_of_another_address_cannot_be_stopped(reader, client):
    other = SignatureFactory(consent_updates=True)
    _, _, preferences = signer_copy_links(reader["signatures"][0])
    response = client.post(path(preferences), {"stop": f"org:{other.campaign.organisation_id}"})
    assert response.status_code == 400
    other.refresh_from_db()
    assert other.consent_updates


def test_preferences_page_needs_csrf_refuses_other_methods_and_forged_links(reader):
    token = links.preferences_token(signature_id=reader["signatures"][0].pk)
    url = reverse("letters:preferences", args=[token])
    strict = Client(enforce_csrf_checks=True)
    assert strict.post(url, {"stop": "everything"}).status_code == 403
    assert Client().put(url).status_code == 405
    assert consents() == [True, True]
    for forged in (
        signing.dumps({"s": reader["signatures"][0].pk}, salt=links.UNSUBSCRIBE_SALT),
        signing.dumps({"s": True}, salt=links.PREFERENCES_SALT),
        "nonsense",
    ):
        assert strict.get(reverse("letters:preferences", args=[forged])).status_code == 404
