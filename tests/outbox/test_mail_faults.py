"""The mail path under refusing servers: a real SMTP server scripted to answer 550 or 451, a
real Celery worker over Redis, PostgreSQL. Each test is bounded by its waits' timeouts.
"""

import asyncio
import datetime
import itertools
import threading
import time

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from idei.celery import ping
from idei.outbox import sending, suppression
from idei.outbox import services as outbox_services
from idei.outbox.models import OutgoingMessage, Suppression
from idei.outbox.tasks import send_outgoing_batch
from letters.models import MessageKind, Signature
from letters.signing import confirmations
from tests.letters.factories import open_campaign, sign_data
from tests.letters.test_outbox import ScriptedSmtp, SmtpServer

Status = OutgoingMessage.Status
worker_test = pytest.mark.django_db(transaction=True)


class RefusingForAWhile(ScriptedSmtp):
    """Answers 451 to the first `refusals` RCPT commands, then 250; notes when each came."""

    def __init__(self, host, port, refusals: int):
        super().__init__(host, port)
        self.refusals = refusals
        self.rcpt_times: list[float] = []
        self.mail_from: list[str] = []

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        envelope.mail_from = address
        self.mail_from.append(address)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        self.rcpt_times.append(time.monotonic())
        if len(self.rcpt_times) <= self.refusals:
            return "451 4.7.1 Greylisted, try again later"
        return await super().handle_RCPT(server, session, envelope, address, rcpt_options)


@pytest.fixture
def smtp(settings):
    server = SmtpServer()
    server.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = server.handler.host, server.handler.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5
    try:
        yield server
    finally:
        server.stop()


def drain():
    assert ping.delay("drained").get(timeout=30) == "drained"


def sign(campaign, address: str, n: int):
    visitor = Client()
    response = visitor.post(
        reverse("letters:sign", args=[campaign.slug]),
        sign_data(visitor, email=address),
        REMOTE_ADDR=f"10.9.{n}.1",
    )
    assert response.status_code == 302


def wait_until(condition, timeout: float):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError("timed out")


@pytest.mark.faults
@worker_test
def test_550_for_one_address_suppresses_it_after_one_attempt_and_a_later_signature_sends_nothing(
    celery_worker, smtp
):
    smtp.handler.refuse["nobody@gov.example.org"] = "550 5.1.1 <nobody@gov.example.org>: unknown"
    cache.delete(confirmations.WAKE_KEY)

    sign(open_campaign(), "nobody@gov.example.org", 1)
    sign(open_campaign(), "someone@example.org", 2)
    smtp.handler.wait_for(1)
    drain()

    refused = OutgoingMessage.objects.get(to_email="nobody@gov.example.org")
    assert (refused.status, refused.attempts) == (Status.FAILED, 1)
    entry = suppression.find("nobody@gov.example.org")
    assert entry.reason == Suppression.Reason.BOUNCE
    assert entry.source_message_id == refused.pk
    assert "nobody@gov.example.org" not in entry.detail
    assert Signature.objects.get(email="nobody@gov.example.org").bounced_at is not None
    assert Signature.objects.get(email="someone@example.org").bounced_at is None

    cache.delete(confirmations.WAKE_KEY)
    sign(open_campaign(), "nobody@gov.example.org", 3)
    wait_until(
        lambda: OutgoingMessage.objects.filter(
            to_email="nobody@gov.example.org", status=Status.SUPPRESSED
        ).exists(),
        timeout=30,
    )
    drain()

    assert OutgoingMessage.objects.filter(to_email="nobody@gov.example.org").count() == 2
    rcpt_attempts = [e for e in smtp.handler.envelopes if "nobody@gov.example.org" in e.rcpt_tos]
    assert rcpt_attempts == []  # the refused one never reached DATA, and the later one no RCPT
    assert len(smtp.handler.messages) == 1  # someone@example.org's confirmation only


@pytest.mark.faults
@pytest.mark.slow
@worker_test
def test_451_for_a_while_then_250_is_delivered_with_the_backoff_visible(celery_worker, settings):
    settings.OUTBOX_RETRY_BASE_SECONDS = 1
    server = SmtpServer()
    server.handler = RefusingForAWhile("127.0.0.1", server.handler.port, refusals=3)
    server.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = server.handler.host, server.handler.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5
    try:
        message = outbox_services.enqueue(
            kind=MessageKind.LETTER,
            key="letter:greylisted",
            to="official@gov.example.org",
            subject="A letter",
            body_text="Body.\n",
        )
        # 1 + 2 + 4 s of backoff, each with up to half as much again of jitter.
        server.handler.wait_for(1, timeout=30)
        drain()
    finally:
        server.stop()

    message.refresh_from_db()
    assert (message.status, message.attempts) == (Status.SENT, 4)
    times = server.handler.rcpt_times
    waits = [later - earlier for earlier, later in itertools.pairwise(times)]
    assert len(waits) == 3
    for attempt, wait in enumerate(waits, start=1):
        base = sending.backoff(attempt).total_seconds()
        assert base * 0.9 <= wait <= base * 1.5 + 2, waits  # +2 s: the worker's own pace
    # Every attempt came from the message's own return path.
    assert set(server.handler.mail_from) == {sending.return_path(message)}
    assert django_settings.INBOUND_EMAIL_DOMAIN in sending.return_path(message)


