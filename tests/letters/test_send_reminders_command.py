"""`manage.py send_reminders [--dry-run] [--date YYYY-MM-DD]` and the beat schedule behind it."""

import io
import secrets

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from idei.outbox.models import OutgoingMessage
from letters.models import MessageKind, Reminder, ReminderText, Subscription


@pytest.fixture(autouse=True)
def _only_the_reminders_a_test_creates(db):
    """The default reminders (a data migration) would be due on some test dates too."""
    Reminder.objects.all().delete()


def make_reminder(days_before: int, name: str) -> Reminder:
    reminder = Reminder.objects.create(name=name, days_before=days_before)
    ReminderText.objects.create(
        reminder=reminder, language="en", subject="{days_left} days left", body="{country}"
    )
    return reminder


def subscribe(email: str, time_zone: str) -> Subscription:
    return Subscription.objects.create(
        email=email,
        email_key=email,
        country="PH",
        time_zone=time_zone,
        unsubscribe_token=secrets.token_urlsafe(24),
        confirmed_at=timezone.now(),
    )


def run(*args) -> str:
    out = io.StringIO()
    call_command("send_reminders", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


@pytest.fixture
def subscribers():
    make_reminder(30, "A month before")
    make_reminder(7, "A week before")
    return [
        subscribe("kiritimati@example.org", "Pacific/Kiritimati"),
        subscribe("pago@example.org", "Pacific/Pago_Pago"),
        subscribe("manila@example.org", "Asia/Manila"),
    ]


@pytest.mark.django_db
def test_dry_run_prints_each_due_reminder_with_its_count_and_sends_nothing(
    subscribers, smtp_server
):
    output = run("--dry-run", "--date", "2026-10-26")

    assert "Dry run" in output
    assert "A week before (7 days before 2 November 2026): 3 subscribers would be reminded." in (
        output
    )
    assert "A month before" not in output
    assert OutgoingMessage.objects.count() == 0
    assert smtp_server.messages == []


@pytest.mark.django_db
def test_date_reminds_every_subscriber_as_if_it_were_their_local_date(subscribers, smtp_server):
    output = run("--date", "2026-10-03")

    assert "A month before (30 days before 2 November 2026): 3 subscribers queued" in output
    assert sorted(message["To"] for message in smtp_server.messages) == [
        "kiritimati@example.org",
        "manila@example.org",
        "pago@example.org",
    ]


@pytest.mark.django_db
def test_running_the_command_twice_for_one_date_sends_nothing_twice(subscribers, smtp_server):
    run("--date", "2026-10-03")
    output = run("--date", "2026-10-03")

    assert "0 subscribers queued in 0 batches" in output
    assert len(smtp_server.messages) == 3


@pytest.mark.django_db
def test_a_day_without_reminders_says_so(subscribers):
    output = run("--dry-run", "--date", "2026-05-01")
    assert "No reminder is due" in output


@pytest.mark.parametrize("value", ["2026-02-30", "tomorrow", "2026-1-2", "20261102", ""])
@pytest.mark.django_db
def test_a_bad_date_is_refused_with_a_clear_message(value):
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        run("--date", value)
    assert OutgoingMessage.objects.count() == 0


@pytest.mark.django_db
def test_without_date_each_subscriber_uses_their_own_local_date(subscribers, smtp_server):
    # The command uses the real clock: only check that it runs and agrees with a dry run.
    expected = run("--dry-run")
    output = run()
    assert ("No reminder is due" in expected) == ("No reminder is due" in output)
    assert (
        len(smtp_server.messages)
        == OutgoingMessage.objects.filter(kind=MessageKind.REMINDER).count()
    )


@pytest.mark.django_db
def test_beat_runs_the_due_reminders_task_every_hour():
    task = PeriodicTask.objects.get(task="letters.tasks.send_due_reminders")
    assert task.enabled
    assert (task.crontab.minute, task.crontab.hour) == ("5", "*")


def test_the_scheduled_task_name_is_a_registered_task():
    from idei.celery import app

    app.loader.import_default_modules()
    assert "letters.tasks.send_due_reminders" in app.tasks
