"""The yearly cycle: "one year on" in an earlier signer's reminder (send_reminders --date),
signers' news at most once a week, and running last year's campaign again."""

import datetime
import io
import secrets

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from campaigns import services as campaign_services
from campaigns.models import Campaign
from cases.models import Case, CaseStatusChange
from idei.outbox.models import OutgoingMessage
from letters.models import MessageKind, Reminder, ReminderText, Response, Subscription
from letters.responses import news
from letters.responses import services as responses
from tests.factories import MembershipFactory, UserFactory

from .responses_world import DOMAIN, delivered_world

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _setup(settings, tmp_path):
    settings.INBOUND_EMAIL_DOMAIN = DOMAIN
    settings.PRIVATE_FILES_ROOT = tmp_path / "private"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    Reminder.objects.all().delete()  # the default reminders would be due on test dates too


def publish_response(world, text="We reopened the file."):
    response = Response.objects.create(
        campaign=world.campaign, target=world.target, channel=Response.Channel.POST, text=text
    )
    response.cases.set([world.case])
    responses.decide(response, "publish", user=world.coordinator, public_text=text)
    return response


def change_status(case):
    case = Case.objects.get(pk=case.pk)  # loaded: its status is remembered
    case.impunity = Case.Impunity.PARTIAL
    case.save()
    return case


def test_a_status_change_is_recorded_once_and_only_when_the_status_changes():
    world = delivered_world()
    case = Case.objects.get(pk=world.case.pk)
    case.summary = "New summary."
    case.save()
    assert not CaseStatusChange.objects.exists()
    change_status(world.case)
    change = CaseStatusChange.objects.get()
    assert (change.from_status, change.to_status) == ("unresolved", "partial")


def test_one_year_on_tells_an_earlier_signer_what_changed_with_send_reminders_date(smtp_server):
    world = delivered_world()
    signature = world.signatures[0]
    signature.confirmed_at = timezone.make_aware(datetime.datetime(2025, 10, 20, 12))
    signature.save(update_fields=["confirmed_at"])
    Subscription.objects.create(
        email=signature.email,
        email_key=signature.email_key,
        country="MX",
        language="en",
        unsubscribe_token=secrets.token_urlsafe(24),
        confirmed_at=signature.confirmed_at,
    )
    reminder = Reminder.objects.create(name="A week before", days_before=7)
    ReminderText.objects.create(
        reminder=reminder, language="en", subject="{days_left} days left", body="Hello."
    )
    change_status(world.case)
    publish_response(world)
    this_year = campaign_services.run_again(world.campaign, user=world.coordinator)
    this_year.publish()

    call_command("send_reminders", "--date", "2026-10-26", stdout=io.StringIO())

    message = OutgoingMessage.objects.get(kind=MessageKind.REMINDER)
    text = message.body_text
    assert "One year on: the cases you signed for" in text
    assert "Lucía Beltrán Ortega (Partial justice)" in text
    assert "You signed on 20 October 2025." in text
    assert "its status changed from “Unresolved” to “Partial justice”" in text
    assert "Ana Ruiz, Attorney General, answered:" in text
    assert "We reopened the file." in text
    assert "days of silence" not in text  # they answered
    assert f"This year's campaign: {this_year.title}" in text
    assert this_year.get_absolute_url() in text
    assert "One year on" in message.body_html
    assert [m["To"] for m in smtp_server.messages] == ["ana@example.net"]


