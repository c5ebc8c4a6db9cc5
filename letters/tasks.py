"""Celery tasks: thin wrappers over services, taking primary keys only."""

from celery import shared_task

from . import outbox


@shared_task(acks_late=True)
def send_outgoing_batch(pks: list[int]) -> dict:
    return outbox.send_messages(pks)


@shared_task
def sweep_outbox() -> dict:
    return outbox.sweep()
