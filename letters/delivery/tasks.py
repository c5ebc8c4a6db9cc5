"""Celery tasks of delivery: daily digests, petitions and petition PDFs, and what queues them.

Thin wrappers over services.py and pdf.py, taking primary keys only.
"""

import datetime

from celery import shared_task
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

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


# A coordinator's petition asked for within this long of the last request is not queued again
# (a 100,000-signer petition takes a minute or two; a lost worker's task comes back).
PETITION_PENDING_SECONDS = 30 * 60


def petition_pending_key(campaign_id: int) -> str:
    return f"letters:petition-pdf-pending:{campaign_id}"


@shared_task(name="letters.tasks.generate_petition_pdf", acks_late=True)
def generate_petition_pdf(campaign_id: int) -> str:
    """Write a campaign's petition PDF (all officials) under PRIVATE_FILES_ROOT; its path.

    Nothing is laid out again if the file for the current signatures exists, nor the signer
    list if only the cover changed. The coordinator's petition page serves it once written.
    """
    try:
        campaign = Campaign.objects.select_related("organisation").get(pk=campaign_id)
        return str(pdf.coordinator_petition(campaign).path)
    finally:
        cache.delete_many([petition_pending_key(campaign_id), pdf.progress_key(campaign_id)])


def request_petition_pdf(campaign: Campaign) -> None:
    """A coordinator asked for the petition PDF: queue it after commit, unless one is pending.

    At most one per campaign waits in the queue; where tasks run inline it is made at once.
    """
    campaign_id = campaign.pk
    key = petition_pending_key(campaign_id)

    def enqueue():
        if not cache.add(key, timezone.now().timestamp(), PETITION_PENDING_SECONDS):
            return
        try:
            generate_petition_pdf.delay(campaign_id)
        except Exception:
            cache.delete(key)  # not queued: the next request tries again
            raise

    transaction.on_commit(enqueue)


def petition_pending_since(campaign: Campaign) -> datetime.datetime | None:
    """When the campaign's pending petition PDF was asked for, if one is pending."""
    stamp = cache.get(petition_pending_key(campaign.pk))
    return datetime.datetime.fromtimestamp(stamp, tz=datetime.UTC) if stamp else None


def deliver_petition_after_commit(campaign: Campaign) -> None:
    """A petition campaign was closed: deliver its petition after commit, in a task."""
    if campaign.delivery_mode != Campaign.DeliveryMode.PETITION:
        return
    campaign_id = campaign.pk
    transaction.on_commit(lambda: deliver_petition_task.delay(campaign_id))


@shared_task(name="letters.tasks.refresh_queued_petitions", acks_late=True)
def refresh_queued_petitions(message_pks: list[int]) -> int:
    """Lay out held petitions again without an erased signer, then let them go."""
    return services.refresh_queued_petitions(message_pks)
