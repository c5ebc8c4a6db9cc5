"""Retention by default: personal data goes when its purpose is over, counts stay.

- Signers' names, addresses, cities, messages and letters leave a campaign
  SIGNER_DATA_RETENTION_DAYS (default 365) after it was closed (or delivered); its signature
  count, the countries and days behind its public figures, and its letters' count per official
  stay. The rows are anonymised as an erasure does (privacy/services.py), in bulk.
- The e-mails that answered privacy requests (they hold a person's data, or a link to erase it)
  go PRIVACY_MAIL_RETENTION after they were written.
- The daily counts of unsolicited mail (keyed hashes, no address) go after a few days.
- Unconfirmed signatures go after 7 days (signing/confirmations.py::purge_unconfirmed).
- Client IP addresses are not stored with signatures: the rate limits keep a per-network count
  in the cache for at most a day, the watchlist an hour's count per network for two hours,
  and logs carry keyed hashes (idei/logging.py). A network that crossed the watchlist's
  threshold is kept as a watchlist entry while it is blocked or holds signatures back, else
  WATCHLIST_NETWORK_RETENTION after its last alert. Failed sign-ins (the lockout's records of
  a network and a user name) go SIGN_IN_FAILURE_RETENTION after the attempt; successful
  sign-ins are not recorded (settings: AXES_DISABLE_ACCESS_LOG).

apply_retention() runs every night from beat (letters.tasks.apply_retention); every step is
idempotent and works in bounded batches.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import CharField, Exists, OuterRef, Q, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone

from campaigns.accounts import forget_sign_in_failures
from campaigns.models import Campaign, CampaignStatusChange
from idei import page_cache
from idei.outbox.models import OutgoingMessage, ref

from ..delivery import services as delivery
from ..models import Letter, MessageKind, Signature, UnsolicitedMailCount, WatchlistEntry
from .services import ERASED

PRIVACY_MAIL_RETENTION = timedelta(days=30)
UNSOLICITED_COUNT_RETENTION = timedelta(days=3)
WATCHLIST_NETWORK_RETENTION = timedelta(days=30)
# Failed sign-ins (client network, user name tried): the lockout needs 15 minutes of them.
SIGN_IN_FAILURE_RETENTION = timedelta(days=30)
# Signatures anonymised per transaction: a 100,000-signer campaign takes a few dozen.
BATCH = 5000

Status = OutgoingMessage.Status
# Mail that names signers: the signer's own mail, and letters and digests to officials.
NAMING_KINDS = [
    MessageKind.CONFIRMATION,
    MessageKind.SIGNER_COPY,
    MessageKind.LETTER,
    MessageKind.DIGEST,
]
TO_SIGNERS = [MessageKind.CONFIRMATION, MessageKind.SIGNER_COPY]


@dataclass
class Retention:
    campaigns: int = 0
    signatures: int = 0
    privacy_mails: int = 0
    unsolicited_counts: int = 0
    watchlist_networks: int = 0
    sign_in_failures: int = 0


def signer_data_retention() -> timedelta:
    return timedelta(days=settings.SIGNER_DATA_RETENTION_DAYS)


def expired_campaigns(now=None):
    """Campaigns closed (or delivered) longer ago than the retention period."""
    cutoff = (now or timezone.now()) - signer_data_retention()
    finished = [Campaign.Status.CLOSED, Campaign.Status.DELIVERED]
    closed_before = CampaignStatusChange.objects.filter(
        campaign=OuterRef("pk"), to_status__in=finished, changed_at__lt=cutoff
    )
    closed_since = CampaignStatusChange.objects.filter(
        campaign=OuterRef("pk"), to_status__in=finished, changed_at__gte=cutoff
    )
    # Counted from the last of closing and delivery; without a history row (made closed by
    # hand), from the closing date.
    return Campaign.objects.filter(status__in=finished).filter(
        ~Q(Exists(closed_since)), Q(Exists(closed_before)) | Q(closes_at__lt=cutoff)
    )


def anonymise_campaign(campaign: Campaign) -> int:
    """Remove every signer's personal data from one campaign; signatures anonymised.

    Each signature keeps its campaign, country, language, dates and confirmation, so the
    counts and the figures per country and per day do not change.
    """
    anonymised = 0
    while True:
        with transaction.atomic():
            pks = list(
                Signature.objects.select_for_update(skip_locked=True)
                .filter(campaign=campaign, erased_at__isnull=True)
                .values_list("pk", flat=True)[:BATCH]
            )
            if not pks:
                break
            now = timezone.now()
            Signature.objects.filter(pk__in=pks).update(
                name=ERASED,
                email="",
                # Unique per campaign, like the address it replaces.
                email_key=Concat(Value("expired:"), Cast("pk", CharField())),
                city="",
                message="",
                letter_text="",
                consent_share_name=False,
                consent_updates=False,
                consent_reminders=False,
                consent_show_first_name=False,
                consent_record={},
                confirmation_token_hash="",
                confirmation_due_at=None,
                erased_at=now,
            )
            Letter.objects.filter(signature_id__in=pks).update(subject=ERASED, body=ERASED)
            LogEntry.objects.filter(
                content_type=ContentType.objects.get_for_model(Signature),
                object_id__in=[str(pk) for pk in pks],
            ).update(object_repr=ERASED, change_message="")
            anonymised += len(pks)
    _forget_campaign_mail(campaign)
    if anonymised:
        transaction.on_commit(page_cache.invalidate)
        delivery.forget_petition_signers(campaign.pk)
    return anonymised


def _forget_campaign_mail(campaign: Campaign) -> None:
    """The campaign's mail that named signers keeps its kind, status and dates, no content."""
    naming = OutgoingMessage.objects.filter(group=ref(campaign), kind__in=NAMING_KINDS)
    naming.filter(status__in=[Status.QUEUED, Status.SENDING]).update(
        status=Status.FAILED, last_error="Not sent: the retention period is over."
    )
    naming.filter(kind__in=TO_SIGNERS).exclude(to_email="").update(to_email="")
    naming.exclude(subject=ERASED).update(
        subject=ERASED, body_text="", body_html="", reply_to="", headers={}
    )
    naming.exclude(last_error="").exclude(last_error__startswith="Not sent:").update(last_error="")


