"""Celery tasks of the outbox: send a batch of rows, and sweep what a dead worker or Redis lost."""

from celery import shared_task

from . import sending

SWEEP_BATCH = 200


@shared_task(acks_late=True)
def send_outgoing_batch(pks: list[int]) -> dict:
    return sending.send_messages(pks)


@shared_task
def sweep_outbox() -> dict:
    """Every minute from beat: re-queue what dead workers left, re-enqueue what Redis lost."""
    requeued, due = sending.sweep()
    for start in range(0, len(due), SWEEP_BATCH):
        send_outgoing_batch.delay(due[start : start + SWEEP_BATCH])
    return {"requeued": requeued, "enqueued": len(due)}
