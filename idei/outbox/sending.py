"""Sending the outbox's rows: claim one, send it at most once, retry only what is transient.

A worker claims a row with a conditional UPDATE before the SMTP conversation, and marks it
sent right after: the only window for a double send is a worker killed inside that
conversation, and the sweep logs each such case. Queuing is in services.py, tasks in tasks.py.
"""

import contextlib
import hashlib
import logging
import random
import smtplib
import socket
from collections.abc import Callable, Iterable
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import DatabaseError
from django.db import connection as db_connection
from django.utils import timezone

from idei import tokens

from . import pacing, suppression
from .models import OutgoingMessage, Suppression

logger = logging.getLogger(__name__)

# The purpose of the signed token in each message's return path, bounce+<token>@domain.
BOUNCE_TOKEN_PURPOSE = "idei.outbox.bounce"  # noqa: S105 - a salt, not a secret
# A row left in "sending" this long belongs to a worker that died: hand it to another. A row
# is claimed just before its own SMTP conversation, whose every step (connect, MAIL, RCPT,
# DATA, the message, its end) times out after EMAIL_TIMEOUT: a live worker is done with it
# well within 6 timeouts (2 minutes at the default 20 s), so a worker SIGKILLed in the middle
# of a batch delays one message per process by about 2 minutes, not 10 (bench/cluster.py).
STALE_SENDING = timedelta(minutes=2)


def stale_sending() -> timedelta:
    """How long a row may stay "sending" before the sweep hands it to another worker."""
    return max(STALE_SENDING, timedelta(seconds=6 * (settings.EMAIL_TIMEOUT or 0)))


# A queued row whose task was enqueued this long ago and never ran (Redis lost it, or it
# waits for a retry) is enqueued again by the sweep.
STALE_QUEUED = timedelta(minutes=2)

Status = OutgoingMessage.Status

TRANSIENT_ERRORS = (
    smtplib.SMTPServerDisconnected,
    smtplib.SMTPConnectError,
    smtplib.SMTPHeloError,
    ConnectionError,
    TimeoutError,
    socket.timeout,
    socket.gaierror,
)


def claim(pk: int, mark_sent: int | None = None) -> OutgoingMessage | None:
    """Move one due row from queued to sending; None if another worker has it or it is done.

    One statement (UPDATE ... RETURNING, PostgreSQL and SQLite 3.35+): the claim is the hot path
    of every send, and a separate SELECT of the row cost as much again. `mark_sent`: the row
    this worker has just sent, marked sent first. On PostgreSQL that is the same statement
    (a data-modifying WITH), one round trip and one commit per message instead of two; the
    row is marked exactly when it would be by a statement of its own, and if the statement
    fails, neither happened.
    """
    now = timezone.now()
    table = db_connection.ops.quote_name(OutgoingMessage._meta.db_table)
    claim_sql = (
        f"UPDATE {table} SET status = %s, claimed_at = %s, attempts = attempts + 1 "  # noqa: S608 - names, not input
        "WHERE id = %s AND status = %s AND next_attempt_at <= %s RETURNING *"
    )
    params = [Status.SENDING, now, pk, Status.QUEUED, now]
    if mark_sent is not None:
        if db_connection.vendor == "postgresql":
            claim_sql = (
                f"WITH sent AS (UPDATE {table} SET status = %s, sent_at = %s, last_error = '' "  # noqa: S608
                "WHERE id = %s AND status = %s) " + claim_sql
            )
            params = [Status.SENT, now, mark_sent, Status.SENDING, *params]
        else:
            mark_delivered([mark_sent])
    rows = list(OutgoingMessage.objects.raw(claim_sql, params))
    return rows[0] if rows else None


def message_id(message: OutgoingMessage) -> str:
    """The same Message-ID on every attempt, so a receiver can drop a rare double send."""
    digest = hashlib.sha256(message.idempotency_key.encode()).hexdigest()[:40]
    domain = settings.DEFAULT_FROM_EMAIL.rsplit("@", 1)[-1].strip("> ") or "localhost"
    return f"<{digest}@{domain}>"


