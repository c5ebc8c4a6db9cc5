"""Workflows that span the parts of the letters app: what happens when a signature is confirmed.

Signing knows nothing of delivery or reminders (it sits below them); confirming a signature
calls each part in turn, in one transaction, here.
"""

from django.db import transaction
from django.utils import timezone

from .delivery import services as delivery
from .models import Signature
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
