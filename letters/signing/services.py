"""Signing and confirming: the workflows behind the sign form and the confirmation link.

sign() stores an unconfirmed signature owed a confirmation e-mail (one INSERT: the form's
hot path); a worker gives it its link and writes and sends the e-mail through the outbox.
confirm() turns it into a counted one, once. What the person sees never says whether the
address had signed before (no enumeration), and an address gets at most
MAX_CONFIRMATION_MAILS confirmation e-mails per campaign however often it is entered.
"""

import logging
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from campaigns.models import Campaign
from idei import rate_limits
from idei.celery import tasks_run_inline
from idei.client_address import client_network
from idei.db.prepared import PreparedInsert
from idei.outbox import services as outbox
from idei.rate_limits import Claim
from idei.tokens import LinkError, claim_by_link, pending_by_link

from ..models import Signature
from . import abuse, tasks, watchlist
from .addresses import normalise_email
from .confirmations import (
    CONFIRMATION_LIFETIME,
    MAX_CONFIRMATION_MAILS,
    issue_due_confirmations,
    queue_wake_claim,
)
from .sources import SignatureSource

logger = logging.getLogger(__name__)

CONSENT_FIELDS = (
    "consent_share_name",
    "consent_updates",
    "consent_reminders",
    "consent_show_first_name",
    "consent_partner",
)
SIGNATURE_FIELDS = ("name", "country", "city", "message", "letter_text", *CONSENT_FIELDS)


class SigningClosed(Exception):
    """The campaign does not accept signatures (draft, closed, or past its closing date)."""


class CampaignClosedBeforeConfirmation(LinkError):
    status = 410


@dataclass(frozen=True)
class SignResult:
    """What happened; the person is told the same thing in every case."""

    signature: Signature
    created: bool
    mail_queued: bool


@dataclass(frozen=True)
class Admission:
    """What the sign POST's one trip to Redis decided (see admit)."""

    # Seconds to wait before the network, or the address, may sign again; 0: allowed now.
    network_wait: int
    address_wait: int
    # True: this request won the claim to wake the confirmation worker and must queue the
    # wake-up after its INSERT (queue_claimed_wake_up); False: a wake-up is queued already;
    # None: nothing claimed (nothing to sign, tasks run inline, or Redis not configured or
    # down), so sign() asks for the e-mail itself.
    wake_claimed: bool | None
    # True: the form's token had been used before (the form is shown again, nothing saved).
    form_token_reused: bool = False
    # The blocked watchlist entry that holds this signature back (not counted), if any.
    held_by: int | None = None


# -- Signing ---------------------------------------------------------------------------------


def admit(request, email_key: str | None, form_token_use: Claim | None = None) -> Admission:
    """The sign POST's Redis work in one round trip: both rate limits, the form token's
    single use, the wake-up claim and the watchlist's counts (watchlist.queue_counts).

    The address is counted, the token used (`form_token_use`, abuse.check_form_token) and the
    wake-up claimed only for a form about to be signed (`email_key` given). Whoever wins the
    wake-up claim queues the wake-up, even if its own signature is then refused, so that a
    claim never holds up the e-mails of others. If the cache is down, the token is taken as
    unused: defences slow attackers down, they must not lose a signature.
    """
    network = client_network(request)
    groups = abuse.sign_limit_groups(request, email_key)
    # Where tasks run inline there is no worker to wake: sign() sends the e-mail itself.
    wake = email_key is not None and not tasks_run_inline()
    claims = [form_token_use] if email_key is not None and form_token_use is not None else []

    def queue_more(pipe) -> None:
        if wake:
            queue_wake_claim(pipe)  # its reply comes first
        if email_key is not None:
            watchlist.queue_counts(pipe, email_key, network, rate_limits.clock())

    trip = rate_limits.count_in_one_trip(groups, queue_more, claims)
    wake_claimed = bool(trip.replies[0]) if wake and trip.replies is not None else None
    return Admission(
        network_wait=trip.waits[0],
        address_wait=trip.waits[1] if email_key is not None else 0,
        wake_claimed=wake_claimed,
        form_token_reused=any(made is False for made in trip.claimed),
        held_by=watchlist.holding_entry(email_key, network) if email_key is not None else None,
    )


def queue_claimed_wake_up(admission: Admission) -> None:
    """After the POST's INSERT: queue the worker's wake-up if this request claimed it."""
    if admission.wake_claimed:
        # robust: the signature is stored; if Redis is down its e-mail waits for the sweep.
        transaction.on_commit(tasks.send_confirmations.delay, robust=True)


