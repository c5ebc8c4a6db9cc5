"""Signers' rights: one-click unsubscribe, a copy of their data, and erasure.

- Unsubscribe links (RFC 8058) carry a signed signature id, never the address: a URL ends up in
  logs and proxies. The POST unsubscribes every signature with the same normalised address.
- A data request or an erasure request answers the same whatever the address, so nobody learns
  who signed; the e-mail goes to the address we hold (not the one typed), which proves that
  the person asking reads that mailbox.
- Erasure keeps the signature row (confirmed, so the count stays right) with every personal
  field replaced, rewrites the letters and e-mails that named the person, and changes the
  normalised address to a random "erased:..." key that still satisfies the one-per-campaign
  constraint. It can run any number of times.
"""

import json
import re
import uuid
from dataclasses import dataclass
from datetime import timedelta
from functools import partial

from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from campaigns.models import Campaign
from idei import page_cache, rate_limits, tokens
from idei.client_address import client_network
from idei.inbound.models import InboundMessage
from idei.mail import absolute_url, render_email
from idei.outbox.models import OutgoingMessage, ref
from idei.outbox.services import enqueue

from ..delivery import services as delivery
from ..delivery import tasks as delivery_tasks
from ..models import Letter, MessageKind, Response, Signature, SignerNews, Subscription
from ..signing.addresses import normalise_email
from ..signing.unsolicited import allow_unsolicited_mail, mailbox_key

ERASURE_SALT = "letters.erasure"
ERASURE_LINK_LIFETIME = timedelta(days=3)
# Stands in for a name (and for an address in text) once erased: says what happened, no more.
ERASED = "[erased]"

# Data and erasure requests: per address and per IP (or IPv6 /64).
REQUEST_EMAIL_LIMITS = (rate_limits.Limit("privacy-email-day", 3, 86400),)
REQUEST_IP_LIMITS = (rate_limits.Limit("privacy-ip-hour", 10, 3600),)


# -- Unsubscribe and preferences: one stream at a time, or everything -----------------------

# The streams of non-transactional e-mail to one address: each organisation's news (the signer
# ticked "keep me informed by this organisation") and the reminders before 2 November.
REMINDERS = "reminders"


@dataclass(frozen=True)
class Stream:
    key: str  # "org:<id>" or REMINDERS
    organisation: str  # the organisation's name; empty for the reminders
    active: bool


def unsubscribe(signature: Signature) -> int:
    """The signer's copy's one-click link: stop news from that campaign's organisation only.

    Every signature of the address in that organisation's campaigns loses the consent; rows
    changed. Reminders and other organisations' news are other streams, with their own links.
    """
    organisation_id = (
        Campaign.objects.filter(pk=signature.campaign_id)
        .values_list("organisation_id", flat=True)
        .first()
    )
    return stop_stream(signature.email_key, f"org:{organisation_id}")


def email_key_for_preferences(kind: str, pk: int) -> str | None:
    model = Signature if kind == "s" else Subscription
    return model.objects.filter(pk=pk).values_list("email_key", flat=True).first()


def streams(email_key: str) -> list[Stream]:
    """Every stream we may send to this address, each organisation once, reminders last."""
    if not email_key or email_key.startswith("erased:"):
        return []
    organisations: dict[str, Stream] = {}
    rows = (
        Signature.objects.filter(email_key=email_key, confirmed_at__isnull=False)
        .order_by("campaign__organisation__name", "campaign__organisation_id")
        .values_list("campaign__organisation_id", "campaign__organisation__name", "consent_updates")
    )
    for organisation_id, name, consented in rows:
        key = f"org:{organisation_id}"
        active = consented or (key in organisations and organisations[key].active)
        organisations[key] = Stream(key, name, active)
    found = list(organisations.values())
    subscription = Subscription.objects.filter(email_key=email_key).first()
    if subscription is not None:
        found.append(Stream(REMINDERS, "", subscription.is_active))
    return found


def stop_stream(email_key: str, key: str) -> int:
    """Stop one stream to this address (harmless to repeat); rows changed."""
    if not email_key or email_key.startswith("erased:"):
        return 0
    if key == REMINDERS:
        return Subscription.objects.filter(
            email_key=email_key, unsubscribed_at__isnull=True
        ).update(unsubscribed_at=timezone.now())
    organisation_id = key.removeprefix("org:")
    if not organisation_id.isdigit():
        return 0
    return Signature.objects.filter(
        email_key=email_key, campaign__organisation_id=int(organisation_id), consent_updates=True
    ).update(consent_updates=False)