def return_path(message: OutgoingMessage) -> str:
    """The envelope sender of this message alone: a bounce names the row it is about."""
    token = tokens.make_for_address(BOUNCE_TOKEN_PURPOSE, message.pk)
    return f"bounce+{token}@{settings.INBOUND_EMAIL_DOMAIN}"


def message_for_return_path(address: str) -> OutgoingMessage | None:
    """The row whose return path this is (bounce+<token>@...), or None if it is not one."""
    local = address.strip().strip("<>").rpartition("@")[0]
    prefix, _, token = local.partition("+")
    if prefix.lower() != "bounce" or not token:
        return None
    pk = tokens.read_from_address(BOUNCE_TOKEN_PURPOSE, token)
    return OutgoingMessage.objects.filter(pk=pk).first() if pk else None


def build_email(message: OutgoingMessage, connection) -> EmailMultiAlternatives:
    # The From header stays DEFAULT_FROM_EMAIL; the envelope sender (from_email) is the
    # message's own return path.
    headers = {
        **message.headers,
        "From": settings.DEFAULT_FROM_EMAIL,
        "Message-ID": message_id(message),
    }
    email = EmailMultiAlternatives(
        subject=message.subject,
        body=message.body_text,
        from_email=return_path(message),
        to=[message.to_email],
        reply_to=[address.strip() for address in message.reply_to.split(",") if address.strip()]
        or None,
        headers=headers,
        connection=connection,
    )
    if message.body_html:
        email.attach_alternative(message.body_html, "text/html")
    if message.attachment:
        with message.attachment.open("rb") as handle:
            email.attach(
                message.attachment_name or "attachment.pdf", handle.read(), "application/pdf"
            )
    return email


def is_transient(error: Exception) -> bool:
    if isinstance(error, TRANSIENT_ERRORS):
        return True
    if isinstance(error, smtplib.SMTPAuthenticationError):
        # Our credentials, not the message: keep it until the settings are fixed.
        return True
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(400 <= code < 500 for code, _ in error.recipients.values())
    if isinstance(error, smtplib.SMTPResponseException):
        return 400 <= error.smtp_code < 500
    return False


def is_permanent_refusal_of_the_address(error: Exception) -> bool:
    """A 5xx answer to RCPT TO: this mailbox will not take mail (not our message's content)."""
    return isinstance(error, smtplib.SMTPRecipientsRefused) and any(
        500 <= code < 600 for code, _ in error.recipients.values()
    )


def backoff(attempts: int) -> timedelta:
    """The wait before the next attempt, without its jitter: doubles from the base to a cap."""
    seconds = settings.OUTBOX_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=min(seconds, settings.OUTBOX_RETRY_CAP_SECONDS))


def backoff_with_jitter(attempts: int) -> timedelta:
    """backoff() plus up to half as much again, so that retries of one burst spread out."""
    delay = backoff(attempts)
    return delay + delay * random.uniform(0, 0.5)


def _mark_sent(message: OutgoingMessage) -> None:
    OutgoingMessage.objects.filter(pk=message.pk, status=Status.SENDING).update(
        status=Status.SENT, sent_at=timezone.now(), last_error=""
    )


def _defer_for_pacing(message: OutgoingMessage, on_retry) -> None:
    """Back to the queue until the domain's pacing window has room: not an attempt."""
    seconds, _ = pacing.window()
    delay = timedelta(seconds=seconds * random.uniform(1, 1.5))
    OutgoingMessage.objects.filter(pk=message.pk, status=Status.SENDING).update(
        status=Status.QUEUED,
        attempts=max(message.attempts - 1, 0),
        next_attempt_at=timezone.now() + delay,
        scheduled_at=timezone.now() + delay,
    )
    if on_retry is not None:
        on_retry(message.pk, delay.total_seconds())


def _mark_suppressed(message: OutgoingMessage) -> None:
    OutgoingMessage.objects.filter(pk=message.pk, status=Status.SENDING).update(
        status=Status.SUPPRESSED, last_error="The address is on the suppression list."
    )


