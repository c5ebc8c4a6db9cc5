"""Celery tasks: thin wrappers over services, taking primary keys only."""

from celery import shared_task

from . import outbox


@shared_task(acks_late=True)
def send_outgoing_batch(pks: list[int]) -> dict:
    return outbox.send_messages(pks)


@shared_task
def sweep_outbox() -> dict:
    from . import services

    swept = outbox.sweep()
    # A signature whose confirmation e-mail was never written: its wake-up was lost.
    if services.confirmations_overdue():
        send_confirmations.delay()
        swept["confirmations_woken"] = 1
    return swept


@shared_task(acks_late=True)
def send_confirmations() -> dict:
    """Write and send the confirmation e-mails signatures are owed (see services.sign)."""
    from . import services

    return services.send_due_confirmations()


@shared_task(acks_late=True)
def generate_petition_pdf(campaign_id: int) -> str:
    """Write a campaign's petition PDF (all officials) under MEDIA_ROOT; its path.

    The coordinator finds it on the petition page of the dashboard once it is written (the
    file appears only when complete).
    """
    from campaigns.models import Campaign

    from . import pdf

    campaign = Campaign.objects.get(pk=campaign_id)
    return str(pdf.petition_pdf(campaign))


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


# -- Reminders before 2 November (letters.fanout) --------------------------------------------


@shared_task(acks_late=True)
def send_due_reminders(as_of_date: str | None = None) -> dict:
    """Hourly from beat: enqueue a batch per chunk of subscribers due today, and coordinators'."""
    import datetime

    from . import fanout

    day = datetime.date.fromisoformat(as_of_date) if as_of_date else None
    return fanout.send_due_reminders(as_of_date=day).as_dict()


@shared_task(acks_late=True)
def send_reminder_batch(
    reminder_id: int, observance_year: int, subscription_ids: list[int], run: str | None = None
) -> dict:
    """Render, record and send one chunk of a reminder over one SMTP connection."""
    from . import fanout

    return fanout.send_reminder_batch(reminder_id, observance_year, subscription_ids, run)


# -- Delivery to the officials (letters.delivery) --------------------------------------------


@shared_task(acks_late=True)
def send_daily_digests(day: str | None = None) -> int:
    """Queue the daily digests for every complete day up to `day` (ISO date; default yesterday)."""
    import datetime

    from . import delivery

    return delivery.send_daily_digests(datetime.date.fromisoformat(day) if day else None)


@shared_task(acks_late=True)
def deliver_petition_task(campaign_id: int) -> int:
    """Queue a closed petition campaign's message to each official, with the petition PDF."""
    from campaigns.models import Campaign

    from . import delivery

    campaign = Campaign.objects.select_related("organisation").get(pk=campaign_id)
    return delivery.deliver_petition(campaign)
