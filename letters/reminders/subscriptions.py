"""Subscribing to reminders: double opt-in from the home page form, or straight from a signature.

Like signatures: the link in the confirmation e-mail opens a page whose button confirms (a POST),
so mail scanners that pre-fetch links never confirm; only the SHA-256 of a link's token is kept;
the page says the same whether or not the address was known; and an address gets at most
MAX_CONFIRMATION_MAILS confirmation e-mails while it is pending, however often it is entered.
A confirmed, active subscription is never changed by the form: someone who knows an address
cannot move its reminders to another language or country.
"""

import logging
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from idei.mail import absolute_url, render_email
from idei.outbox import services as outbox
from idei.outbox.models import OutgoingMessage
from idei.tokens import claim_by_link, new_link_key, new_token, pending_by_link, token_hash

from ..models import MessageKind, Signature, Subscription
from ..signing.addresses import normalise_email
from ..signing.unsolicited import allow_unsolicited_mail
from .schedule import default_time_zone, valid_time_zones

logger = logging.getLogger(__name__)

CONFIRMATION_LIFETIME = Subscription.LINK_LIFETIME
MAX_CONFIRMATION_MAILS = Subscription.MAX_LINKS


@dataclass(frozen=True)
class SubscribeResult:
    """What happened; the person is told the same thing in every case."""

    subscription: Subscription
    created: bool
    mail_queued: bool


def consent_record(text: str, *, page: str, language: str, source: str, **extra) -> dict:
    """The consent as shown, when and where: proof of what the person asked for."""
    return {
        "text": str(text),
        "at": timezone.now().isoformat(),
        "page": page,
        "language": language,  # the language the text was shown in
        "source": source,
        **extra,
    }


def _with_history(old: dict, new: dict) -> dict:
    """A new consent record that keeps the earlier ones (each consent is evidence)."""
    if not old:
        return new
    history = list(old.get("history", []))
    history.append({key: value for key, value in old.items() if key != "history"})
    return {**new, "history": history}


def subscribe(
    *,
    email: str,
    country: str,
    language: str,
    consent_text: str,
    page: str,
    time_zone: str | None = None,
    source: str = Subscription.Source.FORM,
    consent_language: str | None = None,
) -> SubscribeResult:
    """Store a pending subscription (or refresh a pending one) and queue its confirmation.

    - new address: a pending subscription and one confirmation e-mail;
    - pending or no longer active (unsubscribed, bounced), under the cap: the details are
      replaced by the new ones and a new link is sent (only its hash is kept, so the previous
      link stops working);
    - at the cap, or confirmed and active: nothing is changed or sent.
    """
    email = email.strip()
    email_key = normalise_email(email)
    time_zone = time_zone or default_time_zone(country)
    if time_zone not in valid_time_zones():
        raise ValueError(f"unknown time zone {time_zone!r}")
    record = consent_record(
        consent_text, page=page, language=consent_language or language, source=source
    )
    token, digest = new_token()
    expires_at = timezone.now() + CONFIRMATION_LIFETIME
    details = {
        "email": email,
        "country": country,
        "language": language,
        "time_zone": time_zone,
        "source": source,
        "confirmation_token_hash": digest,
        "confirmation_expires_at": expires_at,
    }

    with transaction.atomic():
        try:
            with transaction.atomic():
                subscription = Subscription.objects.create(
                    email_key=email_key,
                    consent_record=record,
                    unsubscribe_token=new_link_key(),
                    confirmation_mails_sent=1,
                    **details,
                )
            created = True
        except IntegrityError:
            created = False
            subscription = Subscription.objects.select_for_update().get(email_key=email_key)
            if (
                subscription.is_active
                or subscription.confirmation_mails_sent >= MAX_CONFIRMATION_MAILS
            ):
                logger.info(
                    "subscribe: repeat for subscription %s, nothing sent",
                    subscription.pk,
                    extra={"subscription_id": subscription.pk},
                )
                return SubscribeResult(subscription, created=False, mail_queued=False)
            for name, value in details.items():
                setattr(subscription, name, value)
            subscription.consent_record = _with_history(subscription.consent_record, record)
            subscription.confirmation_mails_sent += 1
            subscription.save()
        mail = queue_confirmation_mail(subscription, token)
    return SubscribeResult(subscription, created=created, mail_queued=mail is not None)


