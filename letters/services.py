"""Signing and confirming: the workflows behind the sign form and the confirmation link.

sign() stores an unconfirmed signature and queues the confirmation e-mail in one transaction;
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
    """Store an unconfirmed signature (or refresh a pending one) and queue its confirmation.

    - new address: a signature and one confirmation e-mail;
    - pending, under the cap: the details are replaced by the new ones and a new link is
      sent (only the hash of a link is kept, so the old link stops working);
    - pending at the cap, or already confirmed: nothing is changed or sent.

    `fresh`: the caller has just read `campaign` (with select_related("organisation")).
    """
    if not fresh:
        # The status as of now, not as of the page. The sign view passes fresh=True: it read
        # the campaign (with its organisation, which the confirmation e-mail names) in this
        # same request, a few milliseconds ago.
        campaign = Campaign.objects.select_related("organisation").get(pk=campaign.pk)
    if not campaign.is_open:
        raise SigningClosed
    email = cleaned_data["email"].strip()
    email_key = normalise_email(email)
    values = {field: cleaned_data.get(field, "") for field in SIGNATURE_FIELDS}
    values.update({field: bool(cleaned_data.get(field)) for field in CONSENT_FIELDS})
    consent_record = cleaned_data.get("consent_record", {})
    now = timezone.now()
    token, digest = new_token()

    with transaction.atomic():
        try:
            with transaction.atomic():
                signature = Signature.objects.create(
                    campaign=campaign,
                    email=email,
                    email_key=email_key,
                    language=language,
                    consent_record=consent_record,
                    confirmation_token_hash=digest,
                    confirmation_expires_at=now + CONFIRMATION_LIFETIME,
                    confirmation_mails_sent=1,
                    **values,
                )
            created = True
        except IntegrityError:
            created = False
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
                return SignResult(signature=signature, created=False, mail_queued=False)
            for field, value in values.items():
                setattr(signature, field, value)
            signature.email = email
            signature.language = language
            signature.consent_record = consent_record
            signature.confirmation_token_hash = digest
            signature.confirmation_expires_at = now + CONFIRMATION_LIFETIME
            signature.confirmation_mails_sent += 1
            signature.save()
        queue_confirmation_mail(signature, token)
    return SignResult(signature=signature, created=created, mail_queued=True)


def queue_confirmation_mail(signature: Signature, token: str) -> OutgoingMessage:
    """Put the confirmation e-mail in the outbox (sent once the transaction commits)."""
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
    return outbox.enqueue(
        kind=OutgoingMessage.Kind.CONFIRMATION,
        key=f"signature-confirmation:{signature.pk}:{signature.confirmation_mails_sent}",
        to=signature.email,
        subject=email.subject,
        body_text=email.text,
        body_html=email.html,
        campaign=campaign,
        signature=signature,
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
