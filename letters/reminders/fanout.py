"""Reminders fan-out: who is due today in their own time zone, then send in chunks, once.

Beat runs `send_due_reminders` every hour, so each time zone's local day is covered 24 times:
a run finds, per time zone, the reminders due on that zone's local date, walks the active
subscriptions of those zones in id order (keyset pagination, one chunk in memory at a time)
and enqueues one batch task per chunk. A batch renders its chunk, writes one outbox row per
subscriber under the key `reminder:<subscription>:<reminder>:<year>` and sends the rows over
one SMTP connection. The unique key makes every re-run, a second beat by mistake and a Redis
restart harmless: a row is created once, claimed once, and swept again if a worker died.
"""

import datetime
import logging
import threading
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from zoneinfo import ZoneInfoNotFoundError

from django.db.models import CharField, Exists, OuterRef, Q, Value
from django.db.models.functions import Cast, Concat
from django.urls import reverse
from django.utils import timezone

from campaigns.models import Campaign, Membership
from idei.mail import absolute_url, render_email
from idei.outbox import services as outbox
from idei.outbox.models import OutgoingMessage, ref

from ..models import MessageKind, Reminder, Subscription
from ..responses import yearly
from .content import MissingReminderText, ReminderRunContext, reminder_headers, render_reminder
from .schedule import local_date, observance_year_if_due

logger = logging.getLogger(__name__)

Status = OutgoingMessage.Status
Kind = MessageKind

# Subscriptions per batch task: one task renders and sends this many over one connection.
CHUNK_SIZE = 500
# A worker process keeps the shared content of this many recent runs (texts, cases, campaigns).
CONTEXT_CACHE_SIZE = 2
# Coordinators hear about a published campaign this many days before it closes.
CLOSING_SOON_DAYS = 3
COORDINATOR_ROLES = (Membership.Role.OWNER, Membership.Role.COORDINATOR)
# The fields a reminder needs from a subscription (never the consent text's history).
SUBSCRIPTION_FIELDS = (
    "id",
    "email",
    "email_key",
    "country",
    "language",
    "unsubscribe_token",
    "consent_record",
    "confirmed_at",
    "created_at",
)


def active_subscriptions():
    """Confirmed and not unsubscribed, bounced or erased: the partial index's condition."""
    return Subscription.objects.filter(
        confirmed_at__isnull=False,
        unsubscribed_at__isnull=True,
        bounced_at__isnull=True,
        erased_at__isnull=True,
    )


def reminder_key(subscription_id: int, reminder_id: int, observance_year: int) -> str:
    return f"reminder:{subscription_id}:{reminder_id}:{observance_year}"


def not_yet_handled(queryset, reminder_id: int, observance_year: int):
    """Subscriptions without an outbox row for this reminder that left the queue.

    Rows still queued (their task was lost) stay in, so that a re-run sends them; the
    unique index on the key answers each lookup.
    """
    key = Concat(
        Value("reminder:"),
        Cast("id", CharField()),
        Value(f":{reminder_id}:{observance_year}"),
        output_field=CharField(),
    )
    handled = OutgoingMessage.objects.filter(idempotency_key=OuterRef("reminder_key")).exclude(
        status=Status.QUEUED
    )
    return queryset.alias(reminder_key=key).filter(~Exists(handled))


# -- The due run -------------------------------------------------------------------------------


@dataclass
class DueReminder:
    """One reminder due for some time zones, and what the run did about it."""

    reminder_id: int
    name: str
    days_before: int
    observance_year: int
    time_zones: list[str]
    recipients: int = 0
    batches: int = 0


@dataclass
class DueReport:
    dry_run: bool
    as_of_date: datetime.date | None
    reminders: list[DueReminder] = field(default_factory=list)
    coordinator_reminders: dict[str, int] = field(default_factory=dict)
    skipped_time_zones: list[str] = field(default_factory=list)

    @property
    def recipients(self) -> int:
        return sum(due.recipients for due in self.reminders)

    @property
    def batches(self) -> int:
        return sum(due.batches for due in self.reminders)

    def as_dict(self) -> dict:
        data = asdict(self)
        data["as_of_date"] = self.as_of_date.isoformat() if self.as_of_date else None
        data["recipients"], data["batches"] = self.recipients, self.batches
        return data


