"""The public record of each official written to: letters delivered, since when, answers.

Read on the officials' pages, the country pages and the API. Figures come from the rows that
say what happened: outbox messages sent (letters, digests, petitions) and moderated responses.
A letter counts as delivered when its own message was sent ("each" mode), or when a digest or
petition to its official in its campaign was sent after it was written.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import CharField, Count, Exists, F, Min, OuterRef, Q, Subquery, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone

from campaigns.models import Campaign, Target
from idei.outbox.models import OutgoingMessage

from ..models import Letter, MessageKind, Response

SENT = OutgoingMessage.Status.SENT
PUBLIC_STATUSES = [
    Campaign.Status.PUBLISHED,
    Campaign.Status.CLOSED,
    Campaign.Status.DELIVERED,
]


@dataclass
class OfficialRecord:
    target_id: int
    letters_delivered: int = 0
    first_letter_at: datetime.datetime | None = None
    responses_published: int = 0
    answered: bool = False
    campaign_ids: frozenset = frozenset()

    @property
    def days_without_reply(self) -> int | None:
        """Days since the first letter, if no answer came yet (published or kept private)."""
        if self.answered or self.first_letter_at is None:
            return None
        return (timezone.localdate() - timezone.localdate(self.first_letter_at)).days


def _ref_id(reference: str) -> int | None:
    _label, _, pk = reference.rpartition(":")
    return int(pk) if pk.isdigit() else None


def official_records(target_ids=None) -> dict[int, OfficialRecord]:
    """target id → its record, for the officials given (all written to when None)."""
    if target_ids is not None and not target_ids:
        return {}  # a country with no official: no query to build (country pages)
    records: dict[int, OfficialRecord] = {}
    campaigns: dict[int, set[int]] = defaultdict(set)

    def record(target_id: int) -> OfficialRecord:
        if target_id not in records:
            records[target_id] = OfficialRecord(target_id)
        return records[target_id]

    def note(target_id, campaign_id, count, first):
        entry = record(target_id)
        entry.letters_delivered += count
        if first and (entry.first_letter_at is None or first < entry.first_letter_at):
            entry.first_letter_at = first
        campaigns[target_id].add(campaign_id)

    # Letters sent one by one: their own message was sent.
    letters = Letter.objects.filter(
        signature__campaign__delivery_mode=Campaign.DeliveryMode.EACH,
        signature__held_by__isnull=True,
    )
    if target_ids is not None:
        letters = letters.filter(target_id__in=list(target_ids))
    sent_letter = OutgoingMessage.objects.filter(
        kind=MessageKind.LETTER,
        status=SENT,
        idempotency_key=Concat(Value("letter:"), Cast(OuterRef("pk"), CharField())),
    )
    for target_id, campaign_id, count, first in (
        letters.filter(Exists(sent_letter))
        .values_list("target_id", "signature__campaign_id")
        .annotate(n=Count("id"), first=Min("created_at"))
        .order_by()
    ):
        note(target_id, campaign_id, count, first)

    # Digests and petitions: the letters written before the last one sent (two queries).
    batch_kinds = [MessageKind.DIGEST, MessageKind.PETITION]
    batches = OutgoingMessage.objects.filter(kind__in=batch_kinds, status=SENT)
    if target_ids is not None:
        batches = batches.filter(about__in=[f"campaigns.target:{pk}" for pk in target_ids])
    first_batch = {}
    for group, about, first in (
        batches.values_list("group", "about").annotate(first=Min("sent_at")).order_by()
    ):
        if _ref_id(group) is not None and _ref_id(about) is not None:
            first_batch[_ref_id(about), _ref_id(group)] = first
    if first_batch:
        last_sent = (
            OutgoingMessage.objects.filter(
                kind__in=batch_kinds,
                status=SENT,
                group=Concat(
                    Value("campaigns.campaign:"),
                    Cast(OuterRef("signature__campaign_id"), CharField()),
                ),
                about=Concat(Value("campaigns.target:"), Cast(OuterRef("target_id"), CharField())),
            )
            .order_by("-sent_at")
            .values("sent_at")[:1]
        )
        batch_letters = Letter.objects.filter(
            signature__campaign__delivery_mode__in=[
                Campaign.DeliveryMode.DIGEST,
                Campaign.DeliveryMode.PETITION,
            ],
            signature__held_by__isnull=True,
            target_id__in=list({target_id for target_id, _ in first_batch}),
        )
        for target_id, campaign_id, count in (
            batch_letters.annotate(last=Subquery(last_sent))
            .filter(created_at__lte=F("last"))
            .values_list("target_id", "signature__campaign_id")
            .annotate(n=Count("id"))
            .order_by()
        ):
            note(target_id, campaign_id, count, first_batch.get((target_id, campaign_id)))

    responses = Response.objects.all()
    if target_ids is not None:
        responses = responses.filter(target_id__in=list(target_ids))
    for target_id, published, answers in (
        responses.values_list("target_id")
        .annotate(
            published=Count("id", filter=Q(status=Response.Status.PUBLISHED)),
            answers=Count(
                "id",
                filter=Q(status__in=[Response.Status.PUBLISHED, Response.Status.PRIVATE]),
            ),
        )
        .order_by()
    ):
        if target_id in records:
            records[target_id].responses_published = published
            records[target_id].answered = answers > 0
    for target_id, ids in campaigns.items():
        records[target_id].campaign_ids = frozenset(ids)
    return records


def officials_written_to(country: str | None = None):
    """Officials with at least one letter delivered, with their records, in name order."""
    in_country = None
    if country:  # only this country's officials are counted
        in_country = list(Target.objects.filter(country=country).values_list("pk", flat=True))
    records = official_records(in_country)
    if not records:
        return []
    targets = Target.objects.filter(pk__in=list(records)).order_by("country", "name")
    return [(target, records[target.pk]) for target in targets]


@dataclass
class AnswerRate:
    written_to: int
    answered: int

    @property
    def percent(self) -> int | None:
        return round(100 * self.answered / self.written_to) if self.written_to else None


def answer_rate(country: str) -> AnswerRate:
    """How many of a country's officials written to have answered."""
    rows = officials_written_to(country)
    return AnswerRate(len(rows), sum(1 for _target, record in rows if record.answered))


def official(target_id: int):
    """(target, record) of an official written to or addressed by a public campaign; else None."""
    record = official_records([target_id]).get(target_id)
    targets = Target.objects.filter(pk=target_id)
    if record is None:
        targets = targets.filter(campaigns__status__in=PUBLIC_STATUSES)
    target = targets.first()
    if target is None:
        return None
    return target, record or OfficialRecord(target_id)
