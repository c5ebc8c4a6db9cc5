"""A campaign's confirmed count: sharded so that confirmations never queue on one row.

- A confirmation adds 1 to one of SignatureCount.SHARDS rows, chosen at random, in the
  confirmation's own transaction: the shards are exact by construction, and concurrent
  confirmations hardly ever wait for one another.
- `confirmed_count(campaign)` reads the sum of the shards (16 small rows by an index).
- `reconcile(campaign)` rewrites the shards from an exact COUNT (erasures, manual repairs) and
  copies the result into Campaign.signature_count, the denormalised figure lists and the API
  read. It locks the shard rows first, so a confirmation in flight either is counted by the
  COUNT or adds its 1 after the rewrite, never both and never neither.
- Beat runs `reconcile_signature_counts` every 30 s. Where no beat runs (the embedded
  default), a confirmation triggers a reconcile itself when none ran in the last 30 s, and
  otherwise schedules exactly one more at the end of those 30 s, so that the last confirmation
  of a burst is shown too: the figure converges within a minute without any beat.
"""

import logging
import random
import threading

from django.conf import settings
from django.core.cache import cache
from django.db import close_old_connections, connections, transaction
from django.db.models import F, Sum

from campaigns.models import Campaign
from idei import page_cache

from .models import Signature, SignatureCount

logger = logging.getLogger(__name__)

RECENT_SIGNERS = 8


def reconcile_interval() -> int:
    """Seconds between reconciles of one campaign (30; tests may shorten it in settings)."""
    return getattr(settings, "SIGNATURE_COUNT_RECONCILE_SECONDS", 30)


def _fresh_key(campaign_id: int) -> str:
    return f"letters:count-reconciled:{campaign_id}"


def _pending_key(campaign_id: int) -> str:
    return f"letters:count-pending:{campaign_id}"


# -- Reading -------------------------------------------------------------------------------


def confirmed_count(campaign) -> int:
    """The live confirmed count: the sum of the shards (no COUNT over signatures)."""
    campaign_id = getattr(campaign, "pk", campaign)
    total = SignatureCount.objects.filter(campaign_id=campaign_id).aggregate(n=Sum("confirmed"))
    return total["n"] or 0


def recent_signers(campaign, limit: int = RECENT_SIGNERS) -> list[dict]:
    """First name and country of the latest confirmed signers who agreed to be shown.

    Read by the (campaign, confirmed_at) index, newest first; erased signatures never appear.
    """
    rows = (
        Signature.objects.confirmed()
        .filter(campaign=campaign, consent_show_first_name=True, erased_at__isnull=True)
        .order_by("-confirmed_at")
        .only("name", "country", "confirmed_at")[:limit]
    )
    return [
        {"first_name": row.first_name, "country": row.country, "confirmed_at": row.confirmed_at}
        for row in rows
        if row.first_name
    ]


# -- Writing -------------------------------------------------------------------------------


def ensure_shards(campaign_id: int) -> None:
    """Create any missing shard rows; safe when two requests do it at once (ON CONFLICT)."""
    SignatureCount.objects.bulk_create(
        [
            SignatureCount(campaign_id=campaign_id, shard=shard)
            for shard in range(SignatureCount.SHARDS)
        ],
        ignore_conflicts=True,
    )


def increment(campaign_id: int) -> None:
    """Add one confirmation to a random shard. Call inside the confirmation's transaction."""
    shard = random.randrange(SignatureCount.SHARDS)
    row = SignatureCount.objects.filter(campaign_id=campaign_id, shard=shard)
    if row.update(confirmed=F("confirmed") + 1) == 0:
        ensure_shards(campaign_id)
        row.update(confirmed=F("confirmed") + 1)


