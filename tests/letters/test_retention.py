"""Retention by default (issue 13, point 9): signers' personal data leaves a campaign a set time
after it closed, counts and public figures stay; privacy mails and mail counts go too."""

import datetime

import pytest
from axes.models import AccessAttempt, AccessLog
from django.db.models import Count
from django.urls import reverse
from django_celery_beat.models import PeriodicTask

from campaigns.models import Campaign, CampaignStatusChange
from idei.outbox.models import OutgoingMessage, ref
from letters.models import Letter, MessageKind, Signature, UnsolicitedMailCount
from letters.privacy import retention
from letters.privacy import tasks as privacy_tasks
from letters.signing.unsolicited import mailbox_key
from tests.factories import CampaignFactory, TargetFactory, UserFactory
from tests.letters.factories import SignatureFactory
from tests.letters.test_erasure import database_traces, file_traces

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2027, 6, 1, 12, 0, tzinfo=datetime.UTC)
Status = OutgoingMessage.Status


def closed_campaign(days_ago: int, status=Campaign.Status.CLOSED, **fields):
    campaign = CampaignFactory(status=status, **fields)
    CampaignStatusChange.objects.create(
        campaign=campaign,
        from_status=Campaign.Status.PUBLISHED,
        to_status=status,
        changed_at=NOW - datetime.timedelta(days=days_ago),
    )
    return campaign


def signer(campaign, name: str, email: str, country="MX"):
    signature = SignatureFactory(
        campaign=campaign, name=name, email=email, email_key=email, country=country,
        city="Culiacán", message=f"Written by {name}", consent_share_name=True,
        consent_updates=True, consent_record={"name": name},
    )  # fmt: skip
    target = TargetFactory(email="fiscal@gov.example.org")
    Letter.objects.create(signature=signature, target=target, language="en",
                          subject=f"From {name}", body=f"Dear Fiscal,\n{name}")  # fmt: skip
    OutgoingMessage.objects.create(
        idempotency_key=f"copy:{signature.pk}", kind=MessageKind.SIGNER_COPY, to_email=email,
        subject="Your copy", body_text=f"Dear {name}", status=Status.SENT,
        group=ref(campaign), about=ref(signature),
    )  # fmt: skip
    OutgoingMessage.objects.create(
        idempotency_key=f"letter:{signature.pk}", kind=MessageKind.LETTER,
        to_email=target.email, reply_to=email, subject=f"Letter from {name}",
        body_text=f"Dear Fiscal, {name}", status=Status.SENT, group=ref(campaign),
        about=ref(signature),
    )  # fmt: skip
    return signature


def figures(campaign):
    signatures = Signature.objects.confirmed().filter(campaign=campaign)
    by_country = dict(signatures.values_list("country").annotate(n=Count("pk")))
    return (
        signatures.count(),
        by_country,
        Letter.objects.filter(signature__campaign=campaign).count(),
    )


def test_a_campaign_closed_over_a_year_ago_loses_its_signers_data_and_keeps_its_figures(
    settings, tmp_path
):
    settings.PRIVATE_FILES_ROOT = tmp_path
    old = closed_campaign(400)
    signer(old, "Olga Oldsigner", "olga@example.org")
    signer(old, "Omar Oldsigner", "omar@example.org", country="CO")
    petition_folder = tmp_path / "petitions" / old.slug
    petition_folder.mkdir(parents=True)
    (petition_folder / "signers-en-abc-n2.pdf").write_text("Olga Oldsigner, Omar Oldsigner")
    recent = closed_campaign(300, status=Campaign.Status.DELIVERED)
    kept_recent = signer(recent, "Rita Recent", "rita@example.org")
    open_campaign = CampaignFactory(status=Campaign.Status.PUBLISHED)
    kept_open = signer(open_campaign, "Ursula Open", "ursula@example.org")
    before = figures(old)

    done = retention.apply_retention(NOW)

    assert (done.campaigns, done.signatures) == (1, 2)
    assert database_traces("Oldsigner", "olga@example.org", "omar@example.org") == []
    assert file_traces(tmp_path, "Oldsigner") == []
    assert figures(old) == before
    assert not Signature.objects.filter(campaign=old, erased_at__isnull=True).exists()
    for signature in (kept_recent, kept_open):
        signature.refresh_from_db()
        assert signature.erased_at is None and signature.email.endswith("@example.org")
    assert database_traces("Rita Recent", "Ursula Open") != []
    # What was sent stays recorded as sent, without its content.
    old_mail = OutgoingMessage.objects.filter(group=ref(old))
    assert set(old_mail.values_list("kind", "status", "subject")) == {
        (MessageKind.SIGNER_COPY, Status.SENT, "[erased]"),
        (MessageKind.LETTER, Status.SENT, "[erased]"),
    }


