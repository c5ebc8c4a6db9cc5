"""Signing and confirming: the workflows behind the sign form and the confirmation link.

sign() stores an unconfirmed signature owed a confirmation e-mail (one INSERT: the form's
hot path); a worker gives it its link and writes and sends the e-mail through the outbox.
confirm() turns it into a counted one, once. What the person sees never says whether the
address had signed before (no enumeration), and an address gets at most
MAX_CONFIRMATION_MAILS confirmation e-mails per campaign however often it is entered.
"""

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from campaigns.models import Campaign

from . import counts, outbox
from .models import OutgoingMessage, Signature

logger = logging.getLogger(__name__)

CONFIRMATION_LIFETIME = timedelta(days=7)
MAX_CONFIRMATION_MAILS = 3
# Unconfirmed signatures are deleted after this long (their link has expired by then).
UNCONFIRMED_RETENTION = timedelta(days=7)

GMAIL_DOMAINS = {"gmail.com", "googlemail.com"}

CONSENT_FIELDS = (
    "consent_share_name",
    "consent_updates",
    "consent_reminders",
    "consent_show_first_name",
)
SIGNATURE_FIELDS = ("name", "country", "city", "message", "letter_text", *CONSENT_FIELDS)


class SigningClosed(Exception):
    """The campaign does not accept signatures (draft, closed, or past its closing date)."""


class ConfirmationError(Exception):
    status = 400


class TokenNotFound(ConfirmationError):
    """Forged, mistyped, already used, replaced by a newer link, or purged."""

    status = 404


class TokenExpired(ConfirmationError):
    status = 410


class CampaignClosedBeforeConfirmation(ConfirmationError):
    status = 410


@dataclass(frozen=True)
class SignResult:
    """What happened; the person is told the same thing in every case."""

    signature: Signature
    created: bool
    mail_queued: bool


def normalise_email(email: str) -> str:
    """The key that makes two spellings of one mailbox the same signer.

    Lower-cased and stripped. A "+tag" is removed for every domain: nearly every provider
    delivers name+tag@ to name@, so keeping it would let one person sign many times, and two
    different people whose addresses differ only by a +tag practically do not exist. Dots are
    removed for Gmail only (Gmail ignores them; other providers do not), and googlemail.com is
    gmail.com.
    """
    email = email.strip().lower()
    local, _, domain = email.rpartition("@")
    if not local:
        return email
    domain = domain.rstrip(".")
    local = local.split("+", 1)[0] or local
    if domain in GMAIL_DOMAINS:
        domain = "gmail.com"
        local = local.replace(".", "")
    return f"{local}@{domain}"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> tuple[str, str]:
    token = secrets.token_urlsafe(32)
    return token, token_hash(token)


# -- Signing -------------------------------------------------------------------------------


def sign(
    campaign: Campaign, cleaned_data: dict, *, language: str, client_ip: str, fresh: bool = False
) -> SignResult:
    """Store an unconfirmed signature (or refresh a pending one); its confirmation e-mail follows.

    - new address: one INSERT, nothing else in the request; the signature is marked as owed
      a confirmation e-mail, which a worker writes and sends (`send_due_confirmations`);
    - pending, under the cap: the details are replaced by the new ones and a new link will be
      sent (the old link stops working at once);
    - pending at the cap, or already confirmed: nothing is changed or sent.

    `fresh`: the caller has just read `campaign`.
    """
    if not fresh:
        # The status as of now, not as of the page. The sign view passes fresh=True: it read
        # the campaign in this same request, a few milliseconds ago.
        campaign = Campaign.objects.get(pk=campaign.pk)
    if not campaign.is_open:
        raise SigningClosed
    email = cleaned_data["email"].strip()
    email_key = normalise_email(email)
    values = {field: cleaned_data.get(field, "") for field in SIGNATURE_FIELDS}
    values.update({field: bool(cleaned_data.get(field)) for field in CONSENT_FIELDS})
    now = timezone.now()
    values.update(
        email=email,
        language=language,
        consent_record=cleaned_data.get("consent_record", {}),
        confirmation_due_at=now,
        confirmation_expires_at=now + CONFIRMATION_LIFETIME,
    )
    signature = _insert_new(campaign, email_key, values)
    created = signature is not None
    if not created:
        signature, refreshed = _sign_again(campaign, email_key, values, client_ip)
        if not refreshed:
            return SignResult(signature=signature, created=False, mail_queued=False)
    request_confirmation_mails()
    return SignResult(signature=signature, created=created, mail_queued=True)


