"""Queue e-mail in the outbox: the one way any app sends mail.

Every outgoing e-mail is an OutgoingMessage row written in the same transaction as the change
that causes it; its send task is enqueued after commit and carries primary keys only.
"""

from django.db import IntegrityError, transaction

from .models import OutgoingMessage, ref
from .tasks import send_now, send_outgoing_batch

__all__ = ["enqueue", "ref", "schedule", "send_messages"]


def enqueue(
    *, kind: str, key: str, to: str, subject: str, body_text: str, send: bool = True, **fields
) -> OutgoingMessage:
    """Queue one message under a unique key; queuing the same key again returns the first row.

    Call inside the transaction that causes the message; the send task starts after commit.
    """
    defaults = {"kind": kind, "to_email": to, "subject": subject, "body_text": body_text, **fields}
    try:
        with transaction.atomic():
            message, created = OutgoingMessage.objects.get_or_create(
                idempotency_key=key, defaults=defaults
            )
    except IntegrityError:  # a concurrent enqueue of the same key won the race
        message, created = OutgoingMessage.objects.get(idempotency_key=key), False
    if created and send:
        schedule([message.pk])
    return message


def send_messages(pks) -> dict[str, int]:
    """Claim and send these rows now, in the caller's task (tasks.send_now): each temporary
    failure retried when its backoff ends, a send the database could not record marked later."""
    return send_now(list(pks))


def schedule(pks: list[int]) -> None:
    """Start sending these rows once the current transaction commits."""
    pks = list(pks)
    if pks:
        transaction.on_commit(lambda: send_outgoing_batch.delay(pks))