def test_one_year_on_counts_the_days_of_silence_and_leaves_out_this_years_signers(smtp_server):
    world = delivered_world(
        signers=[("Old Signer", "old@example.net", True), ("New Signer", "new@example.net", True)]
    )
    old, new = world.signatures
    old.confirmed_at = timezone.now() - datetime.timedelta(days=400)
    old.save(update_fields=["confirmed_at"])
    new.confirmed_at = timezone.now() - datetime.timedelta(days=3)
    new.save(update_fields=["confirmed_at"])
    for signature in (old, new):
        Subscription.objects.create(
            email=signature.email,
            email_key=signature.email_key,
            country="MX",
            unsubscribe_token=secrets.token_urlsafe(24),
            confirmed_at=signature.confirmed_at,
        )
    reminder = Reminder.objects.create(name="A week before", days_before=7)
    ReminderText.objects.create(reminder=reminder, language="en", subject="Soon", body="Hello.")

    today = timezone.localdate()
    observance = datetime.date(today.year, 11, 2)
    if observance - datetime.timedelta(days=7) < today - datetime.timedelta(days=3):
        observance = datetime.date(today.year + 1, 11, 2)
    run_date = observance - datetime.timedelta(days=7)
    call_command("send_reminders", "--date", run_date.isoformat(), stdout=io.StringIO())

    by_address = {m.to_email: m.body_text for m in OutgoingMessage.objects.filter(kind="reminder")}
    assert "400 days of silence" in by_address["old@example.net"]
    assert "No change in the courts since you signed." in by_address["old@example.net"]
    assert "One year on" not in by_address["new@example.net"]


def test_signers_news_goes_at_most_once_a_week_and_only_with_consent():
    world = delivered_world(
        signers=[("Ana Signer", "ana@example.net", True), ("Ben Quiet", "ben@example.net", False)]
    )
    publish_response(world, "First answer.")
    now = timezone.now()
    assert news.send_signer_news(now) == 1
    assert news.send_signer_news(now) == 0  # again at once: nothing
    change_status(world.case)
    assert news.send_signer_news(now + datetime.timedelta(days=2)) == 0  # within the week
    later = now + datetime.timedelta(days=8)
    CaseStatusChange.objects.update(changed_at=now + datetime.timedelta(days=2))
    assert news.send_signer_news(later) == 1
    messages = OutgoingMessage.objects.filter(kind=MessageKind.SIGNER_NEWS).order_by("pk")
    assert [m.to_email for m in messages] == ["ana@example.net", "ana@example.net"]
    assert "First answer." in messages[0].body_text
    assert "First answer." not in messages[1].body_text  # told already
    assert "changed from “Unresolved” to “Partial justice”" in messages[1].body_text
    assert messages[1].headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_no_news_after_the_signer_unsubscribed_from_the_organisation(client):
    world = delivered_world()
    from letters.delivery import links

    client.post(links.unsubscribe_url(world.signatures[0]).replace("http://localhost:8000", ""))
    publish_response(world)
    assert news.send_signer_news() == 0


def test_running_a_campaign_again_copies_it_as_a_linked_draft_in_one_action(client):
    world = delivered_world()
    world.campaign.signature_count = 1234
    world.campaign.save()
    client.force_login(world.coordinator)
    url = reverse("dashboard:campaign_run_again", args=[world.campaign.slug])
    assert client.get(url).status_code == 200
    answer = client.post(url)
    copy = Campaign.objects.exclude(pk=world.campaign.pk).get()
    assert answer.status_code == 302
    assert answer["Location"] == reverse("dashboard:campaign", args=[copy.slug])
    assert copy.previous == world.campaign
    assert copy.status == Campaign.Status.DRAFT
    assert copy.signature_count == 0
    assert list(copy.cases.all()) == [world.case]
    assert list(copy.targets.all()) == [world.target]
    assert copy.letter_templates.get().body == world.campaign.letter_templates.get().body
    world.campaign.refresh_from_db()
    assert world.campaign.status == Campaign.Status.PUBLISHED  # unchanged

    change_status(world.case)
    publish_response(world)
    copy.publish()
    page = client.get(copy.get_absolute_url()).content.decode()
    assert "Last time, 1,234 people wrote; here is what happened since" in page
    assert "went from “Unresolved” to “Partial justice”" in page
    assert "Ana Ruiz answered." in page


def test_run_again_is_for_the_campaigns_coordinators_only(client):
    world = delivered_world()
    outsider = UserFactory(username="outsider")
    MembershipFactory(user=outsider, organisation__slug="other-org")
    client.force_login(outsider)
    url = reverse("dashboard:campaign_run_again", args=[world.campaign.slug])
    assert client.post(url).status_code == 404
    assert Campaign.objects.count() == 1
