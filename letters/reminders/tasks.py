"""Celery tasks of reminders: the hourly fan-out, and one batch of reminders.

The fan-out (queue_due_reminders) is here, beside the batch task it enqueues; who is due and
how a batch is sent are in fanout.py.
"""

import datetime
import logging
import uuid

from celery import shared_task
from django.utils import timezone

from idei.outbox import durable

from . import fanout

logger = logging.getLogger(__name__)


@shared_task(name="letters.tasks.send_due_reminders", acks_late=True)
def send_due_reminders(as_of_date: str | None = None) -> dict:
    """Hourly from beat: enqueue a batch per chunk of subscribers due today, and coordinators'."""
    day = datetime.date.fromisoformat(as_of_date) if as_of_date else None
    return queue_due_reminders(as_of_date=day).as_dict()


@shared_task(name="letters.tasks.send_reminder_batch", acks_late=True)
def send_reminder_batch(
    reminder_id: int, observance_year: int, subscription_ids: list[int], run: str | None = None
) -> dict:
    """Render, record and send one chunk of a reminder over one SMTP connection."""
    return fanout.send_reminder_batch(reminder_id, observance_year, subscription_ids, run)


def queue_due_reminders(
    now: datetime.datetime | None = None,
    *,
    as_of_date: datetime.date | None = None,
    dry_run: bool = False,
    chunk_size: int = fanout.CHUNK_SIZE,
) -> fanout.DueReport:
    """Enqueue a batch task per chunk of subscribers due today, and coordinators' reminders.

    `as_of_date` acts as if that day were every subscriber's local date. A dry run counts
    what would be sent and writes and enqueues nothing.
    """
    now = now or timezone.now()
    report = fanout.DueReport(dry_run=dry_run, as_of_date=as_of_date)
    report.reminders, report.skipped_time_zones = fanout.due_reminders(now, as_of_date)
    # Every batch of this run shares one rendering context per worker process.
    run = f"{now:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"
    for due in report.reminders:
        if dry_run:
            due.recipients = fanout.not_yet_handled(
                fanout.active_subscriptions().filter(time_zone__in=due.time_zones),
                due.reminder_id,
                due.observance_year,
            ).count()
            continue
        for ids in fanout.recipient_chunks(
            due.reminder_id, due.observance_year, due.time_zones, chunk_size
        ):
            # Recorded in the database (the outbox sweep sends it again if Redis loses it);
            # nothing else was written, so it is sent at once.
            durable.send_durably(
                send_reminder_batch,
                [due.reminder_id, due.observance_year, ids, run],
                after_commit=False,
            )
            due.recipients += len(ids)
            due.batches += 1
    report.coordinator_reminders = fanout.queue_coordinator_reminders(
        now, as_of_date=as_of_date, dry_run=dry_run
    )
    logger.info(
        "reminders: %s %s subscriber reminders in %s batches; coordinators: %s",
        "would send" if dry_run else "queued",
        report.recipients,
        report.batches,
        report.coordinator_reminders,
        extra={"reminders_run": run},
    )
    return report
