"""The confirmation e-mail a new signature is owed, written and sent by a worker in batches.

sign() (services.py) only marks a signature as owed its e-mail; a worker, woken once per burst,
gives each its single-use link and sends the e-mails through the outbox. Also the housekeeping
of signatures nobody confirmed.

The wake-up: the sign POST claims WAKE_KEY (SET NX) in its one Redis round trip, before its
INSERT, and the request that wins the claim queues the worker after the INSERT. A claim seen
taken means a run is queued or running; a run clears the claim as it starts, so signatures
that commit during it queue the next. The one gap (a POST saw the claim taken just before a
run started, and its INSERT committed only after that run's last look) is closed by the
follow-up run each woken run schedules (tasks.send_confirmations), and as a last resort by the
confirmations sweep.
"""

from datetime import timedelta

from django.core.cache import cache
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from idei.mail import absolute_url, render_email
from idei.outbox import services as outbox
from idei.outbox.models import OutgoingMessage, ref
from idei.tokens import new_token

from ..models import MessageKind, Signature
from .unsolicited import allow_unsolicited_mail

CONFIRMATION_LIFETIME = Signature.LINK_LIFETIME
MAX_CONFIRMATION_MAILS = Signature.MAX_LINKS
# Unconfirmed signatures are deleted after this long (their link has expired by then).
UNCONFIRMED_RETENTION = timedelta(days=7)

# At most one wake-up of the worker is queued at a time (see the module's docstring).
WAKE_KEY = "letters:confirmations-wake"
WAKE_SECONDS = 60
# A woken run looks again this long after it ends, for signatures that committed late.
FOLLOW_UP_SECONDS = 5
CONFIRMATION_BATCH = 200
# A signature owed its e-mail for this long has missed its wake-up (Redis lost it): the
# confirmations sweep (tasks.sweep_confirmations) wakes the worker again.
CONFIRMATION_OVERDUE = timedelta(minutes=2)


def issue_due_confirmations(limit: int = CONFIRMATION_BATCH) -> list[int]:
    """Give signatures owed a confirmation e-mail their link and their outbox row; row pks.

    Rows locked by another worker are skipped (SKIP LOCKED): two workers never issue two
    links for one signature. Only the link's hash is stored; the link itself is in the e-mail.
    A mailbox past its daily cap of unsolicited mail (unsolicited.py) gets nothing: the
    signature stays pending, without a link, and goes with the other unconfirmed ones.
    """
    with transaction.atomic():
        due = list(
            Signature.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("campaign__organisation")
            .prefetch_related("campaign__translations")  # the title in the signer's language
            .filter(confirmation_due_at__isnull=False, erased_at__isnull=True)
            .order_by("confirmation_due_at")[:limit]
        )
        pks = []
        for signature in due:
            signature.confirmation_due_at = None
            if not allow_unsolicited_mail(signature.email):
                continue
            token, digest = new_token()
            signature.confirmation_token_hash = digest
            pks.append(queue_confirmation_mail(signature, token).pk)
        if due:
            Signature.objects.bulk_update(
                due, ["confirmation_token_hash", "confirmation_due_at"], batch_size=500
            )
    return pks


def queue_wake_claim(pipe) -> None:
    """Add the claim to wake the worker to a Redis pipeline; its reply is True if won.

    The key is the cache's own (same prefix and version), so cache.add/delete see it too.
    """
    pipe.set(cache.make_key(WAKE_KEY), 1, nx=True, ex=WAKE_SECONDS)


def send_due_confirmations() -> dict[str, int]:
    """On a worker: write and send every owed confirmation e-mail, batch after batch."""
    # From here on, any new signature queues another wake-up; those before are found below.
    cache.delete(WAKE_KEY)
    totals = {"sent": 0, "failed": 0, "skipped": 0, "deferred": 0, "suppressed": 0, "paced": 0}
    while pks := issue_due_confirmations():
        for outcome, number in outbox.send_messages(pks).items():
            totals[outcome] = totals.get(outcome, 0) + number
    return totals


def confirmations_overdue(now=None) -> bool:
    now = now or timezone.now()
    return Signature.objects.filter(confirmation_due_at__lt=now - CONFIRMATION_OVERDUE).exists()


def queue_confirmation_mail(signature: Signature, token: str) -> OutgoingMessage:
    """Put the confirmation e-mail in the outbox."""
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
        kind=MessageKind.CONFIRMATION,
        key=f"signature-confirmation:{signature.pk}:{signature.confirmation_mails_sent}",
        to=signature.email,
        subject=email.subject,
        body_text=email.text,
        body_html=email.html,
        group=ref(campaign),
        about=ref(signature),
        send=False,
    )


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
        stale_refs = [ref(Signature, pk) for pk in stale.values_list("pk", flat=True)]
        OutgoingMessage.objects.filter(about__in=stale_refs, kind=MessageKind.CONFIRMATION).delete()
        _, by_model = stale.delete()
    return by_model.get(Signature._meta.label, 0)
