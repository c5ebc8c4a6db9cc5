"""Every kind of batch (confirmations, reminder batches, digests, letters) recovers alike.

A database failure right behind a send: that message is marked sent by a task of its own,
not sent again, and the rest of the batch goes on within seconds (not at the sweep). Redis
that lost everything: the next sweep sends every kind again at once. Real Celery worker on
Redis, real SMTP server, PostgreSQL.
"""

import asyncio
import datetime
import logging
import threading
import time

import pytest
from django.core.cache import cache
from django.db import connection
from django.utils import timezone

from idei.outbox import durable, sending
from idei.outbox import services as outbox_services
from idei.outbox.models import DurableTask, OutgoingMessage
from idei.outbox.tasks import send_outgoing_batch, sweep_outbox
from letters.models import MessageKind, Signature
from letters.reminders.fanout import reminder_key
from letters.reminders.tasks import send_reminder_batch
from letters.signing.tasks import send_confirmations, sweep_confirmations
from tests.letters.factories import (
    ReminderTextFactory,
    SignatureFactory,
    SubscriptionFactory,
    open_campaign,
)
from tests.letters.test_outbox import ScriptedSmtp, SmtpServer

Status = OutgoingMessage.Status
ADDRESSES = [f"person{n}@example.org" for n in range(3)]
YEAR = 2026


class HoldingFirstData(ScriptedSmtp):
    """Holds the first DATA (whoever it is for) until the test releases it."""

    def __init__(self, host, port):
        super().__init__(host, port)
        self.in_data = threading.Event()
        self.release = threading.Event()

    async def handle_DATA(self, server, session, envelope):
        if not self.in_data.is_set():
            self.in_data.set()
            while not self.release.is_set():
                await asyncio.sleep(0.05)
        return await super().handle_DATA(server, session, envelope)

    def recipients(self) -> list[str]:
        with self._lock:
            return sorted(r for envelope in self.envelopes for r in envelope.rcpt_tos)


@pytest.fixture
def holding_smtp(settings):
    server = SmtpServer()
    server.handler = HoldingFirstData("127.0.0.1", server.handler.port)
    server.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = server.handler.host, server.handler.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5
    try:
        yield server.handler
    finally:
        server.handler.release.set()
        server.stop()