def apply_retention(now=None) -> Retention:
    """Every retention rule, once (see the module's doc); what it removed."""
    now = now or timezone.now()
    result = Retention()
    for campaign in expired_campaigns(now).filter(
        Exists(Signature.objects.filter(campaign=OuterRef("pk"), erased_at__isnull=True))
    ):
        result.campaigns += 1
        result.signatures += anonymise_campaign(campaign)
    privacy_kinds = [MessageKind.DATA_REQUEST, MessageKind.ERASURE_REQUEST]
    result.privacy_mails, _ = (
        OutgoingMessage.objects.filter(
            kind__in=privacy_kinds, created_at__lt=now - PRIVACY_MAIL_RETENTION
        )
        .exclude(status__in=[Status.QUEUED, Status.SENDING])
        .delete()
    )
    result.unsolicited_counts, _ = UnsolicitedMailCount.objects.filter(
        day__lt=(now - UNSOLICITED_COUNT_RETENTION).date()
    ).delete()
    since = now - WATCHLIST_NETWORK_RETENTION
    result.watchlist_networks, _ = (
        WatchlistEntry.objects.filter(kind=WatchlistEntry.Kind.NETWORK, blocked_at__isnull=True)
        .filter(Q(alerted_at__lt=since) | Q(alerted_at__isnull=True, created_at__lt=since))
        .exclude(Exists(Signature.objects.filter(held_by=OuterRef("pk"))))
        .delete()
    )
    result.sign_in_failures = forget_sign_in_failures(now - SIGN_IN_FAILURE_RETENTION)
    return result
