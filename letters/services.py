"""Workflows that span the parts of the letters app: what happens when a signature is confirmed.

Signing knows nothing of delivery or reminders (it sits below them); confirming a signature
calls each part in turn, in one transaction, here.
"""

from django.db import transaction
from django.utils import timezone

from campaigns.models import Campaign

from .delivery import services as delivery
from .models import Letter, Signature, WatchlistEntry
from .reminders.subscriptions import subscribe_from_signature
from .signing import services as signing


def confirm(token: str) -> Signature:
    """Confirm the signature behind this link, once: its letters, its subscription, its count.

    One transaction: signing's conditional UPDATE lets exactly one request confirm (a second
    click, a second tab or a replayed POST finds nothing to update); delivery writes the
    letters and the signer's copy; a signer who asked to be reminded is subscribed (the
    confirmed address needs no second opt-in). The shown count follows after commit.
    """
    with transaction.atomic():
        signature = signing.claim_confirmation(token)
        delivery.on_signature_confirmed(signature)
        if signature.consent_reminders:
            subscribe_from_signature(signature)
        signing.count_after_commit(signature)
    return signature


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
            subscribe_from_signature(signature)
    return bool(updated)


# -- The watchlist: what a blocked entry held back (signing/watchlist.py) ----------------------


def count_held_signatures(entry: WatchlistEntry) -> int:
    """An admin counts the signatures this entry held back; how many.

    From now on they count, and their letters go as their campaign's mode says: at once (each),
    in today's digest, or in the petition; their signers were sent their copy already.
    """
    with transaction.atomic():
        held = list(
            Signature.objects.select_for_update()
            .filter(held_by=entry)
            .select_related("campaign", "campaign__organisation")
        )
        Signature.objects.filter(pk__in=[signature.pk for signature in held]).update(held_by=None)
        for signature in held:
            signature.held_by = None
            if signature.confirmed_at is None:
                continue  # confirmed later, it is delivered then
            if signature.campaign.delivery_mode == Campaign.DeliveryMode.DIGEST:
                # The days of their digests may be over: today's digest carries them.
                Letter.objects.filter(signature=signature).update(created_at=timezone.now())
            delivery.on_signature_confirmed(signature)
        _recount(held)
    return len(held)


def drop_held_signatures(entry: WatchlistEntry) -> int:
    """An admin drops the signatures this entry held back (with their letters); how many."""
    with transaction.atomic():
        held = list(Signature.objects.filter(held_by=entry))
        Signature.objects.filter(pk__in=[signature.pk for signature in held]).delete()
        _recount(held)
    return len(held)


def _recount(signatures: list[Signature]) -> None:
    for signature in {signature.campaign_id: signature for signature in signatures}.values():
        signing.count_after_commit(signature)
