"""Periodic campaign work."""

import logging

from celery import shared_task
from django.utils import timezone

from .models import Campaign

logger = logging.getLogger(__name__)


def close_expired_campaigns(now=None) -> int:
    """Close published campaigns whose closing date has passed, as a coordinator would.

    Closing through the model method records the change, and that record is what starts a
    petition's delivery in the letters app.
    """
    now = now or timezone.now()
    closed = 0
    for campaign in Campaign.objects.published().filter(closes_at__lte=now):
        try:
            campaign.close(user=None)
        except ValueError:  # closed meanwhile by its coordinator or another run
            continue
        closed += 1
        logger.info("campaign %s closed on its closing date", campaign.slug)
    return closed


@shared_task
def close_expired_campaigns_task() -> int:
    return close_expired_campaigns()
