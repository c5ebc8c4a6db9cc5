"""Celery tasks of responses: news to signers (daily from beat, and after a publication)."""

from celery import shared_task

from . import news


@shared_task(name="letters.tasks.send_signer_news", acks_late=True)
def send_signer_news() -> int:
    """Queue the news due to signers now: at most one message a week per person."""
    return news.send_signer_news()
