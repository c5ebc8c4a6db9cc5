"""The reminders fan-out: right day, right person, once, in bounded chunks.

Eager Celery (the test default) runs each batch inline; mail goes to the real loopback SMTP
server. The clock is the `now` argument of the due run.
"""

import datetime
import logging
import secrets
import threading

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from campaigns.models import Campaign, Membership
from idei.outbox.models import OutgoingMessage
from letters.models import MessageKind, Reminder, ReminderText, Subscription
from letters.reminders import fanout
from letters.reminders.tasks import queue_due_reminders
from tests.factories import CampaignFactory, MembershipFactory, OrganisationFactory, UserFactory

UTC = datetime.UTC
Status = OutgoingMessage.Status


@pytest.fixture(autouse=True)
def _only_the_reminders_a_test_creates(db):
    """The default reminders (a data migration) would be due on some test dates too."""
    Reminder.objects.all().delete()


def at(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=UTC)


def make_reminder(days_before: int, **fields) -> Reminder:
    reminder = Reminder.objects.create(
        name=f"{days_before} days before", days_before=days_before, **fields
    )
    ReminderText.objects.create(
        reminder=reminder,
        language="en",
        subject="{days_left} days to 2 November",
        body="Hello from {country}. 2 November: {date}.",
    )
    return reminder


def subscribe(email: str, time_zone: str = "UTC", **fields) -> Subscription:
    values = {
        "email": email,
        "email_key": email.lower(),
        "country": "MX",
        "time_zone": time_zone,
        "unsubscribe_token": secrets.token_urlsafe(24),
        "confirmed_at": timezone.now(),
        **fields,
    }
    return Subscription.objects.create(**values)


def many(count: int, time_zone: str = "UTC", prefix: str = "reader") -> list[Subscription]:
    now = timezone.now()
    return Subscription.objects.bulk_create(
        Subscription(
            email=f"{prefix}{n}@example.org",
            email_key=f"{prefix}{n}@example.org",
            country="MX",
            time_zone=time_zone,
            unsubscribe_token=secrets.token_urlsafe(24),
            confirmed_at=now,
        )
        for n in range(count)
    )


def recipients(smtp) -> list[str]:
    return sorted(message["To"] for message in smtp.messages)


# -- Right day, right person -----------------------------------------------------------------


@pytest.mark.django_db
def test_kiritimati_is_reminded_on_its_2_november_and_pago_pago_a_day_later(smtp_server):
    make_reminder(0)
    subscribe("kiritimati@example.org", "Pacific/Kiritimati")
    subscribe("pago@example.org", "Pacific/Pago_Pago")
    # 10:30 UTC on 1 November: already 2 November at UTC+14, still 31 October at UTC-11.
    first = at(2026, 11, 1, 10, 30)

    report = queue_due_reminders(first)

    assert report.recipients == 1
    assert recipients(smtp_server) == ["kiritimati@example.org"]
    queue_due_reminders(first + datetime.timedelta(hours=25, minutes=30))
    assert recipients(smtp_server) == ["kiritimati@example.org", "pago@example.org"]


@pytest.mark.django_db
def test_a_reminder_is_not_sent_the_day_before_its_local_day(smtp_server):
    make_reminder(7)
    subscribe("pago@example.org", "Pacific/Pago_Pago")
    # 26 October 10:00 UTC is still 25 October in Pago Pago: 8 days before.
    report = queue_due_reminders(at(2026, 10, 26, 10, 0))
    assert report.reminders == []
    assert smtp_server.messages == []


@pytest.mark.django_db
def test_across_the_year_boundary_the_reminder_is_for_next_years_2_november(smtp_server):
    reminder = make_reminder(310)  # 27 December 2026 for 2 November 2027
    subscription = subscribe("kiritimati@example.org", "Pacific/Kiritimati")

    queue_due_reminders(at(2026, 12, 26, 10, 30))  # 27 December in Kiritimati

    row = OutgoingMessage.objects.get()
    assert row.idempotency_key == fanout.reminder_key(subscription.pk, reminder.pk, 2027)
    assert "2 November 2027" in smtp_server.messages[0].get_body(("plain",)).get_content()


@pytest.mark.django_db
def test_in_a_leap_year_the_reminder_falls_on_29_february(smtp_server):
    make_reminder(247)
    subscribe("reader@example.org")

    assert queue_due_reminders(at(2028, 2, 28, 12, 0)).recipients == 0
    assert queue_due_reminders(at(2028, 2, 29, 12, 0)).recipients == 1
    assert queue_due_reminders(at(2028, 3, 1, 12, 0)).recipients == 0
    assert recipients(smtp_server) == ["reader@example.org"]