def due_reminders(
    now: datetime.datetime, as_of_date: datetime.date | None = None
) -> tuple[list[DueReminder], list[str]]:
    """The active reminders due today in each time zone that has active subscriptions."""
    zones = sorted(active_subscriptions().order_by().values_list("time_zone", flat=True).distinct())
    reminders = list(Reminder.objects.filter(is_active=True).order_by("-days_before", "pk"))
    due: dict[tuple[int, int], DueReminder] = {}
    skipped = []
    for zone in zones:
        try:
            today = as_of_date or local_date(now, zone)
        except (ZoneInfoNotFoundError, ValueError):
            # Forms only accept known zones; a row that slipped through is reported, not
            # guessed at (a reminder on the wrong day is worse than an error to fix).
            logger.error("reminders: unknown time zone %r; its subscribers were skipped", zone)
            skipped.append(zone)
            continue
        for reminder in reminders:
            year = observance_year_if_due(reminder.days_before, today)
            if year is None:
                continue
            entry = due.setdefault(
                (reminder.pk, year),
                DueReminder(reminder.pk, reminder.name, reminder.days_before, year, []),
            )
            entry.time_zones.append(zone)
    return list(due.values()), skipped


def recipient_chunks(
    reminder_id: int, observance_year: int, time_zones: list[str], chunk_size: int = CHUNK_SIZE
) -> Iterator[list[int]]:
    """Ids of the subscriptions still to remind, in chunks of `chunk_size`.

    Keyset pagination per time zone on the (time_zone, id) partial index: one query per chunk
    and never more than two chunks of ids in memory, however many subscribers there are.
    """
    pending = not_yet_handled(active_subscriptions(), reminder_id, observance_year)
    buffer: list[int] = []
    for zone in time_zones:
        last = 0
        while True:
            ids = list(
                pending.filter(time_zone=zone, id__gt=last)
                .order_by("id")
                .values_list("id", flat=True)[:chunk_size]
            )
            if not ids:
                break
            last = ids[-1]
            buffer.extend(ids)
            while len(buffer) >= chunk_size:
                yield buffer[:chunk_size]
                buffer = buffer[chunk_size:]
            if len(ids) < chunk_size:
                break
    if buffer:
        yield buffer


# -- One batch ---------------------------------------------------------------------------------


_contexts: "OrderedDict[str, object]" = OrderedDict()
_contexts_lock = threading.Lock()  # a threads pool, or eager batches of two beats in tests


def shared_context(run: str | None):
    """The rendering context of this run in this process: built on the first batch, then reused."""
    if run is None:
        return ReminderRunContext.build()
    with _contexts_lock:
        if run in _contexts:
            _contexts.move_to_end(run)
            return _contexts[run]
    context = ReminderRunContext.build()  # six queries, outside the lock
    with _contexts_lock:
        _contexts[run] = context
        while len(_contexts) > CONTEXT_CACHE_SIZE:
            _contexts.popitem(last=False)
    return context