def _mark_failed(
    message: OutgoingMessage, error: Exception, on_retry: Callable[[int, float], None] | None
) -> None:
    now = timezone.now()
    delay = backoff_with_jitter(message.attempts)
    gave_up_at = message.created_at + timedelta(seconds=settings.OUTBOX_RETRY_FOR_SECONDS)
    transient = is_transient(error) and now + delay <= gave_up_at
    error_text = f"{type(error).__name__}: {error}"[:2000]
    OutgoingMessage.objects.filter(pk=message.pk, status=Status.SENDING).update(
        status=Status.QUEUED if transient else Status.FAILED,
        next_attempt_at=now + delay,
        # The retry task below is enqueued for that moment; the sweep steps in only if it is lost.
        scheduled_at=now + delay,
        last_error=error_text,
    )
    logger.warning(
        "outbox: %s sending message %s (%s), attempt %s",
        "will retry" if transient else "gave up",
        message.pk,
        message.kind,
        message.attempts,
        extra={"outbox_id": message.pk, "error": str(error)[:300]},
    )
    if transient and on_retry is not None:
        on_retry(message.pk, delay.total_seconds())
    if is_permanent_refusal_of_the_address(error):
        suppression.suppress(
            message.to_email,
            Suppression.Reason.BOUNCE,
            source_message=message,
            detail=error_text,
        )


def _close_quietly(connection) -> None:
    try:
        if connection is not None:
            connection.close()
    except Exception:  # noqa: S110 - a half-open connection that cannot even say QUIT
        pass


@contextlib.contextmanager
def commits_without_waiting_for_the_disk():
    """On PostgreSQL, this connection's commits return before their WAL reaches the disk.

    For the outbox's own bookkeeping only (claiming a row, marking it sent or failed): two
    commits per message, each waiting for an fsync, made a worker sending confirmations slow
    down the sign form it shares PostgreSQL's disk with, 12 ms to about 700 ms at p95 on the
    benchmark machine (bench/README.md). What this risks: if PostgreSQL itself crashes
    (not a worker), the last fraction of a second of these updates is lost, rows go back to
    queued or stay sending, and the sweep sends them again: a possible double, never a loss.
    The messages' own rows, and everything else, are written with the usual durability.
    """
    if (
        db_connection.vendor != "postgresql"
        or db_connection.in_atomic_block
        # Behind a transaction pooler a session SET would reach another client's session.
        or settings.DATABASE_POOLER
    ):
        yield
        return
    with db_connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit TO OFF")
    try:
        yield
    finally:
        try:
            with db_connection.cursor() as cursor:
                cursor.execute("RESET synchronous_commit")
        except Exception:
            # The connection is broken: close it, so that no later work inherits the setting.
            db_connection.close()


class SentButNotRecorded(Exception):
    """The server took these rows' messages, then the database failed before they were marked
    sent: the caller has them marked later (mark_delivered), not sent again, and sends the
    batch's `unsent` rows in another attempt (tasks.send_now)."""

    def __init__(self, pks: list[int], unsent: list[int] | None = None, counts=None):
        super().__init__(f"sent, not yet recorded: {pks}")
        self.pks = pks
        self.unsent = list(unsent or [])
        self.counts = dict(counts or {})


def mark_delivered(pks: Iterable[int]) -> int:
    """Mark sent the rows an earlier attempt sent but could not mark (SentButNotRecorded)."""
    return OutgoingMessage.objects.filter(pk__in=list(pks), status=Status.SENDING).update(
        status=Status.SENT, sent_at=timezone.now(), last_error=""
    )


def send_messages(
    pks: Iterable[int],
    on_retry: Callable[[int, float], None] | None = None,
    delivered: Iterable[int] = (),
) -> dict[str, int]:
    """Claim and send these rows over one SMTP connection; returns counts by outcome.

    `on_retry(pk, seconds)` is called for each row that failed transiently and will be due
    again in that many seconds (tasks.py enqueues its retry). `delivered`: rows an earlier
    attempt sent but could not mark (SentButNotRecorded), marked sent first.
    """
    delivered = list(delivered)
    if delivered:
        mark_delivered(delivered)
    with commits_without_waiting_for_the_disk():
        return _send_messages([pk for pk in pks if pk not in set(delivered)], on_retry)


def _suppressed_addresses(pks: list[int]) -> set[str]:
    """The batch's addresses on the suppression list: one query for the rows, one for the list."""
    pairs = OutgoingMessage.objects.filter(pk__in=pks, status=Status.QUEUED).values_list(
        "to_email", "kind"
    )
    return suppression.blocked(pairs)