@pytest.mark.django_db
def test_as_of_date_is_every_subscribers_local_date(smtp_server):
    make_reminder(30)
    subscribe("kiritimati@example.org", "Pacific/Kiritimati")
    subscribe("pago@example.org", "Pacific/Pago_Pago")

    report = queue_due_reminders(at(2026, 6, 1, 0, 0), as_of_date=datetime.date(2026, 10, 3))

    assert [(due.days_before, due.observance_year) for due in report.reminders] == [(30, 2026)]
    assert recipients(smtp_server) == ["kiritimati@example.org", "pago@example.org"]


@pytest.mark.django_db
def test_unconfirmed_unsubscribed_bounced_and_erased_addresses_get_nothing(smtp_server):
    make_reminder(0)
    now = timezone.now()
    subscribe("active@example.org")
    subscribe("unconfirmed@example.org", confirmed_at=None)
    subscribe("unsubscribed@example.org", unsubscribed_at=now)
    subscribe("bounced@example.org", bounced_at=now)
    subscribe("erased@example.org", erased_at=now)

    queue_due_reminders(at(2026, 11, 2, 12, 0))

    assert recipients(smtp_server) == ["active@example.org"]
    assert OutgoingMessage.objects.count() == 1


@pytest.mark.django_db
def test_inactive_reminders_are_not_sent(smtp_server):
    make_reminder(0, is_active=False)
    subscribe("reader@example.org")
    assert queue_due_reminders(at(2026, 11, 2, 12, 0)).reminders == []
    assert smtp_server.messages == []


@pytest.mark.django_db
def test_an_unknown_time_zone_is_skipped_and_logged_while_others_are_reminded(smtp_server, caplog):
    make_reminder(0)
    subscribe("reader@example.org")
    subscribe("lost@example.org", "Mars/Olympus_Mons")

    with caplog.at_level(logging.ERROR, logger="letters.reminders.fanout"):
        report = queue_due_reminders(at(2026, 11, 2, 12, 0))

    assert report.skipped_time_zones == ["Mars/Olympus_Mons"]
    assert recipients(smtp_server) == ["reader@example.org"]
    assert "Mars/Olympus_Mons" in caplog.text


@pytest.mark.django_db
def test_the_message_carries_one_click_unsubscribe_headers(smtp_server):
    make_reminder(0)
    subscription = subscribe("reader@example.org")
    queue_due_reminders(at(2026, 11, 2, 12, 0))
    message = smtp_server.messages[0]
    assert subscription.unsubscribe_token in message["List-Unsubscribe"]
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


# -- Once ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_running_the_due_task_again_sends_nothing_twice_and_enqueues_nothing(smtp_server):
    make_reminder(0)
    many(12)
    now = at(2026, 11, 2, 3, 0)

    first = queue_due_reminders(now, chunk_size=5)
    second = queue_due_reminders(now + datetime.timedelta(hours=1), chunk_size=5)

    assert (first.recipients, first.batches) == (12, 3)
    assert (second.recipients, second.batches) == (0, 0)
    assert len(smtp_server.messages) == 12
    assert OutgoingMessage.objects.filter(status=Status.SENT).count() == 12


@pytest.mark.django_db
def test_a_batch_run_twice_sends_its_chunk_once(smtp_server):
    reminder = make_reminder(0)
    ids = [subscription.pk for subscription in many(4)]

    first = fanout.send_reminder_batch(reminder.pk, 2026, ids)
    again = fanout.send_reminder_batch(reminder.pk, 2026, ids)

    assert (first["created"], first["sent"]) == (4, 4)
    assert (again["created"], again["already"], again.get("sent", 0)) == (0, 4, 0)
    assert len(smtp_server.messages) == 4


@pytest.mark.django_db
def test_two_beats_planning_at_once_send_each_reminder_once(smtp_server):
    # Beat A plans its chunks, beat B plans and sends everything, then A's batches run.
    reminder = make_reminder(0)
    many(7)
    planned_by_a = list(fanout.recipient_chunks(reminder.pk, 2026, ["UTC"], chunk_size=3))

    queue_due_reminders(at(2026, 11, 2, 12, 0), chunk_size=3)
    late = [fanout.send_reminder_batch(reminder.pk, 2026, ids) for ids in planned_by_a]

    assert sum(counts["already"] for counts in late) == 7
    assert sum(counts.get("sent", 0) for counts in late) == 0
    assert len(smtp_server.messages) == 7