def _render_rows(reminder, observance_year, subscriptions, shared) -> list[OutgoingMessage]:
    signed = shared.signed_campaign_ids_for([s.email_key for s in subscriptions])
    # "One year on": what happened to the cases each earlier signer signed for.
    year_on = yearly.year_updates(
        [s.email_key for s in subscriptions],
        signed_before=yearly_cut(observance_year),
        now=shared.now,
    )
    rows, missing = [], 0
    for subscription in subscriptions:
        try:
            rendered = render_reminder(
                subscription,
                reminder,
                observance_year=observance_year,
                shared=shared,
                signed_campaign_ids=signed.get(subscription.email_key, set()),
                year_on=year_on.get(subscription.email_key, []),
            )
        except MissingReminderText:
            missing += 1
            continue
        rows.append(
            OutgoingMessage(
                idempotency_key=reminder_key(subscription.pk, reminder.pk, observance_year),
                kind=Kind.REMINDER,
                to_email=subscription.email,
                subject=rendered.subject,
                body_text=rendered.text,
                body_html=rendered.html,
                headers=reminder_headers(subscription, shared),
            )
        )
    if missing:
        logger.error(
            "reminders: reminder %s has no text in English; %s subscribers not reminded",
            reminder.pk,
            missing,
        )
    return rows


def yearly_cut(observance_year: int) -> datetime.datetime:
    """Signatures before the end of last year's 2 November are an earlier year's."""
    return datetime.datetime(observance_year - 1, 11, 3, tzinfo=timezone.get_current_timezone())


