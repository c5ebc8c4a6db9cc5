"""The outbox over the real Redis broker, a real Celery worker and a real SMTP server.

The SMTP server is aiosmtpd on loopback, scripted to answer what real servers answer when
things go wrong (421, 451, 550, or nobody listening), and to count the connections it gets.
"""

import datetime
import socket
import threading
import time

import pytest
from aiosmtpd.controller import Controller
from django.conf import settings as django_settings
from django.db import connection
from django.utils import timezone

from idei.celery import ping
from idei.outbox import sending as outbox
from idei.outbox import services as outbox_services
from idei.outbox.models import OutgoingMessage
from idei.outbox.tasks import send_outgoing_batch, sweep_outbox
from letters.models import MessageKind
from tests.conftest import SmtpCapture, free_port

Status = OutgoingMessage.Status
Kind = MessageKind


class ScriptedSmtp(SmtpCapture):
    """A real SMTP server that counts its sessions and refuses what a test tells it to."""

    def __init__(self, host: str, port: int):
        super().__init__(host, port)
        self.sessions = 0
        # address -> reply to RCPT TO (e.g. "451 4.3.0 Try later"); others get 250.
        self.refuse: dict[str, str] = {}
        # Replies to the next DATA commands, in order, before accepting again.
        self.data_replies: list[str] = []
        # Message-IDs of every DATA received, accepted or not.
        self.attempted_ids: list[str] = []

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        with self._lock:
            self.sessions += 1
        return responses

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        import email
        import email.policy

        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self._lock:
            self.attempted_ids.append(parsed["Message-ID"])
            if self.data_replies:
                return self.data_replies.pop(0)
        return await super().handle_DATA(server, session, envelope)


class SmtpServer:
    """Start, stop and restart the scripted server on one port."""

    def __init__(self):
        self.handler = ScriptedSmtp("127.0.0.1", free_port())
        self.controller = None

    def start(self):
        self.controller = Controller(
            self.handler, hostname=self.handler.host, port=self.handler.port
        )
        self.controller.start()

    def stop(self):
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp(settings):
    server = SmtpServer()
    server.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = server.handler.host
    settings.EMAIL_PORT = server.handler.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5
    try:
        yield server
    finally:
        server.stop()


def queue_message(key: str, to: str = "official@gov.example.org", *, send: bool = False, **fields):
    return outbox_services.enqueue(
        kind=Kind.LETTER,
        key=key,
        to=to,
        subject=f"Letter {key}",
        body_text=f"Body of {key}\n",
        send=send,
        **fields,
    )


def drain():
    """Wait until the worker has run every task queued so far (the solo worker runs in order)."""
    assert ping.delay("drained").get(timeout=15) == "drained"


def refresh(message: OutgoingMessage) -> OutgoingMessage:
    return OutgoingMessage.objects.get(pk=message.pk)


def age(message: OutgoingMessage, **fields) -> None:
    OutgoingMessage.objects.filter(pk=message.pk).update(**fields)


worker_test = pytest.mark.django_db(transaction=True)


# -- Queuing once ----------------------------------------------------------------------------


@worker_test
def test_enqueuing_the_same_key_twice_keeps_one_row_and_sends_once(celery_worker, smtp):
    first = queue_message("letter:1", send=True)
    second = queue_message("letter:1", send=True)
    smtp.handler.wait_for(1)
    drain()

    assert first.pk == second.pk
    assert OutgoingMessage.objects.filter(idempotency_key="letter:1").count() == 1
    assert len(smtp.handler.messages) == 1
    assert refresh(first).status == Status.SENT


@pytest.mark.django_db
def test_enqueuing_the_same_key_again_keeps_the_first_content():
    first = queue_message("letter:2", to="first@gov.example.org")
    again = queue_message("letter:2", to="second@gov.example.org")
    assert again.pk == first.pk
    assert refresh(first).to_email == "first@gov.example.org"


@pytest.mark.django_db
def test_the_send_task_starts_only_after_commit(django_capture_on_commit_callbacks, mailoutbox):
    with django_capture_on_commit_callbacks() as callbacks:
        message = queue_message("letter:3", send=True)
        assert mailoutbox == []
    assert len(callbacks) == 1
    callbacks[0]()
    assert len(mailoutbox) == 1
    assert refresh(message).status == Status.SENT


# -- Claiming --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_claim_returns_none_for_a_row_another_worker_holds():
    message = queue_message("letter:4")
    claimed = outbox.claim(message.pk)
    assert claimed is not None
    assert claimed.status == Status.SENDING
    assert claimed.attempts == 1
    assert outbox.claim(message.pk) is None
    assert refresh(message).attempts == 1


@pytest.mark.django_db
def test_claim_returns_none_for_a_row_waiting_for_its_retry():
    message = queue_message("letter:5")
    age(message, next_attempt_at=timezone.now() + datetime.timedelta(minutes=5))
    assert outbox.claim(message.pk) is None


