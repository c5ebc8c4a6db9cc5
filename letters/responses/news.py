"""Signers hear what happened: an official they wrote to answered, a case they signed for
changed judicial status. At most one message a week per person (SignerNews), a digest of
everything new since the last one, only to those who agreed to hear from the organisation,
through the outbox, with one-click unsubscribe (List-Unsubscribe of their signature).
"""

import datetime
import hashlib
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from campaigns.models import Campaign
from cases.models import CaseStatusChange
from idei.mail import absolute_url, render_email
from idei.outbox import services as outbox
from idei.outbox.models import ref

from ..delivery import links
from ..models import MessageKind, Response, Signature, SignerNews

NEWS_INTERVAL = datetime.timedelta(days=7)
# Events older than this are not news any more.
LOOK_BACK = datetime.timedelta(days=60)


@dataclass
class PersonNews:
    email_key: str
    signature: Signature  # the newest of theirs: address, language, unsubscribe link
    responses: list = field(default_factory=list)
    status_changes: list = field(default_factory=list)


def news_key(email_key: str, now) -> str:
    digest = hashlib.sha256(email_key.encode()).hexdigest()[:32]
    return f"signer_news:{digest}:{now:%Y%m%d%H%M}"


def gather(now) -> dict[str, PersonNews]:
    """Everyone with something new since their last news (or since they signed)."""
    since = now - LOOK_BACK
    responses = list(
        Response.objects.published()
        .filter(published_at__gte=since, published_at__lte=now)
        .select_related("target", "campaign")
        .prefetch_related("campaign__translations")  # titles in each signer's language
    )
    changes = list(
        CaseStatusChange.objects.filter(changed_at__gte=since, changed_at__lte=now)
        .select_related("case")
        .filter(case__is_published=True)
    )
    by_campaign = defaultdict(list)
    for response in responses:
        by_campaign[response.campaign_id].append(response)
    changes_by_case = defaultdict(list)
    for change in changes:
        changes_by_case[change.case_id].append(change)
    cases_of_campaign = defaultdict(set)
    for campaign_id, case_id in Campaign.cases.through.objects.filter(
        case_id__in=list(changes_by_case)
    ).values_list("campaign_id", "case_id"):
        cases_of_campaign[campaign_id].add(case_id)
    campaign_ids = set(by_campaign) | set(cases_of_campaign)
    if not campaign_ids:
        return {}
    signatures = list(
        Signature.objects.counted()
        .filter(
            campaign_id__in=campaign_ids,
            consent_updates=True,
            erased_at__isnull=True,
            bounced_at__isnull=True,
        )
        .select_related("campaign__organisation")
        .order_by("confirmed_at", "pk")
    )
    sent = dict(
        SignerNews.objects.filter(email_key__in={s.email_key for s in signatures}).values_list(
            "email_key", "covered_until"
        )
    )
    people: dict[str, PersonNews] = {}
    for signature in signatures:
        start = max(signature.confirmed_at, sent.get(signature.email_key) or signature.confirmed_at)
        person = people.setdefault(signature.email_key, PersonNews(signature.email_key, signature))
        person.signature = signature
        for response in by_campaign.get(signature.campaign_id, []):
            if response.published_at > start and response not in person.responses:
                person.responses.append(response)
        for case_id in cases_of_campaign.get(signature.campaign_id, ()):
            for change in changes_by_case[case_id]:
                if change.changed_at > start and change not in person.status_changes:
                    person.status_changes.append(change)
    return {key: p for key, p in people.items() if p.responses or p.status_changes}


def send_signer_news(now=None) -> int:
    """Queue the news due now; returns how many messages. Safe to run any number of times."""
    now = now or timezone.now()
    queued = 0
    for email_key, person in gather(now).items():
        with transaction.atomic():
            row = SignerNews.objects.select_for_update().filter(email_key=email_key).first()
            if row is not None and row.last_sent_at > now - NEWS_INTERVAL:
                continue  # the next run after a week sends what is new by then
            message = render_news(person)
            outbox.enqueue(
                kind=MessageKind.SIGNER_NEWS,
                key=news_key(email_key, now),
                to=person.signature.email,
                subject=message.subject[:300],
                body_text=message.text,
                body_html=message.html,
                headers=links.unsubscribe_headers(person.signature),
                group=ref(person.signature.campaign),
                about=ref(person.signature),
            )
            SignerNews.objects.update_or_create(
                email_key=email_key, defaults={"last_sent_at": now, "covered_until": now}
            )
            queued += 1
    return queued


def render_news(person: PersonNews):
    signature = person.signature
    headers = links.unsubscribe_headers(signature)
    context = {
        "responses": [
            {
                "target": response.target,
                "campaign": response.campaign,
                "text": response.public_text or response.text,
                "url": absolute_url(reverse("letters:official", args=[response.target_id])),
            }
            for response in person.responses
        ],
        "changes": [
            {
                "change": change,
                "case": change.case,
                "url": absolute_url(change.case.get_absolute_url()),
            }
            for change in person.status_changes
        ],
        "organisation": signature.campaign.organisation,
        "unsubscribe_url": headers["List-Unsubscribe"].strip("<>"),
        "preferences_url": links.preferences_url(signature_id=signature.pk),
    }
    return render_email("signer_news", context, language=signature.language)
