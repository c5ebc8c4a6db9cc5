"""Celery tasks of inbound mail: process a stored message; sweep what Redis lost."""

from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from . import services
from .models import InboundMessage

# A received message whose processing task has not run after this long was lost with Redis.
STALE_RECEIVED = timedelta(minutes=2)


@shared_task(acks_late=True)  # database and broker errors retried (idei.celery.ResilientTask)
def process_inbound_message(pk: int) -> str:
    return services.process(pk)


@shared_task
def sweep_inbound() -> int:
    """Every minute from beat: process what was stored but whose task was lost."""
    stale = list(
        InboundMessage.objects.filter(
            status=InboundMessage.Status.RECEIVED,
            received_at__lt=timezone.now() - STALE_RECEIVED,
        ).values_list("pk", flat=True)[:1000]
    )
    for pk in stale:
        process_inbound_message.delay(pk)
    return len(stale)