def wait_until(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def start_batch(kind: str):
    """Write what a batch of this kind sends to ADDRESSES, and send its task."""
    if kind == "confirmation":
        campaign = open_campaign()
        now = timezone.now()
        for n, address in enumerate(ADDRESSES):
            SignatureFactory(
                campaign=campaign,
                email=address,
                email_key=address,
                confirmed_at=None,
                confirmation_due_at=now + datetime.timedelta(microseconds=n),
            )
        send_confirmations.delay()
    elif kind == "reminder":
        text = ReminderTextFactory()
        ids = [SubscriptionFactory(email=address, email_key=address).pk for address in ADDRESSES]
        send_reminder_batch.delay(text.reminder_id, YEAR, ids, "test-run")
    else:
        rows = [
            outbox_services.enqueue(
                kind=kind,
                key=f"{kind}:{address}",
                to=address,
                subject="s",
                body_text="b\n",
                send=False,
            )
            for address in ADDRESSES
        ]
        send_outgoing_batch.delay([row.pk for row in rows])


def cut_every_other_database_session():
    """What a PostgreSQL restart does to the worker's connection, the test's own kept."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


@pytest.mark.faults
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "kind", ["confirmation", "reminder", MessageKind.DIGEST, MessageKind.LETTER]
)
def test_a_database_failure_right_after_a_send_marks_it_sent_and_the_batch_goes_on_at_once(
    celery_worker, postgres, holding_smtp, caplog, kind
):
    start_batch(kind)
    assert holding_smtp.in_data.wait(timeout=30), "no message reached the server"
    cut_every_other_database_session()  # inside the SMTP conversation
    holding_smtp.release.set()
    started = time.monotonic()

    # No sweep runs here: only the batch's own retries can finish the work, within seconds.
    wait_until(lambda: len(holding_smtp.recipients()) >= len(ADDRESSES), 30, "every message")
    rows = OutgoingMessage.objects.filter(to_email__in=ADDRESSES)
    wait_until(
        lambda: (
            rows.count() == len(ADDRESSES)
            and set(rows.values_list("status", flat=True)) == {Status.SENT}
        ),
        30,
        "every row marked sent",
    )
    assert time.monotonic() - started < 30
    time.sleep(1)  # a double would be on its way now
    assert holding_smtp.recipients() == ADDRESSES  # each once
    assert "was sent but the database failed" in caplog.text


def lost_batches():
    """One batch of each kind whose task Redis lost a moment ago: rows and signatures wait."""
    now = timezone.now()
    campaign = open_campaign()
    signature = SignatureFactory(
        campaign=campaign,
        email="confirm@example.org",
        email_key="confirm@example.org",
        confirmed_at=None,
        confirmation_due_at=now,
    )
    text = ReminderTextFactory()
    subscription = SubscriptionFactory(email="remind@example.org", email_key="remind@example.org")
    DurableTask.objects.create(
        task_id="durable:lost-reminder-batch",
        name=send_reminder_batch.name,
        args=[text.reminder_id, YEAR, [subscription.pk], "lost-run"],
        kwargs={},
        options={},
    )
    for kind in (MessageKind.LETTER, MessageKind.DIGEST):
        outbox_services.enqueue(
            kind=kind,
            key=f"lost:{kind}",
            to=f"{kind}@gov.example.org",
            subject="s",
            body_text="b\n",
            send=False,
        )
    return signature, subscription, text


@pytest.mark.django_db(transaction=True)
def test_the_first_sweep_after_redis_lost_everything_sends_every_kind_again_at_once(
    celery_worker, postgres, mailoutbox, caplog
):
    for reader in ("sweep_outbox", "sweep_confirmations"):
        cache.set(durable.EMPTIED_MARK_KEY + reader, "before", None)
    signature, subscription, text = lost_batches()

    # Redis still holds its mark: a task lost a moment ago is not yet missed.
    assert sweep_outbox() == {"requeued": 0, "enqueued": 0, "tasks": 0, "redis_emptied": False}
    assert sweep_confirmations() == {"confirmations_woken": 0}

    for reader in ("sweep_outbox", "sweep_confirmations"):
        cache.delete(durable.EMPTIED_MARK_KEY + reader)  # what a FLUSHALL or restart does
    with caplog.at_level(logging.WARNING, logger="idei.outbox.tasks"):
        swept = sweep_outbox()
    assert swept == {"requeued": 0, "enqueued": 2, "tasks": 1, "redis_emptied": True}
    assert "Redis lost its data" in caplog.text
    assert sweep_confirmations() == {"confirmations_woken": 1}

    expected = {
        "confirm@example.org",
        "remind@example.org",
        f"{MessageKind.LETTER}@gov.example.org",
        f"{MessageKind.DIGEST}@gov.example.org",
    }
    wait_until(lambda: {m.to[0] for m in mailoutbox} >= expected, 30, "every kind to be sent")
    assert len(mailoutbox) == len(expected)
    assert not DurableTask.objects.exists()
    key = reminder_key(subscription.pk, text.reminder_id, YEAR)
    assert OutgoingMessage.objects.get(idempotency_key=key).status == Status.SENT
    assert Signature.objects.get(pk=signature.pk).confirmation_due_at is None
    # The mark is back: the next sweep sends nothing again.
    assert sweep_outbox()["redis_emptied"] is False


@pytest.mark.django_db
def test_without_a_broker_the_sweep_never_takes_redis_for_emptied():
    assert durable.redis_was_emptied("sweep_outbox") is False
    assert datetime.timedelta(minutes=2) == sending.STALE_QUEUED