def stop_everything(email_key: str) -> int:
    """Stop every non-transactional e-mail to this address; rows changed."""
    if not email_key or email_key.startswith("erased:"):
        return 0
    changed = (
        Signature.objects.filter(email_key=email_key)
        .filter(Q(consent_updates=True) | Q(consent_reminders=True))
        .update(consent_updates=False, consent_reminders=False)
    )
    return changed + stop_stream(email_key, REMINDERS)


# -- Requests by e-mail address -------------------------------------------------------------


def request_wait(request, email_key: str) -> int:
    """Rate limits for data and erasure requests (both counted): 0, or the seconds to wait."""
    # mailbox_key is a keyed hash: the cache holds no address.
    return rate_limits.retry_after(
        [
            (REQUEST_IP_LIMITS, "privacy-ip:" + client_network(request)),
            (REQUEST_EMAIL_LIMITS, "privacy-email:" + mailbox_key(email_key)),
        ]
    )


def held_address(email_key: str) -> tuple[str, str] | None:
    """The address we hold for this key (newest signature or subscription) and its language."""
    signature = (
        Signature.objects.filter(email_key=email_key, erased_at__isnull=True)
        .order_by("-created_at", "-pk")
        .values_list("email", "language")
        .first()
    )
    if signature:
        return signature
    return (
        Subscription.objects.filter(email_key=email_key, erased_at__isnull=True)
        .values_list("email", "language")
        .first()
    )


def personal_data(email_key: str) -> dict:
    """Everything we hold for one normalised address, as JSON-ready data."""
    signatures = Signature.objects.filter(email_key=email_key).select_related("campaign")
    letters = (
        Letter.objects.filter(signature__email_key=email_key)
        .select_related("signature__campaign", "target")
        .order_by("created_at", "pk")
    )
    addresses = list(signatures.values_list("email", flat=True))
    subscriptions = Subscription.objects.filter(email_key=email_key)
    addresses += list(subscriptions.values_list("email", flat=True))
    messages = OutgoingMessage.objects.filter(
        Q(about__in=[ref(signature) for signature in signatures])
        | Q(to_email__in=[a for a in addresses if a])
    ).order_by("created_at", "pk")
    return {
        "generated_at": timezone.now(),
        "normalised_address": email_key,
        "signatures": [
            {
                "campaign": signature.campaign.title,
                "campaign_url": absolute_url(signature.campaign.get_absolute_url()),
                "name": signature.name,
                "email": signature.email,
                "country": str(signature.country),
                "city": signature.city,
                "message": signature.message,
                "letter_text": signature.letter_text,
                "language": signature.language,
                "consents": {
                    "share_name_with_officials": signature.consent_share_name,
                    "updates_from_organisation": signature.consent_updates,
                    "reminders_before_2_november": signature.consent_reminders,
                    "show_first_name_publicly": signature.consent_show_first_name,
                },
                "consent_record": signature.consent_record,
                "signed_at": signature.created_at,
                "confirmed_at": signature.confirmed_at,
                "erased_at": signature.erased_at,
            }
            for signature in signatures.order_by("created_at", "pk")
        ],
        "letters": [
            {
                "campaign": letter.signature.campaign.title,
                "to": f"{letter.target.name}, {letter.target.position}",
                "language": letter.language,
                "subject": letter.subject,
                "body": letter.body,
                "written_at": letter.created_at,
            }
            for letter in letters
        ],
        "subscriptions": [
            {
                "email": subscription.email,
                "country": str(subscription.country),
                "language": subscription.language,
                "time_zone": subscription.time_zone,
                "consent_record": subscription.consent_record,
                "created_at": subscription.created_at,
                "confirmed_at": subscription.confirmed_at,
                "unsubscribed_at": subscription.unsubscribed_at,
            }
            for subscription in subscriptions
        ],
        "emails": [
            {
                "kind": message.kind,
                "to": message.to_email,
                "subject": message.subject,
                "status": message.status,
                "created_at": message.created_at,
                "sent_at": message.sent_at,
            }
            for message in messages
            if message.kind != MessageKind.DATA_REQUEST
        ],
    }


def request_data(email: str) -> OutgoingMessage | None:
    """Queue the person's data (JSON in the e-mail) to the address we hold; None if none.

    The JSON travels in the message body, not as a file: a file under MEDIA_ROOT could be
    served publicly and would outlive an erasure, while the outbox row is blanked by one.
    """
    email_key = normalise_email(email)
    held = held_address(email_key)
    if held is None:
        return None
    address, language = held
    if not allow_unsolicited_mail(address):
        return None
    data = json.dumps(personal_data(email_key), cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)
    rendered = render_email("data_request", {"data_json": data}, language=language)
    return enqueue(
        kind=MessageKind.DATA_REQUEST,
        key=f"data_request:{uuid.uuid4().hex}",
        to=address,
        subject=rendered.subject,
        body_text=rendered.text,
        body_html=rendered.html,
    )


