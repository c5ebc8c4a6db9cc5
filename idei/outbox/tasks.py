"""Celery tasks of the outbox: send a batch of rows, and sweep what a dead worker or Redis lost."""

from celery import shared_task
from celery.signals import task_success

from idei.celery import tasks_run_inline

from . import durable, sending

SWEEP_BATCH = 200
# A retry due within this long gets a task of its own for that moment; a later one is left to
# the sweep (a countdown held by a worker longer than the broker's visibility timeout would be
# delivered twice).
RETRY_TASK_HORIZON_SECONDS = 15 * 60


def enqueue_retry(pk: int, seconds: float) -> None:
    """Send this row again when its backoff ends, rather than when the sweep next passes."""
    if seconds <= RETRY_TASK_HORIZON_SECONDS and not tasks_run_inline():
        send_outgoing_batch.apply_async(([pk],), countdown=seconds)


@shared_task(bind=True, acks_late=True)
def send_outgoing_batch(self, pks: list[int], delivered: list[int] | None = None) -> dict:
    delivered = list(delivered or [])
    try:
        return sending.send_messages(pks, on_retry=enqueue_retry, delivered=delivered)
    except sending.SentButNotRecorded as error:
        # The database failed right after a send: try again soon, and mark that one sent
        # rather than send it twice.
        raise self.retry(
            args=(pks,), kwargs={"delivered": delivered + error.pks}, exc=error, countdown=2
        ) from error


@shared_task
def sweep_outbox() -> dict:
    """Every minute from beat: re-queue what dead workers left, re-enqueue what Redis lost."""
    requeued, due = sending.sweep()
    for start in range(0, len(due), SWEEP_BATCH):
        send_outgoing_batch.delay(due[start : start + SWEEP_BATCH])
    return {"requeued": requeued, "enqueued": len(due), "tasks": durable.send_lost_again()}


@task_success.connect
def forget_durable_task(sender=None, **kwargs) -> None:
    """A task sent by durable.send_durably ran: its row goes."""
    durable.forget(getattr(sender.request, "id", None) if sender is not None else None)
