"""Tasks that survive a Redis that loses its data: the database keeps each until it has run.

`send_durably(task, args)` writes a DurableTask row and sends the task after commit, under a
task id of the row's; a task that succeeds deletes its row (tasks.forget_durable_task, on
Celery's task_success signal). The outbox sweep (every minute) sends again, with the same id,
every row older than STALE_AFTER: a batch of reminders or a beat run that Redis lost is found
within about two minutes, instead of at the next hourly or daily run.

When Redis has lost everything at once (a restart without persistence, a FLUSHALL), the sweep
does not wait those two minutes: `redis_was_emptied` notices that a mark it keeps in Redis is
gone, and the sweep then sends again every task and message still waiting, at once. Nor does
it wait for its next minute: the beat looks for the mark every few seconds (`mark_missing`,
idei/beat.py) and sends the sweep as soon as the mark is gone.
"""

import logging
import uuid
from datetime import timedelta

from celery import current_app
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils import timezone

from idei.celery import tasks_run_inline

from .models import DurableTask

logger = logging.getLogger(__name__)

TASK_ID_PREFIX = "durable:"
STALE_AFTER = timedelta(minutes=2)
# A task sent this many times without succeeding is given up (and logged): a bug, not Redis.
MAX_SENDS = 30


# The mark redis_was_emptied keeps in Redis (through the cache, which lives in the broker's
# Redis: REDIS_URL), one per reader; it never expires.
EMPTIED_MARK_KEY = "outbox:redis-mark:"


# What of apply_async's options is kept for a second sending (all JSON).
KEPT_OPTIONS = ("queue", "exchange", "routing_key", "priority", "headers")


def send_durably(
    task, args=(), kwargs=None, *, key: str = "", after_commit: bool = True, **options
) -> str:
    """Send `task` (after commit, or now) and keep it until it has run; returns its task id.

    `key` names one run (e.g. a beat entry and its time): sending the same key again while
    the first has not run sends nothing more. `after_commit=False` for a caller that wrote
    nothing the task needs. `options`: routing, as for apply_async.
    """
    task_id = TASK_ID_PREFIX + (key or uuid.uuid4().hex)
    args, kwargs = list(args), dict(kwargs or {})
    options = {name: options[name] for name in KEPT_OPTIONS if options.get(name) not in (None, "")}
    try:
        with transaction.atomic():
            DurableTask.objects.create(
                task_id=task_id, name=task.name, args=args, kwargs=kwargs, options=options
            )
    except IntegrityError:
        return task_id  # this run is recorded already, and will be sent or swept

    def send():
        task.apply_async(args, kwargs, task_id=task_id, **options)

    if after_commit:
        transaction.on_commit(send)
    else:
        send()
    return task_id


def forget(task_id: str | None) -> None:
    """The task ran: its row is no longer needed."""
    if task_id and task_id.startswith(TASK_ID_PREFIX):
        DurableTask.objects.filter(task_id=task_id).delete()


def redis_was_emptied(reader: str) -> bool:
    """True once after Redis lost its data since this reader last asked (and the first time).

    The mark is a key without expiry: only a Redis that lost everything (a restart without
    persistence, FLUSHALL, FLUSHDB) has lost it too. A Redis that cannot be reached answers
    False: the usual stale-after delays then apply.
    """
    if tasks_run_inline():
        return False
    try:
        return bool(cache.add(EMPTIED_MARK_KEY + reader, timezone.now().isoformat(), None))
    except Exception:
        logger.warning("outbox: cannot read the mark in Redis", exc_info=True)
        return False


def mark_missing(reader: str) -> bool:
    """Whether `reader`'s mark is gone from Redis, without putting it back (the beat asks).

    False when tasks run inline or Redis cannot be reached.
    """
    from idei.celery import tasks_run_inline

    if tasks_run_inline():
        return False
    try:
        return cache.get(EMPTIED_MARK_KEY + reader) is None
    except Exception:  # Redis is down: nothing to send the sweep through yet
        return False


def send_lost_again(now=None, stale_after: timedelta = STALE_AFTER) -> int:
    """Send again, same task id, each task not run within `stale_after`; how many."""
    now = now or timezone.now()
    resent = 0
    for row in DurableTask.objects.filter(sent_at__lte=now - stale_after).order_by("sent_at")[
        :1000
    ]:
        if row.sends >= MAX_SENDS:
            logger.error("outbox: task %s (%s) never succeeded; given up", row.task_id, row.name)
            row.delete()
            continue
        claimed = DurableTask.objects.filter(pk=row.pk, sent_at=row.sent_at).update(
            sent_at=now, sends=row.sends + 1
        )
        if claimed:  # another sweep did not take it first
            current_app.send_task(
                row.name, row.args, row.kwargs, task_id=row.task_id, **row.options
            )
            resent += 1
    return resent
