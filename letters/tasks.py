"""Celery tasks: thin wrappers over services, taking primary keys only."""

from celery import shared_task

from . import outbox


@shared_task(acks_late=True)
def send_outgoing_batch(pks: list[int]) -> dict:
    return outbox.send_messages(pks)


@shared_task
def sweep_outbox() -> dict:
    return outbox.sweep()


# -- Signing: counts and housekeeping (letters.counts, letters.services) --------------------


@shared_task
def reconcile_signature_counts(campaign_id: int | None = None) -> dict:
    """Rewrite confirmed counts from an exact COUNT: one campaign, or all that need it."""
    from . import counts

    done = counts.reconcile_counts(None if campaign_id is None else [campaign_id])
    return {str(pk): n for pk, n in done.items()}


@shared_task
def purge_unconfirmed_signatures() -> int:
    """Delete signatures nobody confirmed within 7 days."""
    from . import services

    return services.purge_unconfirmed()
