"""Celery tasks of delivery: daily digests, petitions and petition PDFs, and what queues them.

Thin wrappers over services.py and pdf.py, taking primary keys only.
"""

import datetime
from pathlib import Path

from celery import shared_task
from django.db import transaction

from campaigns.models import Campaign

from . import pdf, services


@shared_task(name="letters.tasks.send_daily_digests", acks_late=True)
def send_daily_digests(day: str | None = None) -> int:
    """Queue the daily digests for every complete day up to `day` (ISO date; default yesterday)."""
    return services.send_daily_digests(datetime.date.fromisoformat(day) if day else None)


@shared_task(name="letters.tasks.deliver_petition_task", acks_late=True)
def deliver_petition_task(campaign_id: int) -> int:
    """Queue a closed petition campaign's message to each official, with the petition PDF."""
    campaign = Campaign.objects.select_related("organisation").get(pk=campaign_id)
    return services.deliver_petition(campaign)


@shared_task(name="letters.tasks.generate_petition_pdf", acks_late=True)
def generate_petition_pdf(campaign_id: int) -> str:
    """Write a campaign's petition PDF (all officials) under PRIVATE_FILES_ROOT; its path.

    The coordinator finds it on the petition page of the dashboard once it is written (the
    file appears only when complete).
    """
    campaign = Campaign.objects.get(pk=campaign_id)
    return str(Path(pdf.petition_pdf(campaign)))


def deliver_petition_after_commit(campaign: Campaign) -> None:
    """A petition campaign was closed: deliver its petition after commit, in a task."""
    if campaign.delivery_mode != Campaign.DeliveryMode.PETITION:
        return
    campaign_id = campaign.pk
    transaction.on_commit(lambda: deliver_petition_task.delay(campaign_id))
