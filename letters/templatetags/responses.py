"""Officials' responses on the pages of lower apps, without those apps importing letters.

The campaign page (templates/campaigns/), the case and country pages (templates/cases/) load
this library: a dependency from a template to the letters app, as the campaign page loads the
sign form (signing.py). The case page's timeline interleaves the judicial events it already has
with the published responses about the case (`case_timeline`).
"""

import datetime
from dataclasses import dataclass

from django import template
from django.utils import timezone

from cases.models import CaseStatusChange

from ..models import Response
from ..responses import records

register = template.Library()


def _published():
    return (
        Response.objects.published()
        .filter(campaign__status__in=["published", "closed", "delivered"])
        .select_related("target", "campaign")
        .order_by("-received_at", "-pk")
    )


@register.simple_tag
def published_responses_to(campaign):
    """Published responses to this campaign, newest first."""
    return list(_published().filter(campaign=campaign))


@register.simple_tag
def published_responses_in(country_code):
    """Published responses of this country's officials, newest first (at most 20)."""
    return list(_published().filter(target__country=country_code)[:20])


@register.simple_tag
def answer_rate_in(country_code):
    return records.answer_rate(country_code)


@dataclass
class TimelineEntry:
    date: datetime.date
    event: object = None
    response: object = None


@register.simple_tag
def case_timeline(case, events):
    """The case's judicial events and the published responses about it, in date order."""
    entries = [TimelineEntry(event.date, event=event) for event in events]
    entries += [
        TimelineEntry(timezone.localdate(response.received_at), response=response)
        for response in _published().filter(cases=case)
    ]
    return sorted(entries, key=lambda entry: entry.date)


@register.simple_tag
def since_last_run(campaign):
    """For a campaign run again: last time's count, and what happened since it started."""
    previous = campaign.previous
    if previous is None or previous.status == previous.Status.DRAFT:
        return None
    since = (
        previous.history.filter(to_status="published").values_list("changed_at", flat=True).first()
        or previous.created_at
    )
    return {
        "previous": previous,
        "changes": list(
            CaseStatusChange.objects.filter(
                case__in=previous.cases.filter(is_published=True), changed_at__gt=since
            ).select_related("case")
        ),
        "responses": list(_published().filter(campaign=previous)),
    }
