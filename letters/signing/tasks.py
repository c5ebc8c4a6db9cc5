"""Celery tasks of signing: confirmation e-mails, the shown count, housekeeping.

Thin wrappers over confirmations.py and counts.py, taking primary keys only, and the helpers
that enqueue them.
"""

import logging
import threading

from celery import shared_task
from django.core.cache import cache
from django.db import close_old_connections, connections

from idei.celery import tasks_run_inline
from idei.outbox import durable

from . import confirmations, counts, watchlist

logger = logging.getLogger(__name__)


@shared_task(name="letters.tasks.send_confirmations", acks_late=True)
def send_confirmations(follow_up: bool = False) -> dict:
    """Write and send the confirmation e-mails signatures are owed (see services.sign).

    A woken run, and a follow-up that found work, look once more FOLLOW_UP_SECONDS later:
    a signature whose INSERT committed after the run's last look, by a request that saw the
    wake-up claimed, is sent then rather than at the sweep (confirmations.py).
    """
    totals = confirmations.send_due_confirmations()
    if not tasks_run_inline() and (not follow_up or sum(totals.values())):
        send_confirmations.apply_async(
            kwargs={"follow_up": True}, countdown=confirmations.FOLLOW_UP_SECONDS
        )
    return totals


# `redis_mark`: the beat sends this sweep at once when its mark in Redis is gone (idei/beat.py).
@shared_task(name="letters.tasks.sweep_confirmations", redis_mark="sweep_confirmations")
def sweep_confirmations() -> dict:
    """Every minute from beat: wake the worker if signatures missed their wake-up (Redis lost).

    Right after Redis lost everything the wake-up of any signature waiting for its e-mail was
    lost with it: woken at once, not once overdue."""
    if durable.redis_was_emptied("sweep_confirmations") or confirmations.confirmations_overdue():
        send_confirmations.delay()
        return {"confirmations_woken": 1}
    return {"confirmations_woken": 0}


def wake_confirmation_worker() -> None:
    """Queue one wake-up of the confirmation worker, unless one is queued already."""
    if cache.add(confirmations.WAKE_KEY, 1, timeout=confirmations.WAKE_SECONDS):
        send_confirmations.delay()


@shared_task(name="letters.tasks.watch_signing_sources")
def watch_signing_sources() -> dict:
    """Every minute from beat: alert on e-mail domains and networks over their hourly threshold."""
    return {"alerts": len(watchlist.watch_sources())}


@shared_task(name="letters.tasks.purge_unconfirmed_signatures")
def purge_unconfirmed_signatures() -> int:
    """Delete signatures nobody confirmed within 7 days."""
    return confirmations.purge_unconfirmed()


@shared_task(name="letters.tasks.reconcile_signature_counts")
def reconcile_signature_counts(campaign_id: int | None = None) -> dict:
    """Set shown counts from an exact COUNT: one campaign, or every one that needs it."""
    done = counts.reconcile_counts(None if campaign_id is None else [campaign_id])
    return {str(pk): n for pk, n in done.items()}


# -- The count converges without beat ----------------------------------------------------------


def reconcile_soon(campaign_id: int) -> None:
    """Keep Campaign.signature_count converging; call after a confirmation has committed.

    The first confirmation after a quiet spell reconciles at once (inline in the embedded
    default, on a worker otherwise). Later ones within the interval schedule one more
    reconcile at its end, at most one pending per campaign.
    """
    interval = counts.reconcile_interval()
    if cache.add(counts.fresh_key(campaign_id), 1, timeout=interval):
        try:
            reconcile_signature_counts.delay(campaign_id=campaign_id)
        except Exception:
            # The confirmation has committed; the count catches up at the next reconcile.
            logger.exception("counts: reconcile of campaign %s failed", campaign_id)
    elif cache.add(counts.pending_key(campaign_id), 1, timeout=interval * 3):
        _reconcile_later(campaign_id, interval)


def _reconcile_later(campaign_id: int, delay: int) -> None:
    if not tasks_run_inline():
        reconcile_signature_counts.apply_async(kwargs={"campaign_id": campaign_id}, countdown=delay)
        return
    # Embedded default: no worker, no beat. A daemon timer thread in this process runs the
    # reconcile at the end of the interval (lost if the process stops: the next confirmation
    # or any beat repairs it).
    timer = threading.Timer(delay, _reconcile_in_thread, args=[campaign_id])
    timer.daemon = True
    timer.start()


def _reconcile_in_thread(campaign_id: int) -> None:
    close_old_connections()
    try:
        counts.reconcile_counts([campaign_id])
    except Exception:
        logger.exception("counts: delayed reconcile of campaign %s failed", campaign_id)
        cache.delete(counts.pending_key(campaign_id))
    finally:
        connections.close_all()
