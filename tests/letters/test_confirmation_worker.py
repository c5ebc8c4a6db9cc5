"""Confirmation e-mails written and sent by a real worker over Redis and SMTP.

Where a worker runs, the sign POST only inserts the signature (marked as owed its e-mail) and
wakes the worker once per burst; the worker gives each signature its link and sends the
e-mails through the outbox.
"""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from idei.celery import ping
from idei.outbox.models import OutgoingMessage
from letters.models import Signature
from letters.signing import confirmations
from letters.signing import services as signing
from letters.signing.tasks import send_confirmations, sweep_confirmations
from tests.letters.factories import confirmation_token, open_campaign, sign_data

worker_test = pytest.mark.django_db(transaction=True)


def drain():
    """Wait until the solo worker has run every task queued so far."""
    assert ping.delay("drained").get(timeout=30) == "drained"


def text(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def post_sign(campaign, n: int):
    visitor = Client()
    return visitor.post(
        reverse("letters:sign", args=[campaign.slug]),
        sign_data(visitor, email=f"burst{n}@example.org"),
        REMOTE_ADDR=f"10.0.{n}.1",
    )


@worker_test
def test_a_burst_of_signatures_gets_one_working_link_each_from_the_worker(
    celery_worker, smtp_server
):
    campaign = open_campaign()
    cache.delete(confirmations.WAKE_KEY)

    for n in range(25):
        assert post_sign(campaign, n).status_code == 302
    smtp_server.wait_for(25)
    drain()

    addresses = sorted(str(message["To"]) for message in smtp_server.messages)
    assert addresses == sorted(f"burst{n}@example.org" for n in range(25))
    assert not Signature.objects.filter(confirmation_due_at__isnull=False).exists()
    assert OutgoingMessage.objects.filter(kind="confirmation", status="sent").count() == 25
    tokens = {confirmation_token(text(message)) for message in smtp_server.messages}
    # Each link opens its own signature (checked without confirming: a confirmation would
    # queue count reconciles on the worker, which this test does not need to wait for).
    signers = {signing.pending_signature(token).email for token in tokens}
    assert signers == {f"burst{n}@example.org" for n in range(25)}


@worker_test
def test_a_lost_wake_up_is_repaired_by_the_confirmations_sweep(celery_worker, smtp_server):
    campaign = open_campaign()
    # A wake-up seems queued (so signing queues none), but Redis lost it.
    cache.set(confirmations.WAKE_KEY, 1, 600)

    assert post_sign(campaign, 1).status_code == 302
    drain()
    assert smtp_server.messages == []
    assert not confirmations.confirmations_overdue()  # not yet: a wake-up may still come

    Signature.objects.update(confirmation_due_at=timezone.now() - timedelta(minutes=3))
    assert confirmations.confirmations_overdue()
    sweep_confirmations.delay()
    smtp_server.wait_for(1)
    drain()

    assert len(smtp_server.messages) == 1
    assert confirmation_token(text(smtp_server.messages[0]))
    assert not confirmations.confirmations_overdue()


@worker_test
def test_a_signature_committed_after_a_runs_last_look_is_sent_by_its_follow_up(
    celery_worker, smtp_server, monkeypatch
):
    monkeypatch.setattr(confirmations, "FOLLOW_UP_SECONDS", 3)
    campaign = open_campaign()
    cache.delete(confirmations.WAKE_KEY)
    send_confirmations.delay()  # a woken run, with nothing to send yet
    drain()
    # This request saw the wake-up claimed just before that run started (so it queues none),
    # and its INSERT commits only after the run's last look.
    cache.set(confirmations.WAKE_KEY, 1, 600)
    assert post_sign(campaign, 1).status_code == 302
    assert smtp_server.messages == []

    smtp_server.wait_for(1, timeout=15)  # the run's follow-up, 3 s after it ended
    assert str(smtp_server.messages[0]["To"]) == "burst1@example.org"
    assert not Signature.objects.filter(confirmation_due_at__isnull=False).exists()


@worker_test
def test_the_request_that_claims_the_wake_up_queues_it_after_its_insert(celery_worker, smtp_server):
    campaign = open_campaign()
    cache.delete(confirmations.WAKE_KEY)

    assert post_sign(campaign, 1).status_code == 302
    smtp_server.wait_for(1)
    assert str(smtp_server.messages[0]["To"]) == "burst1@example.org"