def sign(
    campaign: Campaign,
    cleaned_data: dict,
    *,
    language: str,
    client_ip: str,
    wake_claimed: bool | None = None,
    held_by: int | None = None,
    source: SignatureSource | None = None,
) -> SignResult:
    """Store an unconfirmed signature (or refresh a pending one); its confirmation e-mail follows.

    - new address: one INSERT, nothing else in the request; the signature is marked as owed
      a confirmation e-mail, which a worker writes and sends (`send_due_confirmations`);
    - pending, under the cap: a new link is sent to the address (the old link stops working at
      once); what was signed is never changed by a second submission, which anyone who knows
      the address could send: the confirm page shows the owner everything they confirm;
    - pending at the cap, or already confirmed: nothing is changed or sent.

    Whether the campaign takes signatures is decided on `campaign` as the caller read it, so
    read it in the same request (the sign view does, with its one SELECT): SigningClosed if
    that row is not open. A close that commits between that read and the INSERT lets this
    signature in unconfirmed (its e-mail is still sent), and it can never count: confirming
    reads the campaign again (CampaignClosedBeforeConfirmation).

    `wake_claimed` is the caller's Admission.wake_claimed: when the caller's admit() reached
    Redis, the caller wakes the worker (queue_claimed_wake_up) and sign() does not.
    `held_by`: the blocked watchlist entry that holds a new signature back (watchlist.py).
    `source`: where the signer came from (sources.py); the partner's consent is kept only
    with the partner it names.
    """
    if not campaign.is_open:
        raise SigningClosed
    source = source or SignatureSource()
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
        held_by_id=held_by,
        **source.fields,
    )
    values["consent_partner"] = values["consent_partner"] and source.partner_id is not None
    signature = _insert_new(campaign, email_key, values)
    created = signature is not None
    if not created:
        signature, refreshed = _sign_again(campaign, email_key, client_ip)
        if not refreshed:
            return SignResult(signature=signature, created=False, mail_queued=False)
    if wake_claimed is None:
        request_confirmation_mails()
    return SignResult(signature=signature, created=created, mail_queued=True)


# The sign POST's one INSERT, compiled once per process (idei.db.prepared).
SIGNATURE_INSERT = PreparedInsert(Signature)


def _insert_new(campaign: Campaign, email_key: str, values: dict) -> Signature | None:
    """INSERT the signature; None if this address has signed this campaign before.

    Alone, in autocommit, this is one statement: the whole database work of a new signature.
    Inside a caller's transaction it runs in a savepoint, so that a repeat does not abort it.
    """
    fields = {**values, "campaign": campaign, "email_key": email_key}
    try:
        if transaction.get_connection().in_atomic_block:
            with transaction.atomic():
                return SIGNATURE_INSERT.create(confirmation_mails_sent=1, **fields)
        return SIGNATURE_INSERT.create(confirmation_mails_sent=1, **fields)
    except IntegrityError:
        if values.get("held_by_id") is None:
            return None
        # Or the watchlist entry holding it back was deleted a moment ago (this process's
        # copy of the block-list is up to 30 s old): not blocked any more, so not held.
        return _insert_new(campaign, email_key, {**values, "held_by_id": None})


def _sign_again(campaign, email_key: str, client_ip: str) -> tuple[Signature, bool]:
    """A pending signature under the cap is owed a new link; its content stays as signed.

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
        now = timezone.now()
        signature.confirmation_token_hash = ""  # the link sent before stops working now
        signature.confirmation_mails_sent += 1
        signature.confirmation_due_at = now
        signature.confirmation_expires_at = now + CONFIRMATION_LIFETIME
        signature.save(
            update_fields=[
                "confirmation_token_hash",
                "confirmation_mails_sent",
                "confirmation_due_at",
                "confirmation_expires_at",
            ]
        )
    return signature, True


def resend_confirmation(campaign: Campaign, email: str, *, client_ip: str) -> bool:
    """A new link for a signature still waiting for confirmation, within the same cap as
    signing again (MAX_CONFIRMATION_MAILS per campaign) and the unsolicited-mail cap that
    every confirmation e-mail meets. Whether one is sent is never told to the visitor."""
    if not campaign.is_open:
        return False
    email_key = normalise_email(email)
    if not Signature.objects.filter(
        campaign=campaign, email_key=email_key, confirmed_at__isnull=True
    ).exists():
        return False
    _, refreshed = _sign_again(campaign, email_key, client_ip)
    if refreshed:
        request_confirmation_mails()
    return refreshed


# -- Confirming ----------------------------------------------------------------------------


def pending_signature(token: str) -> Signature:
    """The signature this link confirms, or the reason it cannot (a LinkError; writes nothing)."""
    signature = pending_by_link(
        Signature.objects.select_related("campaign", "campaign__organisation").filter(
            confirmed_at__isnull=True
        ),
        token,
    )
    if not signature.campaign.is_open:
        raise CampaignClosedBeforeConfirmation
    return signature


def request_confirmation_mails() -> None:
    """Have the owed confirmation e-mails written and sent.

    Where tasks run inline (the embedded default), at once, in this request. Otherwise a
    worker is woken after commit, unless a wake-up is already queued: a spike of signatures
    costs one Redis command each, and the worker writes and sends their e-mails in batches.
    """
    if tasks_run_inline():
        outbox.schedule(issue_due_confirmations())
    else:
        # robust: the signature is stored; if Redis is down its e-mail waits for the sweep.
        transaction.on_commit(tasks.wake_confirmation_worker, robust=True)


def claim_confirmation(token: str) -> Signature:
    """Mark the signature behind this link confirmed, once; call inside the caller's transaction.

    The conditional UPDATE lets exactly one request confirm; the token is cleared so the link
    works once. letters.services.confirm() does the rest of a confirmation.
    """
    signature = pending_signature(token)
    claim_by_link(
        Signature.objects.filter(confirmed_at__isnull=True),
        signature,
        token,
        confirmed_at=timezone.now(),
    )
    return signature


def count_after_commit(signature: Signature) -> None:
    """The campaign's shown count catches up once the confirmation has committed."""
    campaign_id = signature.campaign_id
    # robust: a cache outage must not turn a committed confirmation into an error page.
    transaction.on_commit(lambda: tasks.reconcile_soon(campaign_id), robust=True)