# -- Erasure --------------------------------------------------------------------------------


def erasure_token(email_key: str) -> str | None:
    """A signed reference to one record of this address (never the address itself)."""
    signature = Signature.objects.filter(email_key=email_key).order_by("-pk").first()
    if signature:
        return tokens.make(ERASURE_SALT, {"s": signature.pk})
    subscription = Subscription.objects.filter(email_key=email_key).first()
    if subscription:
        return tokens.make(ERASURE_SALT, {"sub": subscription.pk})
    return None


def email_key_for_erasure_token(token: str) -> str | None:
    """The normalised address an erasure link is for; None if forged or expired.

    Once erased, the record's key is "erased:..." and erasing again changes nothing.
    """
    value = tokens.read(ERASURE_SALT, token, max_age=ERASURE_LINK_LIFETIME)
    if not isinstance(value, dict):
        return None
    if isinstance(value.get("s"), int):
        model, pk = Signature, value["s"]
    elif isinstance(value.get("sub"), int):
        model, pk = Subscription, value["sub"]
    else:
        return None
    return model.objects.filter(pk=pk).values_list("email_key", flat=True).first()


def request_erasure(email: str) -> OutgoingMessage | None:
    """E-mail a link to erase this address's data to the address we hold; None if none."""
    email_key = normalise_email(email)
    held = held_address(email_key)
    token = erasure_token(email_key)
    if held is None or token is None:
        return None
    address, language = held
    if not allow_unsolicited_mail(address):
        return None
    rendered = render_email(
        "erasure_request",
        {
            "erase_url": absolute_url(reverse("letters:erasure_confirm", args=[token])),
            "lifetime_days": ERASURE_LINK_LIFETIME.days,
        },
        language=language,
    )
    return enqueue(
        kind=MessageKind.ERASURE_REQUEST,
        key=f"erasure_request:{uuid.uuid4().hex}",
        to=address,
        subject=rendered.subject,
        body_text=rendered.text,
        body_html=rendered.html,
    )


@dataclass
class Erasure:
    signatures: int = 0
    subscriptions: int = 0
    letters: int = 0
    messages: int = 0


def _replacer(values: set[str]):
    """Replace whole-word occurrences of these values (and their HTML-escaped forms)."""
    variants = {v for value in values if len(value.strip()) >= 2 for v in (value, escape(value))}
    if not variants:
        return lambda text: text
    alternatives = "|".join(re.escape(v) for v in sorted(variants, key=len, reverse=True))
    pattern = re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)
    return lambda text: pattern.sub(ERASED, text) if text else text