@pytest.mark.django_db
def test_the_return_path_names_the_message_and_a_forged_one_names_nothing():
    message = outbox_services.enqueue(
        kind=MessageKind.LETTER,
        key="letter:rp",
        to="o@gov.example.org",
        subject="s",
        body_text="b\n",
        send=False,
    )
    address = sending.return_path(message)
    assert address.startswith("bounce+") and "@" in address
    assert sending.message_for_return_path(address.upper()) == message
    pk, mac = address.split("+")[1].split("@")[0].split(".")
    assert sending.message_for_return_path(f"bounce+{int(pk) + 1}.{mac}@x") is None
    assert sending.message_for_return_path(f"bounce+{pk}.{'0' * len(mac)}@x") is None
    assert sending.message_for_return_path("someone@example.org") is None
    assert sending.message_for_return_path("bounce+@x") is None


@pytest.mark.django_db
def test_a_suppressed_address_is_not_sent_and_others_in_the_batch_are(mailoutbox):
    suppression.suppress("blocked@example.org", Suppression.Reason.MANUAL)
    blocked, fine = (
        outbox_services.enqueue(
            kind=MessageKind.CONFIRMATION,
            key=f"c:{to}",
            to=to,
            subject="s",
            body_text="b\n",
            send=False,
        )
        for to in ("Blocked@Example.org", "fine@example.org")
    )

    counts = sending.send_messages([blocked.pk, fine.pk])

    assert counts["suppressed"] == 1 and counts["sent"] == 1
    assert [m.to for m in mailoutbox] == [["fine@example.org"]]
    blocked.refresh_from_db()
    assert blocked.status == Status.SUPPRESSED


class HoldingSmtp(ScriptedSmtp):
    """Holds the DATA of one recipient's message until the test releases it."""

    def __init__(self, host, port, hold_for: str):
        super().__init__(host, port)
        self.hold_for = hold_for
        self.in_data = threading.Event()
        self.release = threading.Event()

    async def handle_DATA(self, server, session, envelope):
        if self.hold_for in envelope.rcpt_tos and not self.in_data.is_set():
            self.in_data.set()
            while not self.release.is_set():
                await asyncio.sleep(0.05)
        return await super().handle_DATA(server, session, envelope)


@pytest.mark.faults
@worker_test
def test_a_database_connection_lost_during_a_send_loses_nothing_and_doubles_nothing(
    celery_worker, postgres, settings, caplog
):
    server = SmtpServer()
    server.handler = HoldingSmtp("127.0.0.1", server.handler.port, hold_for="o0@gov.example.org")
    server.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = server.handler.host, server.handler.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5
    messages = [
        outbox_services.enqueue(
            kind=MessageKind.LETTER,
            key=f"letter:db:{n}",
            to=f"o{n}@gov.example.org",
            subject="s",
            body_text="b\n",
            send=False,
        )
        for n in range(3)
    ]
    try:
        send_outgoing_batch.delay([m.pk for m in messages])
        assert server.handler.in_data.wait(timeout=15)
        # Inside the SMTP conversation: every other session on the test database is cut, the
        # worker's included, as a PostgreSQL restart would.
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        server.handler.release.set()
        server.handler.wait_for(3, timeout=30)
        wait_until(
            lambda: (
                set(
                    OutgoingMessage.objects.filter(pk__in=[m.pk for m in messages]).values_list(
                        "status", flat=True
                    )
                )
                == {Status.SENT}
            ),
            timeout=30,
        )
        drain()
    finally:
        server.handler.release.set()
        server.stop()

    recipients = sorted(r for e in server.handler.envelopes for r in e.rcpt_tos)
    assert recipients == ["o0@gov.example.org", "o1@gov.example.org", "o2@gov.example.org"]
    assert "was sent but the database failed" in caplog.text


@pytest.mark.django_db
def test_a_signature_with_a_suppressed_address_gets_no_confirmation_and_the_rest_do(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    suppression.suppress("bounced@example.org", Suppression.Reason.BOUNCE)
    campaign = open_campaign()
    with django_capture_on_commit_callbacks(execute=True):
        for n, address in enumerate(["bounced@example.org", "fine@example.org"]):
            response = client.post(
                reverse("letters:sign", args=[campaign.slug]),
                sign_data(client, email=address),
                REMOTE_ADDR=f"10.8.{n}.1",
            )
            assert response.status_code == 302

    assert [m.to for m in mailoutbox] == [["fine@example.org"]]
    assert OutgoingMessage.objects.get(to_email="bounced@example.org").status == Status.SUPPRESSED


@pytest.mark.django_db
def test_letters_to_one_domain_are_paced_and_other_domains_and_kinds_are_not(settings, mailoutbox):
    from django.core.cache import cache as pacing_cache

    settings.OUTBOX_DOMAIN_HOURLY_LIMIT = 120  # two a minute
    pacing_cache.delete_many(
        [f"outbox:pace:{d}" for d in ("ministry.example.org", "other.example.org")]
    )

    def queue(key, kind, to):
        return outbox_services.enqueue(
            kind=kind, key=key, to=to, subject="s", body_text="b\n", send=False
        )

    letters = [
        queue(f"pace:{n}", MessageKind.LETTER, f"o{n}@Ministry.example.org") for n in range(5)
    ]
    elsewhere = queue("pace:other", MessageKind.LETTER, "x@other.example.org")
    confirmation = queue("pace:conf", MessageKind.CONFIRMATION, "signer@ministry.example.org")
    before = timezone.now()

    counts = sending.send_messages([m.pk for m in [*letters, elsewhere, confirmation]])

    assert (counts["sent"], counts["paced"]) == (4, 3)
    assert sorted(m.to[0] for m in mailoutbox) == sorted(
        [
            "o0@Ministry.example.org",
            "o1@Ministry.example.org",
            "x@other.example.org",
            "signer@ministry.example.org",
        ]
    )
    for message in letters[2:]:
        message.refresh_from_db()
        assert (message.status, message.attempts) == (Status.QUEUED, 0)
        assert message.next_attempt_at >= before + datetime.timedelta(seconds=60)