def test_running_retention_again_changes_nothing():
    old = closed_campaign(400)
    signer(old, "Olga Oldsigner", "olga@example.org")
    retention.apply_retention(NOW)
    keys = set(Signature.objects.values_list("email_key", flat=True))
    again = retention.apply_retention(NOW)
    assert (again.campaigns, again.signatures) == (0, 0)
    assert set(Signature.objects.values_list("email_key", flat=True)) == keys


def test_the_period_is_a_setting_and_counts_from_the_last_of_closing_and_delivery(settings):
    settings.SIGNER_DATA_RETENTION_DAYS = 30
    closed_long_ago = closed_campaign(45)
    signer(closed_long_ago, "Carla Closed", "carla@example.org")
    delivered_lately = closed_campaign(45)
    CampaignStatusChange.objects.create(
        campaign=delivered_lately, from_status=Campaign.Status.CLOSED,
        to_status=Campaign.Status.DELIVERED, changed_at=NOW - datetime.timedelta(days=10),
    )  # fmt: skip
    signer(delivered_lately, "Dora Delivered", "dora@example.org")
    by_hand = CampaignFactory(
        status=Campaign.Status.CLOSED, closes_at=NOW - datetime.timedelta(days=31)
    )
    signer(by_hand, "Hugo Hand", "hugo@example.org")

    retention.apply_retention(NOW)

    assert database_traces("Carla Closed", "Hugo Hand") == []
    assert database_traces("Dora Delivered") != []


def test_privacy_mails_and_old_mail_counts_go(settings):
    def privacy_mail(key, days_ago, status=Status.SENT):
        return OutgoingMessage.objects.create(
            idempotency_key=key, kind=MessageKind.DATA_REQUEST, to_email="p@example.org",
            subject="Your data", body_text='{"name": "P"}', status=status,
            created_at=NOW - datetime.timedelta(days=days_ago),
        )  # fmt: skip

    privacy_mail("old", 31)
    privacy_mail("old-unsent", 31, status=Status.QUEUED)
    privacy_mail("young", 29)
    for days_ago in (1, 5):
        UnsolicitedMailCount.objects.create(
            mailbox=mailbox_key("p@example.org"),
            day=(NOW - datetime.timedelta(days=days_ago)).date(),
            count=5,
        )

    done = retention.apply_retention(NOW)

    assert (done.privacy_mails, done.unsolicited_counts) == (1, 1)
    assert set(OutgoingMessage.objects.values_list("idempotency_key", flat=True)) == {
        "old-unsent",
        "young",
    }
    assert UnsolicitedMailCount.objects.get().day == (NOW - datetime.timedelta(days=1)).date()


def test_retention_runs_every_night_from_a_beat_row_and_its_task_reports():
    row = PeriodicTask.objects.get(task="letters.tasks.apply_retention")
    assert row.enabled and row.crontab.hour == "3"
    assert privacy_tasks.apply_retention.delay().get() == {
        "campaigns": 0,
        "signatures": 0,
        "privacy_mails": 0,
        "unsolicited_counts": 0,
        "watchlist_networks": 0,
        "sign_in_failures": 0,
    }


def test_the_retention_setting_refuses_a_bad_value(monkeypatch):
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-c", "import django, os; os.environ['DJANGO_SETTINGS_MODULE']="
         "'idei.settings'; django.setup()"],
        env={**__import__("os").environ, "SIGNER_DATA_RETENTION_DAYS": "forever"},
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode != 0
    assert "SIGNER_DATA_RETENTION_DAYS must be a whole number" in result.stderr


def test_privacy_page_states_each_period(client):
    html = client.get(reverse("privacy")).content.decode()
    assert "deleted after 7 days" in html
    assert "365 days after it is" in html
    assert "30 days after it was written" in html
    assert "We do not store your IP address" in html
    assert "out of our reach" in html


def test_failed_sign_ins_are_kept_30_days_and_successful_ones_not_at_all(client):
    UserFactory(username="ana", password="a-long-enough-passphrase")
    for _ in range(2):
        client.post("/accounts/login/", {"username": "ana", "password": "wrong-guess"})
    now = datetime.datetime.now(datetime.UTC)
    old = AccessAttempt.objects.create(
        username="old", ip_address="198.51.100.9", user_agent="", http_accept="",
        path_info="/accounts/login/", get_data="", post_data="", failures_since_start=1,
    )  # fmt: skip
    # attempt_time is set on creation: moved back as if the attempt were a month old.
    AccessAttempt.objects.filter(pk=old.pk).update(attempt_time=now - datetime.timedelta(days=31))

    removed = retention.apply_retention()

    assert removed.sign_in_failures == 1
    assert not AccessAttempt.objects.filter(pk=old.pk).exists()
    assert AccessAttempt.objects.filter(username="ana").exists()  # recent: the lockout needs it
    client.post("/accounts/login/", {"username": "ana", "password": "a-long-enough-passphrase"})
    assert not AccessLog.objects.exists()
