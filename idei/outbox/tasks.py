"""Celery tasks of the outbox: send a batch of rows, and sweep what a dead worker or Redis lost."""

import logging
from datetime import timedelta

from celery import shared_task
from celery.signals import task_success

from idei.celery import tasks_run_inline

from . import durable, sending

logger = logging.getLogger(__name__)

SWEEP_BATCH = 200
# A retry due within this long gets a task of its own for that moment; a later one is left to
# the sweep (a countdown held by a worker longer than the broker's visibility timeout would be
# delivered twice).
RETRY_TASK_HORIZON_SECONDS = 15 * 60


def enqueue_retry(pk: int, seconds: float) -> None:
    """Send this row again when its backoff ends, rather than when the sweep next passes."""
    if seconds <= RETRY_TASK_HORIZON_SECONDS and not tasks_run_inline():
        send_outgoing_batch.apply_async(([pk],), countdown=seconds)


# After the database failed right behind a send, the marking and the rest of the batch are
# tried again this soon (then with the tasks' backoff: 2, 4, 8... s).
AFTER_DATABASE_FAILURE_SECONDS = 2


def send_now(pks: list[int], delivered: list[int] | None = None) -> dict:
    """Send these rows in this task (sending.send_messages), for every kind of batch.

    Each temporary failure is retried when its backoff ends (enqueue_retry). If the database
    fails right after the server took a message, that message is marked sent by a task of
    its own (mark_sent) rather than sent again, and the batch's unsent rows go on in another
    task, both retried with backoff until the database answers: a letter, a confirmation, a
    reminder or a digest waits seconds, not the sweep.
    """
    try:
        return sending.send_messages(pks, on_retry=enqueue_retry, delivered=delivered or ())
    except sending.SentButNotRecorded as error:
        mark_sent.apply_async((error.pks,), countdown=AFTER_DATABASE_FAILURE_SECONDS)
        if error.unsent:
            send_outgoing_batch.apply_async(
                (error.unsent,), countdown=AFTER_DATABASE_FAILURE_SECONDS
            )
        return {**error.counts, "deferred": error.counts.get("deferred", 0) + len(error.unsent)}


@shared_task(acks_late=True)
def mark_sent(pks: list[int]) -> int:
    """Mark sent the rows the server took while the database failed (retried until it answers)."""
    return sending.mark_delivered(pks)


@shared_task(acks_late=True)
def send_outgoing_batch(pks: list[int], delivered: list[int] | None = None) -> dict:
    # `delivered`: tasks queued before send_now existed may still carry it.
    return send_now(pks, delivered)


# `redis_mark`: the beat sends this sweep at once when its mark in Redis is gone (idei/beat.py).
@shared_task(redis_mark="sweep_outbox")
def sweep_outbox() -> dict:
    """Every minute from beat: re-queue what dead workers left, re-enqueue what Redis lost.

    Once Redis has lost everything, whatever is still waiting was lost with it: sent again
    now, not when it is STALE_QUEUED or STALE_AFTER old.
    """
    emptied = durable.redis_was_emptied("sweep_outbox")
    if emptied:
        logger.warning("outbox: Redis lost its data; sending every waiting task again")
    requeued, due = sending.sweep(stale_queued=timedelta(0) if emptied else sending.STALE_QUEUED)
    for start in range(0, len(due), SWEEP_BATCH):
        send_outgoing_batch.delay(due[start : start + SWEEP_BATCH])
    tasks = durable.send_lost_again(stale_after=timedelta(0) if emptied else durable.STALE_AFTER)
    return {"requeued": requeued, "enqueued": len(due), "tasks": tasks, "redis_emptied": emptied}


@task_success.connect
def forget_durable_task(sender=None, **kwargs) -> None:
    """A task sent by durable.send_durably ran: its row goes."""
    durable.forget(getattr(sender.request, "id", None) if sender is not None else None)