@pytest.mark.django_db(transaction=True)
def test_two_beat_processes_running_concurrently_send_each_reminder_once(postgres, smtp_server):
    make_reminder(0)
    many(40)
    now = at(2026, 11, 2, 12, 0)
    errors = []

    def beat():
        try:
            queue_due_reminders(now, chunk_size=10)
        except Exception as error:  # pragma: no cover - shown by the assertion below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=beat) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert OutgoingMessage.objects.filter(status=Status.SENT).count() == 40
    message_ids = [message["Message-ID"] for message in smtp_server.messages]
    assert len(message_ids) == len(set(message_ids)) == 40


@pytest.mark.django_db
def test_a_row_whose_task_was_lost_is_sent_by_the_next_run(smtp_server):
    reminder = make_reminder(0)
    subscription = subscribe("reader@example.org")
    # What a batch leaves behind when Redis loses its task between writing and sending.
    OutgoingMessage.objects.create(
        idempotency_key=fanout.reminder_key(subscription.pk, reminder.pk, 2026),
        kind=MessageKind.REMINDER,
        to_email=subscription.email,
        subject="Written before the crash",
        body_text="Body",
    )

    report = queue_due_reminders(at(2026, 11, 2, 12, 0))

    assert report.recipients == 1
    assert [message["Subject"] for message in smtp_server.messages] == ["Written before the crash"]
    assert OutgoingMessage.objects.get().status == Status.SENT


@pytest.mark.django_db
def test_a_queued_reminder_of_someone_who_unsubscribed_since_is_not_sent(smtp_server):
    reminder = make_reminder(0)
    subscription = subscribe("reader@example.org")
    key = fanout.reminder_key(subscription.pk, reminder.pk, 2026)
    OutgoingMessage.objects.create(
        idempotency_key=key, kind=MessageKind.REMINDER, to_email=subscription.email,
        subject="Reminder", body_text="Body",
    )  # fmt: skip
    Subscription.objects.filter(pk=subscription.pk).update(unsubscribed_at=timezone.now())

    counts = fanout.send_reminder_batch(reminder.pk, 2026, [subscription.pk])

    assert counts["inactive"] == 1
    assert smtp_server.messages == []
    assert OutgoingMessage.objects.get().status == Status.FAILED


