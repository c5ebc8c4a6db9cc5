"""Exactly one beat acts: django-celery-beat's scheduler, behind a PostgreSQL advisory lock.

Every beat process tries to hold one session-level advisory lock on a connection of its own.
The one that holds it sends the periodic tasks; any other waits, sends nothing, and tries
again every few seconds, so a second beat started by mistake doubles nothing, and takes over
within seconds if the first one dies (its connection closes, and the lock with it). A beat
taking over may run a task once early (its schedule is as it read it at start-up, refreshed
by django-celery-beat within 5 minutes): periodic work here is idempotent. On SQLite
(the embedded default, one process) there is no lock to take: the beat always acts.
"""

import contextlib
import logging
import time

from celery.beat import SchedulingError
from django.conf import settings
from django.db import DatabaseError, connections
from django.utils import timezone
from django_celery_beat.schedulers import DatabaseScheduler

from idei.outbox import durable

logger = logging.getLogger(__name__)

# The advisory lock's key (any bigint; advisory locks are per database).
LOCK_KEY = 0x1DE1_BEA7
# How often a waiting beat tries the lock again.
STANDBY_RETRY_SECONDS = 5.0
# How often the acting beat looks whether Redis lost the marks of the sweeps (a GET each; see
# durable.redis_was_emptied): a sweep whose mark is gone is sent at once, so that what Redis
# lost goes out again seconds after Redis returns, not at the sweep's next minute.
MARK_CHECK_SECONDS = 5.0
# A sweep sent for a missing mark is sent again, if the mark is still missing, only after
# this long: it may wait in the queue behind busy workers before it puts the mark back.
MARK_RESEND_SECONDS = 60.0


class BeatLock:
    """The advisory lock, on a connection of its own (not the one Django reuses and resets)."""

    def __init__(self):
        self.connection = None
        self.held = False

    def holds(self) -> bool:
        """Whether this process holds the lock now: takes it if free, checks it if held."""
        try:
            if self.connection is None:
                # Behind a transaction pooler, "direct" is PostgreSQL itself (settings).
                alias = "direct" if "direct" in settings.DATABASES else "default"
                self.connection = connections.create_connection(alias)
            if self.connection.vendor != "postgresql":
                return True
            with self.connection.cursor() as cursor:
                if self.held:
                    cursor.execute("SELECT 1")  # the session lives: the lock is still ours
                else:
                    cursor.execute("SELECT pg_try_advisory_lock(%s)", [LOCK_KEY])
                    self.held = bool(cursor.fetchone()[0])
        except DatabaseError:
            # The session (and the lock with it) is gone: start afresh at the next tick.
            logger.warning("beat: lost the database connection of the beat lock")
            self.release()
        return self.held

    def release(self) -> None:
        self.held = False
        if self.connection is not None:
            with contextlib.suppress(DatabaseError):  # closing a broken connection
                self.connection.close()
            self.connection = None


class SingleBeatScheduler(DatabaseScheduler):
    """DatabaseScheduler that sends tasks only while it holds the beat lock."""

    def __init__(self, *args, **kwargs):
        self.beat_lock = BeatLock()
        self.acting: bool | None = None  # not known until the first tick
        self.marks_checked_at = float("-inf")
        self.mark_sweeps_sent: dict[str, float] = {}  # entry name -> time.monotonic()
        super().__init__(*args, **kwargs)

    def tick(self, *args, **kwargs):
        if not self.beat_lock.holds():
            if self.acting is not False:
                logger.warning("beat: another beat holds the beat lock; standing by")
            self.acting = False
            return min(STANDBY_RETRY_SECONDS, self.max_interval)
        if self.acting is not True:
            logger.info("beat: holds the beat lock; sending periodic tasks")
            self.acting = True
        self.sweep_if_redis_was_emptied()
        return super().tick(*args, **kwargs)

    def sweep_if_redis_was_emptied(self) -> None:
        """Send now each sweep (a task with `redis_mark`) whose mark in Redis is gone."""
        now = time.monotonic()
        if now - self.marks_checked_at < MARK_CHECK_SECONDS:
            return
        self.marks_checked_at = now
        for entry in list(self.schedule.values()):
            reader = getattr(self.app.tasks.get(entry.task), "redis_mark", None)
            if not reader:
                continue
            if not durable.mark_missing(reader):
                # The sweep ran since (or Redis cannot be reached): a later loss sends it again.
                self.mark_sweeps_sent.pop(entry.name, None)
                continue
            if now - self.mark_sweeps_sent.get(entry.name, float("-inf")) < MARK_RESEND_SECONDS:
                continue
            self.mark_sweeps_sent[entry.name] = now
            logger.warning("beat: Redis lost its data; sending %s now", entry.name)
            try:
                self.apply_async(entry, advance=False)
            except SchedulingError:
                # Redis is back for the GET but not yet for the task: the next check retries.
                logger.warning("beat: could not send %s", entry.name, exc_info=True)
                self.mark_sweeps_sent.pop(entry.name, None)

    def apply_async(self, entry, producer=None, advance=True, **kwargs):
        """Each run is recorded in the database before it is sent (idei/outbox/durable.py):
        if Redis loses it, the outbox sweep sends it again within minutes, not at the next run.
        """
        entry = self.reserve(entry) if advance else entry
        task = self.app.tasks.get(entry.task)
        if task is None:  # a task this process does not know: sent as usual
            return super().apply_async(entry, producer=producer, advance=False, **kwargs)
        try:
            key = f"beat:{entry.name}:{timezone.now():%Y%m%dT%H%M%S}"
            options = {**entry.options, "headers": {**entry.options.get("headers", {})}}
            options["headers"]["celery_beat_task"] = True
            return durable.send_durably(task, entry.args, entry.kwargs, key=key, **options)
        except Exception as error:
            raise SchedulingError(f"Couldn't apply scheduled task {entry.name}: {error}") from error
        finally:
            self._tasks_since_sync += 1
            if self.should_sync():
                self._do_sync()

    def close(self):
        super().close()
        self.beat_lock.release()