def _send_messages(pks: list[int], on_retry=None) -> dict[str, int]:
    counts = {"sent": 0, "failed": 0, "skipped": 0, "deferred": 0, "suppressed": 0, "paced": 0}
    suppressed = _suppressed_addresses(pks)
    connection = None
    # The row sent last and not yet marked: the next claim marks it in the same statement,
    # or the end of the batch does (one round trip a message, not two).
    just_sent = None
    try:
        for position, pk in enumerate(pks):
            try:
                message = claim(pk, mark_sent=just_sent.pk if just_sent else None)
            except DatabaseError as error:
                if just_sent is None:
                    raise
                sent, just_sent = just_sent, None
                _log_sent_not_recorded(sent)
                raise SentButNotRecorded([sent.pk], unsent=pks[position:], counts=counts) from error
            just_sent = None
            if message is None:
                counts["skipped"] += 1
                continue
            if suppression.normalise_address(message.to_email) in suppressed:
                _mark_suppressed(message)
                counts["suppressed"] += 1
                continue
            if not pacing.take_slot(message.kind, message.to_email):
                _defer_for_pacing(message, on_retry)
                counts["paced"] += 1
                continue
            if connection is None:
                try:
                    connection = get_connection()
                    connection.open()
                except Exception as error:
                    # Nobody answers: stop here rather than wait out one connection timeout
                    # per message (a batch could outlast the broker's visibility timeout).
                    # The rest stay queued, unclaimed, and the sweep enqueues them again.
                    _mark_failed(message, error, on_retry)
                    counts["failed"] += 1
                    counts["deferred"] = len(pks) - position - 1
                    _close_quietly(connection)
                    connection = None
                    break
            try:
                build_email(message, connection).send()
            except Exception as error:
                _mark_failed(message, error, on_retry)
                counts["failed"] += 1
                if is_permanent_refusal_of_the_address(error):
                    suppressed.add(suppression.normalise_address(message.to_email))
                if is_transient(error) and connection is not None:
                    # The connection may be broken; the next message opens a fresh one.
                    connection.close()
                    connection = None
                continue
            just_sent = message
            counts["sent"] += 1
        if just_sent is not None:
            sent, just_sent = just_sent, None
            try:
                _mark_sent(sent)
            except DatabaseError as error:
                _log_sent_not_recorded(sent)
                raise SentButNotRecorded([sent.pk], counts=counts) from error
    except BaseException:
        # Stopped between a send and the next claim (a time limit, say): mark what was sent.
        if just_sent is not None:
            with contextlib.suppress(DatabaseError):
                _mark_sent(just_sent)
        raise
    finally:
        if connection is not None:
            connection.close()
    return counts


def _log_sent_not_recorded(message: OutgoingMessage) -> None:
    logger.warning(
        "outbox: message %s was sent but the database failed; marking it on retry",
        message.pk,
        extra={"outbox_id": message.pk},
    )


def sweep(now=None, stale_queued: timedelta = STALE_QUEUED) -> tuple[int, list[int]]:
    """Hand rows of dead workers back to the queue; (how many, the due rows whose task was lost).

    Due rows scheduled `stale_queued` ago or earlier count as lost (0 once Redis lost
    everything). They are marked as scheduled now: the caller enqueues them (tasks.sweep_outbox).
    """
    now = now or timezone.now()
    stale = list(
        OutgoingMessage.objects.filter(
            status=Status.SENDING, claimed_at__lt=now - stale_sending()
        ).values_list("pk", flat=True)
    )
    for pk in stale:
        # The worker may have died after the server accepted the message: a possible double.
        logger.warning(
            "outbox: message %s was left sending; re-queued (possible double send)",
            pk,
            extra={"outbox_id": pk},
        )
    requeued = OutgoingMessage.objects.filter(pk__in=stale, status=Status.SENDING).update(
        status=Status.QUEUED, next_attempt_at=now
    )
    due = list(
        OutgoingMessage.objects.filter(
            status=Status.QUEUED, next_attempt_at__lte=now, scheduled_at__lte=now - stale_queued
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:50_000]
    )
    OutgoingMessage.objects.filter(pk__in=due).update(scheduled_at=now)
    return requeued, due