@pytest.mark.django_db
def test_claim_returns_none_for_a_sent_or_failed_row():
    sent, failed = queue_message("letter:6"), queue_message("letter:7")
    age(sent, status=Status.SENT)
    age(failed, status=Status.FAILED)
    assert outbox.claim(sent.pk) is None
    assert outbox.claim(failed.pk) is None


@pytest.mark.django_db(transaction=True)
def test_concurrent_claims_of_one_row_have_exactly_one_winner(postgres):
    message = queue_message("letter:8")
    start = threading.Barrier(8)
    winners = []

    def contend():
        try:
            start.wait()
            if outbox.claim(message.pk) is not None:
                winners.append(True)
        finally:
            connection.close()

    threads = [threading.Thread(target=contend) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert winners == [True]
    assert refresh(message).attempts == 1


# -- Sending ---------------------------------------------------------------------------------


@worker_test
def test_a_batch_is_sent_over_one_smtp_connection(celery_worker, smtp):
    messages = [queue_message(f"letter:batch:{n}", to=f"o{n}@gov.example.org") for n in range(5)]
    send_outgoing_batch.delay([m.pk for m in messages])
    smtp.handler.wait_for(5)
    drain()

    assert smtp.handler.sessions == 1
    assert {refresh(m).status for m in messages} == {Status.SENT}
    assert sorted(r for e in smtp.handler.envelopes for r in e.rcpt_tos) == sorted(
        m.to_email for m in messages
    )


@worker_test
def test_every_message_comes_from_the_site_with_its_stable_message_id(celery_worker, smtp):
    message = queue_message(
        "letter:from",
        reply_to="signer@example.org",
        headers={"List-Unsubscribe": "<https://example.org/u/1>"},
        send=True,
    )
    received = smtp.handler.wait_for(1)[0]

    assert received["From"] == django_settings.DEFAULT_FROM_EMAIL
    assert received["Reply-To"] == "signer@example.org"
    assert received["List-Unsubscribe"] == "<https://example.org/u/1>"
    assert received["Message-ID"] == outbox.message_id(refresh(message))


@pytest.mark.parametrize("reply", ["451 4.3.0 Mailbox busy, try later", "421 4.7.0 Too busy"])
@worker_test
def test_a_transient_refusal_requeues_the_message_with_backoff(celery_worker, smtp, reply):
    busy = queue_message("letter:busy", to="busy@gov.example.org")
    fine = queue_message("letter:fine", to="fine@gov.example.org")
    smtp.handler.refuse["busy@gov.example.org"] = reply
    before = timezone.now()

    send_outgoing_batch.delay([busy.pk, fine.pk])
    smtp.handler.wait_for(1)
    drain()

    busy = refresh(busy)
    assert busy.status == Status.QUEUED
    assert busy.attempts == 1
    assert reply.split()[0] in busy.last_error
    assert busy.next_attempt_at >= before + outbox.backoff(1)
    assert refresh(fine).status == Status.SENT
    assert [e.rcpt_tos for e in smtp.handler.envelopes] == [["fine@gov.example.org"]]


@worker_test
def test_a_retried_message_keeps_its_message_id(celery_worker, smtp):
    message = queue_message("letter:retry")
    smtp.handler.data_replies.append("451 4.3.0 Temporary local problem")

    send_outgoing_batch.delay([message.pk])
    drain()
    assert refresh(message).status == Status.QUEUED

    age(message, next_attempt_at=timezone.now())
    send_outgoing_batch.delay([message.pk])
    smtp.handler.wait_for(1)
    drain()

    first_try, second_try = smtp.handler.attempted_ids
    assert first_try == second_try == outbox.message_id(message)
    assert refresh(message).status == Status.SENT
    assert refresh(message).attempts == 2


@worker_test
def test_a_permanent_refusal_marks_the_message_failed_and_the_batch_goes_on(celery_worker, smtp):
    unknown = queue_message("letter:unknown", to="nobody@gov.example.org")
    fine = queue_message("letter:fine2", to="fine@gov.example.org")
    smtp.handler.refuse["nobody@gov.example.org"] = "550 5.1.1 No such user"

    send_outgoing_batch.delay([unknown.pk, fine.pk])
    smtp.handler.wait_for(1)
    drain()

    unknown = refresh(unknown)
    assert unknown.status == Status.FAILED
    assert "550" in unknown.last_error
    assert unknown.attempts == 1
    assert refresh(fine).status == Status.SENT
    assert smtp.handler.sessions == 1  # a refused recipient does not cost the connection


@worker_test
def test_a_transient_failure_after_three_days_of_retries_gives_up(celery_worker, smtp):
    message = queue_message("letter:last")
    retried_for = datetime.timedelta(seconds=django_settings.OUTBOX_RETRY_FOR_SECONDS)
    age(message, attempts=12, created_at=timezone.now() - retried_for)
    smtp.handler.refuse["official@gov.example.org"] = "451 4.3.0 Try later"

    send_outgoing_batch.delay([message.pk])
    drain()

    message = refresh(message)
    assert message.status == Status.FAILED
    assert message.attempts == 13


@worker_test
def test_a_transient_failure_within_three_days_is_retried(celery_worker, smtp):
    message = queue_message("letter:not-last")
    age(message, attempts=12, created_at=timezone.now() - datetime.timedelta(days=2))
    smtp.handler.refuse["official@gov.example.org"] = "451 4.3.0 Try later"

    send_outgoing_batch.delay([message.pk])
    drain()

    assert refresh(message).status == Status.QUEUED


@worker_test
def test_a_stopped_server_requeues_and_the_sweep_sends_once_it_is_back(celery_worker, smtp):
    messages = [queue_message(f"letter:down:{n}", to=f"o{n}@gov.example.org") for n in range(3)]
    smtp.stop()

    send_outgoing_batch.delay([m.pk for m in messages])
    drain()

    first, *rest = (refresh(m) for m in messages)
    assert first.status == Status.QUEUED
    assert first.attempts == 1
    assert "ConnectionRefusedError" in first.last_error
    # The batch stopped at the first refused connection; the rest were not even claimed.
    assert [(m.status, m.attempts) for m in rest] == [(Status.QUEUED, 0)] * 2

    smtp.start()
    long_ago = timezone.now() - datetime.timedelta(hours=1)
    OutgoingMessage.objects.update(next_attempt_at=long_ago, scheduled_at=long_ago)
    assert sweep_outbox.apply_async(ignore_result=False).get(timeout=15)["enqueued"] == 3
    smtp.handler.wait_for(3)
    drain()

    assert {refresh(m).status for m in messages} == {Status.SENT}
    assert len(smtp.handler.messages) == 3


@pytest.mark.django_db
def test_a_server_that_never_answers_costs_one_timeout_per_batch_not_per_message(settings):
    # A listening socket that never greets: like a firewalled or hung mail server.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = silent.getsockname()
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.EMAIL_TIMEOUT = 1
        messages = [queue_message(f"letter:hung:{n}") for n in range(4)]

        started = time.monotonic()
        counts = outbox.send_messages([m.pk for m in messages])
        elapsed = time.monotonic() - started

    assert counts == {
        "sent": 0,
        "failed": 1,
        "skipped": 0,
        "deferred": 3,
        "suppressed": 0,
        "paced": 0,
    }
    assert elapsed < 3
    first, *rest = (refresh(m) for m in messages)
    assert (first.status, first.attempts) == (Status.QUEUED, 1)
    assert "timed out" in first.last_error
    assert [(m.status, m.attempts) for m in rest] == [(Status.QUEUED, 0)] * 3


# -- Sweeping --------------------------------------------------------------------------------


def redis_kept_its_data():
    """The sweep's mark is in Redis, as after any earlier sweep: nothing counts as lost at once."""
    from django.core.cache import cache

    from idei.outbox import durable

    cache.set(durable.EMPTIED_MARK_KEY + "sweep_outbox", "earlier", None)


@worker_test
def test_the_sweep_requeues_a_row_left_sending_by_a_dead_worker(celery_worker, smtp):
    stuck = queue_message("letter:stuck", to="stuck@gov.example.org")
    busy = queue_message("letter:busy-now", to="busy@gov.example.org")
    long_ago = timezone.now() - outbox.STALE_SENDING - datetime.timedelta(minutes=1)
    age(stuck, status=Status.SENDING, claimed_at=long_ago, attempts=1, scheduled_at=long_ago)
    # Another worker claimed this one a moment ago and is still talking to the server.
    age(busy, status=Status.SENDING, claimed_at=timezone.now(), attempts=1, scheduled_at=long_ago)

    redis_kept_its_data()
    result = sweep_outbox.apply_async(ignore_result=False).get(timeout=15)
    smtp.handler.wait_for(1)
    drain()

    assert result == {"requeued": 1, "enqueued": 1, "tasks": 0, "redis_emptied": False}
    assert refresh(stuck).status == Status.SENT
    assert refresh(stuck).attempts == 2
    assert refresh(busy).status == Status.SENDING
    assert [e.rcpt_tos for e in smtp.handler.envelopes] == [["stuck@gov.example.org"]]


@worker_test
def test_the_sweep_reenqueues_a_queued_row_whose_task_was_lost(celery_worker, smtp):
    lost = queue_message("letter:lost", to="lost@gov.example.org")
    in_flight = queue_message("letter:in-flight", to="inflight@gov.example.org")
    age(lost, scheduled_at=timezone.now() - outbox.STALE_QUEUED - datetime.timedelta(seconds=5))
    # Its task was enqueued a moment ago and is on its way: the sweep leaves it alone.
    age(in_flight, scheduled_at=timezone.now())

    redis_kept_its_data()
    result = sweep_outbox.apply_async(ignore_result=False).get(timeout=15)
    smtp.handler.wait_for(1)
    drain()

    assert result == {"requeued": 0, "enqueued": 1, "tasks": 0, "redis_emptied": False}
    assert refresh(lost).status == Status.SENT
    assert refresh(in_flight).status == Status.QUEUED
    assert [e.rcpt_tos for e in smtp.handler.envelopes] == [["lost@gov.example.org"]]


@worker_test
def test_rerunning_the_sweep_and_the_send_task_sends_nothing_twice(celery_worker, smtp):
    long_ago = timezone.now() - datetime.timedelta(hours=1)
    messages = [queue_message(f"letter:again:{n}", to=f"o{n}@gov.example.org") for n in range(4)]
    OutgoingMessage.objects.update(scheduled_at=long_ago)
    pks = [m.pk for m in messages]

    sweep_outbox.delay()
    sweep_outbox.delay()
    send_outgoing_batch.delay(pks)
    smtp.handler.wait_for(4)
    drain()
    OutgoingMessage.objects.update(scheduled_at=long_ago)
    sweep_outbox.delay()
    send_outgoing_batch.delay(pks)
    drain()
    drain()  # the sweep's own send task, queued behind the first barrier

    assert len(smtp.handler.messages) == 4
    assert sorted(r for e in smtp.handler.envelopes for r in e.rcpt_tos) == sorted(
        m.to_email for m in messages
    )
    assert {refresh(m).attempts for m in messages} == {1}


@pytest.mark.django_db
def test_the_message_id_depends_only_on_the_key():
    one = queue_message("digest:1:2:2026-11-02")
    same = OutgoingMessage(idempotency_key="digest:1:2:2026-11-02")
    other = queue_message("digest:1:3:2026-11-02")
    assert outbox.message_id(one) == outbox.message_id(same)
    assert outbox.message_id(one) != outbox.message_id(other)
    assert outbox.message_id(one).startswith("<") and outbox.message_id(one).endswith(">")


def test_a_rejected_smtp_login_is_retried_not_failed():
    """Wrong credentials are ours to fix; the message waits for the corrected settings."""
    import smtplib

    from idei.outbox.sending import is_transient

    assert is_transient(smtplib.SMTPAuthenticationError(535, b"5.7.8 bad credentials"))
    assert not is_transient(smtplib.SMTPDataError(550, b"5.7.1 rejected"))


@pytest.mark.django_db(transaction=True)
def test_the_outbox_bookkeeping_commits_without_waiting_for_the_disk_and_resets(postgres):
    def setting() -> str:
        with connection.cursor() as cursor:
            cursor.execute("SHOW synchronous_commit")
            return cursor.fetchone()[0]

    assert setting() == "on"
    with outbox.commits_without_waiting_for_the_disk():
        assert setting() == "off"
        message = queue_message("letter:async-commit")
        assert outbox.claim(message.pk) is not None
    assert setting() == "on"  # nothing else this connection does is affected
    assert refresh(message).status == Status.SENDING


@pytest.mark.django_db
def test_a_row_is_handed_on_two_minutes_after_its_worker_claimed_it(settings):
    """A worker SIGKILLed in its SMTP conversation: the row goes back to the queue after 2
    minutes (6 SMTP timeouts of 20 s), not while a live worker could still be sending it."""
    settings.EMAIL_TIMEOUT = 20
    dead = queue_message("letter:dead-worker", to="dead@gov.example.org")
    alive = queue_message("letter:live-worker", to="alive@gov.example.org")
    now = timezone.now()
    age(dead, status=Status.SENDING, claimed_at=now - datetime.timedelta(seconds=125))
    age(alive, status=Status.SENDING, claimed_at=now - datetime.timedelta(seconds=100))

    requeued, _due = outbox.sweep(now=now)

    assert requeued == 1
    assert (refresh(dead).status, refresh(alive).status) == (Status.QUEUED, Status.SENDING)


@pytest.mark.django_db
def test_a_longer_smtp_timeout_makes_the_sweep_wait_longer(settings):
    settings.EMAIL_TIMEOUT = 60  # a conversation may then last 6 minutes
    slow = queue_message("letter:slow-relay", to="slow@gov.example.org")
    age(slow, status=Status.SENDING, claimed_at=timezone.now() - datetime.timedelta(minutes=5))

    requeued, _due = outbox.sweep(now=timezone.now())

    assert requeued == 0
    assert refresh(slow).status == Status.SENDING