def erase(email_key: str) -> Erasure:
    """Remove every trace of this address and the names signed with it; harmless to repeat."""
    if not email_key or email_key.startswith("erased:"):
        return Erasure()
    now = timezone.now()
    result = Erasure()
    with transaction.atomic():
        signatures = list(Signature.objects.select_for_update().filter(email_key=email_key))
        subscriptions = list(Subscription.objects.select_for_update().filter(email_key=email_key))
        addresses = {s.email for s in signatures} | {s.email for s in subscriptions} | {email_key}
        addresses.discard("")
        names = {s.name for s in signatures}
        personal = addresses | names | {s.city for s in signatures}
        personal |= {s.message for s in signatures} | {s.letter_text for s in signatures}
        # The person's own letters lose everything they wrote; a digest or petition that lists
        # other signers too loses the name and address only (the city alone names nobody).
        scrub = _replacer(personal)
        scrub_shared = _replacer(addresses | names)
        own_refs = {ref(s) for s in signatures}

        for letter in Letter.objects.select_for_update().filter(signature__in=signatures):
            letter.subject, letter.body = scrub(letter.subject), scrub(letter.body)
            letter.save(update_fields=["subject", "body"])
            result.letters += 1

        campaign_refs = {ref(Campaign, s.campaign_id) for s in signatures}
        address_q = Q()
        for address in addresses:
            # Reply-To may list the official's reply address and the signer's.
            address_q |= Q(to_email__iexact=address) | Q(reply_to__icontains=address)
            # A refused recipient's error names the address, whoever the message was to.
            address_q |= Q(last_error__icontains=address)
        names_q = Q()
        for name in {s.name for s in signatures if len(s.name.strip()) >= 2}:
            names_q |= Q(body_text__icontains=name) | Q(subject__icontains=name)
            names_q |= Q(body_html__icontains=escape(name))
        messages = OutgoingMessage.objects.select_for_update().filter(
            Q(about__in=own_refs)
            | address_q
            | (Q(group__in=campaign_refs) & names_q if names_q else Q(pk__in=[]))
        )
        for message in messages:
            to_person = message.to_email.lower() in {a.lower() for a in addresses}
            if to_person:
                message.to_email = ""
                message.body_text = message.body_html = ""
                message.subject = ERASED
                message.headers = {}
                if message.attachment:
                    message.attachment.delete(save=False)
            else:  # a letter, digest or petition to an official that named the person
                clean = scrub if message.about in own_refs else scrub_shared
                message.subject = clean(message.subject)
                message.body_text = clean(message.body_text)
                message.body_html = clean(message.body_html)
            message.reply_to = ", ".join(
                address.strip()
                for address in message.reply_to.split(",")
                if address.strip() and address.strip().lower() not in {a.lower() for a in addresses}
            )
            unsent = {OutgoingMessage.Status.QUEUED, OutgoingMessage.Status.SENDING}
            message.last_error = scrub_shared(message.last_error)
            if message.status in unsent and (to_person or message.about in own_refs):
                message.status = OutgoingMessage.Status.FAILED
                message.last_error = "Not sent: the signer's data was erased on request."
            message.save()
            result.messages += 1

        for signature in signatures:
            signature.name = ERASED
            signature.email = ""
            signature.email_key = f"erased:{uuid.uuid4().hex}"
            signature.city = signature.message = signature.letter_text = ""
            signature.consent_share_name = signature.consent_updates = False
            signature.consent_reminders = signature.consent_show_first_name = False
            signature.consent_record = {}
            signature.confirmation_token_hash = ""
            signature.confirmation_due_at = None
            signature.erased_at = now
            # Still confirmed: the campaign's count does not change.
            signature.save()
            result.signatures += 1
        if signatures:
            # A cached campaign page may list the person's first name among recent signers.
            transaction.on_commit(page_cache.invalidate)
            # Kept petition files may list the name: removed, or laid out again.
            for campaign_id in {s.campaign_id for s in signatures}:
                transaction.on_commit(partial(_forget_petition_signers, campaign_id))
        _scrub_admin_history(signatures, subscriptions, addresses, scrub_shared)
        SignerNews.objects.filter(email_key=email_key).delete()
        # An official's reply may quote a letter that named the person.
        for response in Response.objects.select_for_update().filter(
            campaign_id__in={s.campaign_id for s in signatures}
        ):
            for field in ("subject", "text", "html", "public_text", "from_address"):
                setattr(response, field, scrub_shared(getattr(response, field)))
            response.save(update_fields=["subject", "text", "html", "public_text", "from_address"])
        _delete_inbound_mail_from(addresses)

        for subscription in subscriptions:
            subscription.email = ""
            subscription.email_key = f"erased:{uuid.uuid4().hex}"
            subscription.consent_record = {}
            subscription.confirmation_token_hash = ""
            subscription.unsubscribed_at = subscription.unsubscribed_at or now
            subscription.erased_at = now
            subscription.save()
            result.subscriptions += 1
    return result


def _forget_petition_signers(campaign_id: int) -> None:
    held = delivery.forget_petition_signers(campaign_id)
    if held:
        delivery_tasks.refresh_queued_petitions.delay(held)


def _delete_inbound_mail_from(addresses: set[str]) -> None:
    """Mail received from the person, or quoting their address, that is kept for an admin to
    read (bounces and complaints are emptied once read: idei/inbound/services.py)."""
    needles = [address.lower().encode() for address in addresses if "@" in address]
    if not needles:
        return
    kept = InboundMessage.objects.select_for_update().exclude(raw=b"")
    doomed = [
        message.pk
        for message in kept.only("pk", "raw", "envelope_from").iterator(chunk_size=200)
        if message.envelope_from.lower().encode() in needles
        or any(needle in bytes(message.raw).lower() for needle in needles)
    ]
    InboundMessage.objects.filter(pk__in=doomed).delete()


def _scrub_admin_history(signatures, subscriptions, addresses, scrub) -> None:
    """Admin's change history names an edited signature ("Campaign: Name") and what changed,
    and an edited outbox row its recipient."""
    entries = Q(pk__in=[])
    for model, rows in ((Signature, signatures), (Subscription, subscriptions)):
        if rows:
            entries |= Q(
                content_type=ContentType.objects.get_for_model(model),
                object_id__in=[str(row.pk) for row in rows],
            )
    for address in addresses:
        entries |= Q(object_repr__icontains=address) | Q(change_message__icontains=address)
    for entry in LogEntry.objects.filter(entries):
        entry.object_repr = scrub(entry.object_repr)[:200]
        entry.change_message = scrub(entry.change_message)
        entry.save(update_fields=["object_repr", "change_message"])