def _insert_new(campaign: Campaign, email_key: str, values: dict) -> Signature | None:
    """INSERT the signature; None if this address has signed this campaign before.

    Alone, in autocommit, this is one statement: the whole database work of a new signature.
    Inside a caller's transaction it runs in a savepoint, so that a repeat does not abort it.
    """
    fields = {**values, "campaign": campaign, "email_key": email_key}
    try:
        if transaction.get_connection().in_atomic_block:
            with transaction.atomic():
                return Signature.objects.create(confirmation_mails_sent=1, **fields)
        return Signature.objects.create(confirmation_mails_sent=1, **fields)
    except IntegrityError:
        return None


def _sign_again(campaign, email_key: str, values: dict, client_ip: str) -> tuple[Signature, bool]:
    """A pending signature under the cap takes the new details and is owed a new link.

    The signature, and whether it was refreshed (False: confirmed already, or at the cap).
    """
    with transaction.atomic():
        signature = Signature.objects.select_for_update().get(
            campaign=campaign, email_key=email_key
        )
        if (
            signature.confirmed_at is not None
            or signature.confirmation_mails_sent >= MAX_CONFIRMATION_MAILS
        ):
            logger.info(
                "sign: repeat for signature %s, nothing sent",
                signature.pk,
                extra={"signature_id": signature.pk, "client_ip": client_ip},
            )
            return signature, False
        for field, value in values.items():
            setattr(signature, field, value)
        signature.confirmation_token_hash = ""  # the link sent before stops working now
        signature.confirmation_mails_sent += 1
        signature.save()
    return signature, True


# -- The confirmation e-mail ---------------------------------------------------------------

# At most one wake-up of the worker is queued at a time (see request_confirmation_mails).
WAKE_KEY = "letters:confirmations-wake"
WAKE_SECONDS = 60
CONFIRMATION_BATCH = 200
# A signature owed its e-mail for this long has missed its wake-up (Redis lost it): the
# outbox sweep wakes the worker again.
CONFIRMATION_OVERDUE = timedelta(minutes=2)


def _tasks_run_inline() -> bool:
    from idei.celery import app

    return bool(app.conf.task_always_eager)


def request_confirmation_mails() -> None:
    """Have the owed confirmation e-mails written and sent.

    Where tasks run inline (the embedded default), at once, in this request. Otherwise a
    worker is woken after commit, unless a wake-up is already queued: a spike of signatures
    costs one Redis command each, and the worker writes and sends their e-mails in batches.
    """
    if _tasks_run_inline():
        outbox.schedule(issue_due_confirmations())
    else:
        # robust: the signature is stored; if Redis is down its e-mail waits for the sweep.
        transaction.on_commit(_wake_worker, robust=True)


def _wake_worker() -> None:
    from django.core.cache import cache

    from .tasks import send_confirmations

    if cache.add(WAKE_KEY, 1, timeout=WAKE_SECONDS):
        send_confirmations.delay()


def issue_due_confirmations(limit: int = CONFIRMATION_BATCH) -> list[int]:
    """Give signatures owed a confirmation e-mail their link and their outbox row; row pks.

    Rows locked by another worker are skipped (SKIP LOCKED): two workers never issue two
    links for one signature. Only the link's hash is stored; the link itself is in the e-mail.
    """
    with transaction.atomic():
        due = list(
            Signature.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("campaign__organisation")
            .filter(confirmation_due_at__isnull=False, erased_at__isnull=True)
            .order_by("confirmation_due_at")[:limit]
        )
        pks = []
        for signature in due:
            token, digest = new_token()
            signature.confirmation_token_hash = digest
            signature.confirmation_due_at = None
            pks.append(queue_confirmation_mail(signature, token).pk)
        if due:
            Signature.objects.bulk_update(
                due, ["confirmation_token_hash", "confirmation_due_at"], batch_size=500
            )
    return pks


def send_due_confirmations() -> dict[str, int]:
    """On a worker: write and send every owed confirmation e-mail, batch after batch."""
    from django.core.cache import cache

    # From here on, any new signature queues another wake-up; those before are found below.
    cache.delete(WAKE_KEY)
    totals = {"sent": 0, "failed": 0, "skipped": 0, "deferred": 0}
    while pks := issue_due_confirmations():
        for outcome, number in outbox.send_messages(pks).items():
            totals[outcome] += number
    return totals


def confirmations_overdue(now=None) -> bool:
    now = now or timezone.now()
    return Signature.objects.filter(confirmation_due_at__lt=now - CONFIRMATION_OVERDUE).exists()