def reconcile(campaign_id: int) -> int:
    """Rewrite one campaign's shards from an exact COUNT; returns the count."""
    ensure_shards(campaign_id)
    with transaction.atomic():
        # Lock every shard (in a fixed order: no deadlock with another reconcile). A
        # confirmation that has not committed yet waits here, and its signature is not in the
        # COUNT below: it adds its 1 after we commit.
        shards = list(
            SignatureCount.objects.select_for_update()
            .filter(campaign_id=campaign_id)
            .order_by("shard")
            .values_list("pk", flat=True)
        )
        exact = Signature.objects.confirmed().filter(campaign_id=campaign_id).count()
        SignatureCount.objects.filter(pk=shards[0]).update(confirmed=exact)
        SignatureCount.objects.filter(pk__in=shards[1:]).exclude(confirmed=0).update(confirmed=0)
        changed = (
            Campaign.objects.filter(pk=campaign_id)
            .exclude(signature_count=exact)
            .update(signature_count=exact)
        )
        if changed:
            # The campaign's page shows the count and the latest signers (idei.page_cache).
            transaction.on_commit(page_cache.invalidate)
    cache.set(_fresh_key(campaign_id), 1, timeout=reconcile_interval())
    cache.delete(_pending_key(campaign_id))
    return exact


def campaigns_to_reconcile() -> list[int]:
    """Open campaigns, and any other whose shown count differs from its shards."""
    open_ids = set(
        Campaign.objects.filter(status=Campaign.Status.PUBLISHED).values_list("pk", flat=True)
    )
    sums = dict(
        SignatureCount.objects.values("campaign_id")
        .annotate(n=Sum("confirmed"))
        .order_by()
        .values_list("campaign_id", "n")
    )
    shown = dict(Campaign.objects.filter(pk__in=list(sums)).values_list("pk", "signature_count"))
    drifted = {pk for pk, n in sums.items() if shown.get(pk) is not None and shown[pk] != n}
    return sorted(open_ids | drifted)


def reconcile_counts(campaign_ids: list[int] | None = None) -> dict[int, int]:
    """Reconcile these campaigns (default: see campaigns_to_reconcile), one transaction each."""
    ids = campaigns_to_reconcile() if campaign_ids is None else campaign_ids
    existing = set(Campaign.objects.filter(pk__in=ids).values_list("pk", flat=True))
    return {campaign_id: reconcile(campaign_id) for campaign_id in ids if campaign_id in existing}


# -- Convergence without beat ----------------------------------------------------------------


def after_confirmation(campaign_id: int) -> None:
    """Keep Campaign.signature_count converging; call after a confirmation has committed.

    The first confirmation after a quiet spell reconciles at once (inline in the embedded
    default, on a worker otherwise). Later ones within the interval schedule one more
    reconcile at its end, at most one pending per campaign.
    """
    interval = reconcile_interval()
    if cache.add(_fresh_key(campaign_id), 1, timeout=interval):
        _run_now(campaign_id)
    elif cache.add(_pending_key(campaign_id), 1, timeout=interval * 3):
        _run_later(campaign_id, interval)


def _eager() -> bool:
    from idei.celery import app

    return bool(app.conf.task_always_eager)


def _run_now(campaign_id: int) -> None:
    from .tasks import reconcile_signature_counts

    try:
        reconcile_signature_counts.delay(campaign_id=campaign_id)
    except Exception:
        # The confirmation has committed; the count catches up at the next reconcile.
        logger.exception("counts: reconcile of campaign %s failed", campaign_id)


def _run_later(campaign_id: int, delay: int) -> None:
    from .tasks import reconcile_signature_counts

    if not _eager():
        reconcile_signature_counts.apply_async(kwargs={"campaign_id": campaign_id}, countdown=delay)
        return
    # Embedded default: no worker, no beat. A daemon timer thread in this process runs the
    # reconcile at the end of the interval (lost if the process stops: the next confirmation
    # or any beat repairs it).
    timer = threading.Timer(delay, _reconcile_in_thread, args=[campaign_id])
    timer.daemon = True
    timer.start()


def _reconcile_in_thread(campaign_id: int) -> None:
    close_old_connections()
    try:
        reconcile_counts([campaign_id])
    except Exception:
        logger.exception("counts: delayed reconcile of campaign %s failed", campaign_id)
        cache.delete(_pending_key(campaign_id))
    finally:
        connections.close_all()
