"""A campaign's confirmed count, as pages and the API show it: Campaign.signature_count.

A confirmation writes nothing here: `reconcile_counts` sets the shown count from an exact COUNT
in one UPDATE, so confirmations never queue on a counter row. Beat runs it every 30 s; after a
confirmation, tasks.reconcile_soon() runs it at once after a quiet spell and at most once more
per interval in a burst, so that the figure converges within a minute even where no beat runs
(the embedded default).
"""

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce

from campaigns.models import Campaign
from idei import page_cache

from ..models import Signature

RECENT_SIGNERS = 8


def reconcile_interval() -> int:
    """Seconds between reconciles of one campaign (30; tests may shorten it in settings)."""
    return getattr(settings, "SIGNATURE_COUNT_RECONCILE_SECONDS", 30)


def fresh_key(campaign_id: int) -> str:
    return f"letters:count-reconciled:{campaign_id}"


def pending_key(campaign_id: int) -> str:
    return f"letters:count-pending:{campaign_id}"


# -- Reading -------------------------------------------------------------------------------


def recent_signers(campaign, limit: int = RECENT_SIGNERS) -> list[dict]:
    """First name and country of the latest counted signers who agreed to be shown.

    Read by the (campaign, confirmed_at) index, newest first; erased signatures never appear.
    """
    rows = (
        Signature.objects.counted()
        .filter(campaign=campaign, consent_show_first_name=True, erased_at__isnull=True)
        .order_by("-confirmed_at")
        .only("name", "country", "confirmed_at")[:limit]
    )
    return [
        {"first_name": row.first_name, "country": row.country, "confirmed_at": row.confirmed_at}
        for row in rows
        if row.first_name
    ]


# -- Reconciling -----------------------------------------------------------------------------


def _exact_count():
    confirmed = (
        Signature.objects.counted()
        .filter(campaign=OuterRef("pk"))
        .order_by()
        .values("campaign")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(confirmed), 0)


def reconcile_counts(campaign_ids: list[int] | None = None) -> dict[int, int]:
    """Set the shown count of these campaigns (default: all) from an exact COUNT; the counts.

    One UPDATE for all of them, writing only rows whose count changed. All, not only the open
    ones: a confirmation that commits just as its campaign closes must still be shown. The
    COUNT reads the (campaign, confirmed_at) index only.
    """
    campaigns = Campaign.objects.all()
    if campaign_ids is not None:
        campaigns = campaigns.filter(pk__in=campaign_ids)
    exact = _exact_count()
    with transaction.atomic():
        changed = campaigns.filter(~Q(signature_count=exact)).update(signature_count=exact)
        if changed:
            # The campaign's page shows the count and the latest signers (idei.page_cache).
            transaction.on_commit(page_cache.invalidate)
        done = dict(campaigns.values_list("pk", "signature_count"))
    for campaign_id in done:
        cache.set(fresh_key(campaign_id), 1, timeout=reconcile_interval())
        cache.delete(pending_key(campaign_id))
    return done