def send_reminder_batch(
    reminder_id: int, observance_year: int, subscription_ids: list[int], run: str | None = None
) -> dict[str, int]:
    """Render, record and send one chunk of a reminder; safe to run any number of times.

    A subscriber whose row exists is skipped, unless the row is still queued (its task was
    lost): that row is sent now, and the claim keeps two batches from sending it twice.
    """
    counts = {"created": 0, "pending": 0, "already": 0, "inactive": 0}
    reminder = Reminder.objects.filter(pk=reminder_id, is_active=True).first()
    if reminder is None:
        return counts
    keys = {pk: reminder_key(pk, reminder_id, observance_year) for pk in subscription_ids}
    existing = {
        key: (pk, status)
        for pk, key, status in OutgoingMessage.objects.filter(
            idempotency_key__in=list(keys.values())
        ).values_list("pk", "idempotency_key", "status")
    }
    active = {
        subscription.pk: subscription
        for subscription in active_subscriptions()
        .filter(pk__in=subscription_ids)
        .only(*SUBSCRIPTION_FIELDS)
    }
    to_send, to_render, cancelled = [], [], []
    for subscription_id in subscription_ids:
        row = existing.get(keys[subscription_id])
        if row is None:
            if subscription_id in active:
                to_render.append(active[subscription_id])
            else:
                counts["inactive"] += 1
        elif row[1] != Status.QUEUED:
            counts["already"] += 1
        elif subscription_id in active:
            to_send.append(row[0])
            counts["pending"] += 1
        else:
            cancelled.append(row[0])
    if cancelled:
        # Unsubscribed (or bounced, or erased) after the row was written: never send it.
        counts["inactive"] += OutgoingMessage.objects.filter(
            pk__in=cancelled, status=Status.QUEUED
        ).update(status=Status.FAILED, last_error="subscription no longer active")
    if to_render:
        rows = _render_rows(reminder, observance_year, to_render, shared_context(run))
        # A concurrent batch (a second beat) may have written some keys first: keep theirs.
        OutgoingMessage.objects.bulk_create(rows, ignore_conflicts=True)
        created = list(
            OutgoingMessage.objects.filter(
                idempotency_key__in=[row.idempotency_key for row in rows], status=Status.QUEUED
            )
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        counts["created"] = len(created)
        to_send.extend(created)
    if to_send:
        counts.update(outbox.send_messages(to_send))
    return counts


# -- Coordinators ------------------------------------------------------------------------------


@dataclass(frozen=True)
class CoordinatorReminder:
    kind: str  # "closing" or "undelivered": templates/emails/coordinator_reminder_<kind>_*
    key: str
    user_id: int
    email: str
    campaign: Campaign
    context: dict


def last_observance(today: datetime.date) -> datetime.date | None:
    """The 2 November that has passed most recently (not counting today)."""
    this_year = datetime.date(today.year, 11, 2)
    return this_year if today > this_year else datetime.date(today.year - 1, 11, 2)


def coordinator_reminders_due(
    now: datetime.datetime, as_of_date: datetime.date | None = None
) -> list[CoordinatorReminder]:
    """Campaigns closing within CLOSING_SOON_DAYS, and petitions still undelivered after 2 November.

    Each goes to the campaign organisation's owners and coordinators, once per key: the
    closing date for the first kind, the year of the 2 November for the second.
    """
    if as_of_date is not None:
        now = datetime.datetime.combine(as_of_date, datetime.time.min, tzinfo=datetime.UTC)
    today = now.date()
    closing = (
        Campaign.objects.published()
        .filter(closes_at__gt=now, closes_at__lte=now + datetime.timedelta(days=CLOSING_SOON_DAYS))
        .select_related("organisation")
    )
    observance = last_observance(today)
    cutoff = datetime.datetime.combine(
        observance + datetime.timedelta(days=1), datetime.time.min, tzinfo=datetime.UTC
    )
    undelivered = (
        Campaign.objects.filter(delivery_mode=Campaign.DeliveryMode.PETITION)
        .filter(
            Q(status=Campaign.Status.PUBLISHED, closes_at__lte=cutoff)
            | Q(status=Campaign.Status.CLOSED, closes_at__lte=cutoff)
            | Q(
                status=Campaign.Status.CLOSED,
                history__to_status=Campaign.Status.CLOSED,
                history__changed_at__lte=cutoff,
            )
        )
        .distinct()
        .select_related("organisation")
    )
    wanted: list[tuple[str, Campaign, str, dict]] = [
        ("closing", campaign, campaign.closes_at.date().isoformat(), {}) for campaign in closing
    ] + [
        ("undelivered", campaign, str(observance.year), {"observance": observance})
        for campaign in undelivered
    ]
    if not wanted:
        return []
    members: dict[int, list] = {}
    for membership in (
        Membership.objects.filter(
            organisation__in={campaign.organisation_id for _, campaign, _, _ in wanted},
            role__in=COORDINATOR_ROLES,
            user__is_active=True,
        )
        .exclude(user__email="")
        .select_related("user")
        .order_by("pk")
    ):
        members.setdefault(membership.organisation_id, []).append(membership.user)
    due = []
    for kind, campaign, when, extra in wanted:
        for user in members.get(campaign.organisation_id, []):
            due.append(
                CoordinatorReminder(
                    kind=kind,
                    key=f"coordinator_reminder:{kind}:{campaign.pk}:{user.pk}:{when}",
                    user_id=user.pk,
                    email=user.email,
                    campaign=campaign,
                    context={"user": user, "campaign": campaign, **extra},
                )
            )
    return due


def queue_coordinator_reminders(
    now: datetime.datetime, *, as_of_date: datetime.date | None = None, dry_run: bool = False
) -> dict[str, int]:
    """Queue the coordinators' reminders not sent yet; counts by kind (would-be in a dry run)."""
    due = coordinator_reminders_due(now, as_of_date)
    existing = set(
        OutgoingMessage.objects.filter(
            idempotency_key__in=[reminder.key for reminder in due]
        ).values_list("idempotency_key", flat=True)
    )
    counts = {"closing": 0, "undelivered": 0}
    queued = []
    for reminder in due:
        if reminder.key in existing:
            continue
        counts[reminder.kind] += 1
        if dry_run:
            continue
        campaign = reminder.campaign
        rendered = render_email(
            f"coordinator_reminder_{reminder.kind}",
            {
                **reminder.context,
                "dashboard_url": absolute_url(reverse("dashboard:campaign", args=[campaign.slug])),
            },
        )
        message = outbox.enqueue(
            kind=Kind.COORDINATOR_REMINDER,
            key=reminder.key,
            to=reminder.email,
            subject=rendered.subject,
            body_text=rendered.text,
            body_html=rendered.html,
            group=ref(campaign),
            send=False,
        )
        if message.status == Status.QUEUED:
            queued.append(message.pk)
    outbox.schedule(queued)
    return counts