def queue_confirmation_mail(subscription: Subscription, token: str) -> OutgoingMessage | None:
    """Put the confirmation e-mail in the outbox (sent once the transaction commits).

    None, and nothing sent, once the mailbox had its day's unsolicited mail (unsolicited.py).
    """
    if not allow_unsolicited_mail(subscription.email):
        return None
    email = render_email(
        "subscription_confirmation",
        {
            "confirm_url": absolute_url(reverse("letters:reminders:confirm", args=[token])),
            "expires_at": subscription.confirmation_expires_at,
            "country": subscription.country,
        },
        language=subscription.language,
    )
    return outbox.enqueue(
        kind=MessageKind.SUBSCRIPTION_CONFIRMATION,
        # One row per link: a later link (after an unsubscribe, say) is a new message.
        key=f"subscription-confirmation:{subscription.pk}:{token_hash(token)[:16]}",
        to=subscription.email,
        subject=email.subject,
        body_text=email.text,
        body_html=email.html,
    )


def pending_subscription(token: str) -> Subscription:
    """The subscription this link confirms, or the reason it cannot (a LinkError; no write)."""
    return pending_by_link(Subscription.objects.all(), token)


def confirm_subscription(token: str) -> Subscription:
    """Confirm the subscription behind this link, once.

    Confirming proves the address again, so it also lifts an earlier unsubscribe or bounce,
    and the mail cap starts afresh.
    """
    subscription = pending_subscription(token)
    claim_by_link(
        Subscription.objects.all(),
        subscription,
        token,
        confirmed_at=timezone.now(),
        confirmation_expires_at=None,
        confirmation_mails_sent=0,
        unsubscribed_at=None,
        bounced_at=None,
        erased_at=None,
    )
    subscription.refresh_from_db()
    return subscription


def _signature_consent_text(signature: Signature) -> str:
    """The reminder consent wording the signer saw, as the sign flow recorded it."""
    record = signature.consent_record or {}
    for key in ("consent_reminders", "texts", "consents"):
        value = record.get(key)
        if isinstance(value, str):
            return value
        if isinstance(value, dict):
            text = value.get("consent_reminders") or value.get("text")
            if isinstance(text, str):
                return text
    for later in record.get("later", []):
        if isinstance(later, dict) and later.get("consent") == "consent_reminders":
            return str(later.get("text", ""))
    return str(Signature._meta.get_field("consent_reminders").verbose_name)


def subscribe_from_signature(signature: Signature) -> Subscription | None:
    """A confirmed signer who ticked "remind me" is subscribed, with no second opt-in.

    The signature's own confirmation proved the address. An active subscription keeps the
    settings its owner chose; an inactive one (pending, unsubscribed, bounced) is made active
    with the signer's country and language, since this is a new, proven request. Call it
    inside the confirmation's transaction; None when the signature does not qualify.
    """
    if signature.confirmed_at is None or not signature.consent_reminders:
        return None
    email_key = signature.email_key or normalise_email(signature.email)
    country = str(signature.country)
    language = signature.language
    record = consent_record(
        _signature_consent_text(signature),
        page=signature.campaign.get_absolute_url(),
        language=language,
        source=Subscription.Source.SIGNATURE,
        signature_id=signature.pk,
    )
    now = timezone.now()
    with transaction.atomic():
        try:
            with transaction.atomic():
                return Subscription.objects.create(
                    email=signature.email,
                    email_key=email_key,
                    country=country,
                    language=language,
                    time_zone=default_time_zone(country),
                    source=Subscription.Source.SIGNATURE,
                    consent_record=record,
                    unsubscribe_token=new_link_key(),
                    confirmed_at=now,
                )
        except IntegrityError:
            subscription = Subscription.objects.select_for_update().get(email_key=email_key)
        if subscription.is_active:
            return subscription
        subscription.email = signature.email
        subscription.country = country
        subscription.language = language
        subscription.time_zone = default_time_zone(country)
        subscription.source = Subscription.Source.SIGNATURE
        subscription.consent_record = _with_history(subscription.consent_record, record)
        subscription.confirmed_at = now
        subscription.confirmation_token_hash = ""
        subscription.confirmation_expires_at = None
        subscription.confirmation_mails_sent = 0
        subscription.unsubscribed_at = subscription.bounced_at = subscription.erased_at = None
        subscription.save()
        return subscription


def unsubscribe(subscription: Subscription) -> bool:
    """Stop every reminder to this subscription; True if it was active (a repeat is harmless)."""
    updated = Subscription.objects.filter(pk=subscription.pk, unsubscribed_at__isnull=True).update(
        unsubscribed_at=timezone.now()
    )
    if updated:
        logger.info(
            "reminders: subscription %s unsubscribed",
            subscription.pk,
            extra={"subscription_id": subscription.pk},
        )
    return bool(updated)


def update_preferences(
    subscription: Subscription, *, language: str, country: str, time_zone: str
) -> Subscription:
    """Save the subscriber's language, country and time zone (already validated by the form)."""
    if time_zone not in valid_time_zones():
        raise ValueError(f"unknown time zone {time_zone!r}")
    subscription.language = language
    subscription.country = country
    subscription.time_zone = time_zone
    subscription.save(update_fields=["language", "country", "time_zone"])
    return subscription
