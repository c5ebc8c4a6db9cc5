"""Celery tasks of the signers' rights: retention, every night from beat."""

import dataclasses
import logging

from celery import shared_task

from . import retention

logger = logging.getLogger(__name__)


@shared_task(name="letters.tasks.apply_retention", acks_late=True)
def apply_retention() -> dict:
    """Remove the personal data whose retention period is over (privacy/retention.py)."""
    done = dataclasses.asdict(retention.apply_retention())
    logger.info("retention: %s", done, extra=done)
    return done
