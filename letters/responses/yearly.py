""" "One year on": for an earlier signer's reminder, what happened to the cases they signed for.

For each case of each campaign the person signed in an earlier year (before the last
2 November): its judicial status changes since they signed, the responses published since,
the days of silence of the officials they wrote to (none answered), and this year's open
campaign about the case. A handful of queries per chunk of subscribers, whatever its size.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Q
from django.utils import timezone

from campaigns.models import Campaign
from cases.models import CaseStatusChange

from ..models import Response, Signature

CASES_LISTED = 5


@dataclass
class CaseYear:
    case: object
    signed_at: datetime.datetime
    campaign: object
    changes: list = field(default_factory=list)
    responses: list = field(default_factory=list)
    days_of_silence: int | None = None
    this_year: object = None  # an open campaign about the case, not the one signed


def year_updates(email_keys, *, signed_before: datetime.datetime, now=None):
    """email_key → [CaseYear], for signatures confirmed before `signed_before`."""
    now = now or timezone.now()
    signatures = list(
        Signature.objects.counted()
        .filter(
            email_key__in=list(email_keys),
            confirmed_at__lt=signed_before,
            erased_at__isnull=True,
        )
        .select_related("campaign")
        .order_by("confirmed_at")
    )
    if not signatures:
        return {}
    campaign_ids = {s.campaign_id for s in signatures}
    case_links = list(
        Campaign.cases.through.objects.filter(
            campaign_id__in=campaign_ids, case__is_published=True
        ).select_related("case")
    )
    cases_of = defaultdict(list)
    for link in case_links:
        cases_of[link.campaign_id].append(link.case)
    case_ids = {link.case_id for link in case_links}
    changes = defaultdict(list)
    for change in CaseStatusChange.objects.filter(case_id__in=case_ids).order_by("changed_at"):
        changes[change.case_id].append(change)
    responses = defaultdict(list)
    answered = set()
    for response in (
        Response.objects.answers().filter(campaign_id__in=campaign_ids).select_related("target")
    ):
        answered.add(response.campaign_id)
        if response.status == Response.Status.PUBLISHED:
            responses[response.campaign_id].append(response)
    open_about = {}
    open_campaigns = (
        Campaign.objects.published()
        .filter(Q(closes_at__isnull=True) | Q(closes_at__gt=now), cases__in=case_ids)
        .exclude(pk__in=campaign_ids)
        .order_by("-created_at")
        .values_list("cases", "pk")
    )
    campaign_objects = {}
    for case_id, campaign_id in open_campaigns:
        open_about.setdefault(case_id, campaign_id)
        campaign_objects[campaign_id] = None
    for campaign in Campaign.objects.filter(pk__in=list(campaign_objects)).prefetch_related(
        "translations"
    ):
        campaign_objects[campaign.pk] = campaign

    updates = defaultdict(list)
    seen = set()
    for signature in signatures:
        for case in cases_of[signature.campaign_id]:
            if (signature.email_key, case.pk) in seen:
                continue
            seen.add((signature.email_key, case.pk))
            signed = signature.confirmed_at
            updates[signature.email_key].append(
                CaseYear(
                    case=case,
                    signed_at=signed,
                    campaign=signature.campaign,
                    changes=[c for c in changes[case.pk] if c.changed_at > signed],
                    responses=[
                        r
                        for r in responses[signature.campaign_id]
                        if r.published_at and r.published_at > signed
                    ],
                    days_of_silence=None
                    if signature.campaign_id in answered
                    else (now - signed).days,
                    this_year=campaign_objects.get(open_about.get(case.pk)),
                )
            )
    return {key: items[:CASES_LISTED] for key, items in updates.items()}