def queue_confirmation_mail(signature: Signature, token: str) -> OutgoingMessage:
    """Put the confirmation e-mail in the outbox."""
    from idei.mail import absolute_url, render_email

    campaign = signature.campaign
    context = {
        "signature": signature,
        "campaign": campaign,
        "organisation": campaign.organisation,
        "confirm_url": absolute_url(reverse("letters:confirm", args=[token])),
        "campaign_url": absolute_url(campaign.get_absolute_url()),
        "expires_at": signature.confirmation_expires_at,
    }
    email = render_email("signature_confirmation", context, language=signature.language)
    # Not sent from here: the caller sends the rows it wrote (issue_due_confirmations).
    return outbox.enqueue(
        kind=OutgoingMessage.Kind.CONFIRMATION,
        key=f"signature-confirmation:{signature.pk}:{signature.confirmation_mails_sent}",
        to=signature.email,
        subject=email.subject,
        body_text=email.text,
        body_html=email.html,
        campaign=campaign,
        signature=signature,
        send=False,
    )


# -- Confirming ----------------------------------------------------------------------------


def pending_signature(token: str) -> Signature:
    """The signature this link confirms, or the reason it cannot (without writing anything)."""
    signature = (
        Signature.objects.select_related("campaign", "campaign__organisation")
        .filter(confirmation_token_hash=token_hash(token), confirmed_at__isnull=True)
        .first()
        if token
        else None
    )
    if signature is None:
        raise TokenNotFound
    if signature.confirmation_expires_at is None or signature.confirmation_expires_at <= (
        timezone.now()
    ):
        raise TokenExpired
    if not signature.campaign.is_open:
        raise CampaignClosedBeforeConfirmation
    return signature


def confirm(token: str) -> Signature:
    """Confirm the signature behind this link, once, and count it.

    One transaction: the conditional UPDATE lets exactly one request confirm (a second
    click, a second tab or a replayed POST finds nothing to update), the token is cleared so
    the link works once, the delivery hook writes the letters, and the count shard is bumped
    last, so that its row lock is held for the shortest time.
    """
    signature = pending_signature(token)
    now = timezone.now()
    with transaction.atomic():
        claimed = Signature.objects.filter(
            pk=signature.pk,
            confirmed_at__isnull=True,
            confirmation_token_hash=token_hash(token),
            confirmation_expires_at__gt=now,
        ).update(confirmed_at=now, confirmation_token_hash="")
        if claimed != 1:
            raise TokenNotFound
        signature.confirmed_at = now
        signature.confirmation_token_hash = ""
        _deliver(signature)
        if signature.consent_reminders:
            # The confirmed address asked to be reminded: no second opt-in needed.
            _subscribe(signature)
        counts.increment(signature.campaign_id)
        campaign_id = signature.campaign_id
        # robust: a cache outage must not turn a committed confirmation into an error page.
        transaction.on_commit(lambda: counts.after_confirmation(campaign_id), robust=True)
    return signature


def _deliver(signature: Signature) -> None:
    """Hand the confirmed signature to delivery (letters, copies), in the same transaction."""
    from . import delivery

    delivery.on_signature_confirmed(signature)


def _subscribe(signature: Signature) -> None:
    from .subscriptions import subscribe_from_signature  # it imports this module

    subscribe_from_signature(signature)


def add_reminder_consent(signature: Signature, text: str, language: str) -> bool:
    """The signer asked, after confirming, to be reminded before 2 November; True if new.

    The consent is recorded with the words shown, and the confirmed address subscribed.
    """
    if signature.consent_reminders or signature.confirmed_at is None:
        return False
    record = dict(signature.consent_record or {})
    record["later"] = [
        *record.get("later", []),
        {
            "consent": "consent_reminders",
            "text": text,
            "at": timezone.now().isoformat(),
            "language": language,
            "page": "thank-you",
        },
    ]
    with transaction.atomic():
        updated = Signature.objects.filter(pk=signature.pk, consent_reminders=False).update(
            consent_reminders=True, consent_record=record
        )
        if updated:
            signature.consent_reminders = True
            signature.consent_record = record
            _subscribe(signature)
    return bool(updated)


# -- Housekeeping --------------------------------------------------------------------------


def purge_unconfirmed(now=None) -> int:
    """Delete signatures left unconfirmed for UNCONFIRMED_RETENTION; returns how many.

    A signature whose newest link is still valid (sent again on day 6, say) is kept until
    that link expires, so a link in someone's inbox never leads to a deleted signature.
    """
    now = now or timezone.now()
    stale = Signature.objects.filter(
        Q(confirmation_expires_at__isnull=True) | Q(confirmation_expires_at__lte=now),
        confirmed_at__isnull=True,
        created_at__lt=now - UNCONFIRMED_RETENTION,
    )
    with transaction.atomic():
        # Their confirmation e-mails hold the address: they go too.
        OutgoingMessage.objects.filter(
            signature__in=stale, kind=OutgoingMessage.Kind.CONFIRMATION
        ).delete()
        _, by_model = stale.delete()
    return by_model.get(Signature._meta.label, 0)