@pytest.mark.django_db
def test_a_dry_run_counts_and_writes_nothing(smtp_server):
    make_reminder(0)
    many(6)

    with CaptureQueriesContext(connection) as queries:
        report = queue_due_reminders(at(2026, 11, 2, 12, 0), dry_run=True)

    assert (report.recipients, report.batches) == (6, 0)
    assert not [
        query["sql"]
        for query in queries.captured_queries
        if query["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
    ]
    assert OutgoingMessage.objects.count() == 0
    assert smtp_server.messages == []


# -- Bounded chunks --------------------------------------------------------------------------


@pytest.mark.django_db
def test_recipients_are_read_in_chunks_of_one_or_two_limited_queries(
    django_assert_max_num_queries,
):
    reminder = make_reminder(0)
    many(13, "Europe/Paris", prefix="paris")
    many(12, "America/Mexico_City", prefix="mexico")
    chunks = fanout.recipient_chunks(
        reminder.pk, 2026, ["America/Mexico_City", "Europe/Paris"], chunk_size=10
    )
    seen = []
    while True:
        # At most one query per chunk, plus one where a time zone ends inside the chunk.
        with CaptureQueriesContext(connection) as queries:
            chunk = next(chunks, None)
        assert len(queries) <= 2
        assert all("LIMIT 10" in query["sql"] for query in queries.captured_queries)
        if chunk is None:
            break
        seen.append(chunk)

    assert [len(chunk) for chunk in seen] == [10, 10, 5]
    assert len({pk for chunk in seen for pk in chunk}) == 25


@pytest.mark.django_db
def test_the_due_run_enqueues_one_batch_per_chunk(smtp_server):
    make_reminder(0)
    many(23)
    report = queue_due_reminders(at(2026, 11, 2, 12, 0), chunk_size=10)
    assert report.batches == 3
    assert len(smtp_server.messages) == 23


@pytest.mark.django_db
def test_a_batch_costs_a_fixed_number_of_queries_plus_the_outboxs_one_per_message(
    smtp_server, django_assert_max_num_queries
):
    reminder = make_reminder(0)
    ids = [subscription.pk for subscription in many(30)]
    fanout.shared_context("run-1")  # the context is built once per run and process

    with CaptureQueriesContext(connection) as ten:
        fanout.send_reminder_batch(reminder.pk, 2026, ids[:10], "run-1")
    with CaptureQueriesContext(connection) as twenty:
        fanout.send_reminder_batch(reminder.pk, 2026, ids[10:], "run-1")

    # The outbox's per-message cost: one statement that marks the message before sent and
    # claims this one (UPDATE ... RETURNING); two on SQLite, which has no data-modifying WITH.
    # Nothing else grows.
    per_message = 1 if connection.vendor == "postgresql" else 2
    assert len(twenty) - len(ten) == per_message * 10
    with django_assert_max_num_queries(6):
        fanout.send_reminder_batch(reminder.pk, 2026, ids, "run-1")  # all done: lookups only


# -- Coordinators ----------------------------------------------------------------------------


def coordinators(organisation):
    owner = MembershipFactory(organisation=organisation, role=Membership.Role.OWNER).user
    coordinator = MembershipFactory(organisation=organisation).user
    MembershipFactory(organisation=organisation, role=Membership.Role.VIEWER)
    return sorted([owner.email, coordinator.email])


@pytest.mark.django_db
def test_coordinators_are_reminded_once_of_a_campaign_closing_soon(
    smtp_server, django_capture_on_commit_callbacks
):
    organisation = OrganisationFactory()
    expected = coordinators(organisation)
    now = at(2026, 10, 20, 9, 0)
    CampaignFactory(organisation=organisation, closes_at=now + datetime.timedelta(days=2))
    CampaignFactory(organisation=organisation, closes_at=now + datetime.timedelta(days=10))

    with django_capture_on_commit_callbacks(execute=True):
        first = queue_due_reminders(now)
    with django_capture_on_commit_callbacks(execute=True):
        again = queue_due_reminders(now + datetime.timedelta(hours=1))

    assert first.coordinator_reminders == {"closing": 2, "undelivered": 0}
    assert again.coordinator_reminders == {"closing": 0, "undelivered": 0}
    assert recipients(smtp_server) == expected
    assert "closes soon" in smtp_server.messages[0]["Subject"]


@pytest.mark.django_db
def test_coordinators_are_reminded_once_of_a_petition_not_delivered_after_2_november(
    smtp_server, django_capture_on_commit_callbacks
):
    organisation = OrganisationFactory()
    expected = coordinators(organisation)
    CampaignFactory(
        organisation=organisation,
        status=Campaign.Status.CLOSED,
        delivery_mode=Campaign.DeliveryMode.PETITION,
        closes_at=at(2026, 10, 30, 12, 0),
    )
    CampaignFactory(  # delivered: nothing to say
        organisation=organisation,
        status=Campaign.Status.DELIVERED,
        delivery_mode=Campaign.DeliveryMode.PETITION,
        closes_at=at(2026, 10, 30, 12, 0),
    )

    with django_capture_on_commit_callbacks(execute=True):
        before = queue_due_reminders(at(2026, 11, 2, 12, 0))
    with django_capture_on_commit_callbacks(execute=True):
        after = queue_due_reminders(at(2026, 11, 3, 12, 0))
    with django_capture_on_commit_callbacks(execute=True):
        again = queue_due_reminders(at(2026, 11, 4, 12, 0))

    assert before.coordinator_reminders["undelivered"] == 0
    assert after.coordinator_reminders["undelivered"] == 2
    assert again.coordinator_reminders["undelivered"] == 0
    assert recipients(smtp_server) == expected


@pytest.mark.django_db
def test_a_dry_run_counts_coordinator_reminders_without_queuing_them():
    organisation = OrganisationFactory()
    coordinators(organisation)
    now = at(2026, 10, 20, 9, 0)
    CampaignFactory(organisation=organisation, closes_at=now + datetime.timedelta(days=1))

    report = queue_due_reminders(now, dry_run=True)

    assert report.coordinator_reminders["closing"] == 2
    assert OutgoingMessage.objects.count() == 0


@pytest.mark.django_db
def test_coordinator_reminder_escapes_a_hostile_campaign_title_in_html(
    smtp_server, django_capture_on_commit_callbacks
):
    organisation = OrganisationFactory()
    MembershipFactory(organisation=organisation, role=Membership.Role.OWNER, user=UserFactory())
    now = at(2026, 10, 20, 9, 0)
    CampaignFactory(
        organisation=organisation,
        title="<script>alert(1)</script>\nBcc: x@evil.example",
        closes_at=now + datetime.timedelta(days=1),
    )
    with django_capture_on_commit_callbacks(execute=True):
        queue_due_reminders(now)
    message = smtp_server.messages[0]
    assert message["Bcc"] is None
    assert "<script>" not in message.get_body(("html",)).get_content()
