"""Slow (about a minute a test): reminders survive a killed worker and a Redis restart.

Real services throughout: a private redis-server started on a free port (restarting it never
touches anyone else's Redis), Celery worker processes (prefork, concurrency 2) reading the
pytest database, and an SMTP server on loopback that records every Message-ID it accepts. The
Message-ID is stable per outbox key, so a message accepted twice shows up as a repeated ID.

The round: 3,000 subscribers in 30 batches. After some hundreds have arrived, the server holds
its replies to DATA until every worker process is inside a conversation; then one worker is
killed with SIGKILL (or stopped with SIGTERM), a new one starts, Redis is restarted (every task
still queued is lost), the due run is repeated and, once the rows of the dead processes are
older than STALE_SENDING, the outbox is swept. Every subscriber must be reminded; the only
doubles allowed are the messages inside the killed worker's conversations (at most its
concurrency), each logged by the sweep; a warm shutdown allows none.
"""

import asyncio
import datetime
import email.policy
import logging
import os
import secrets
import shutil
import signal
import subprocess
import threading
import time
import uuid
from collections import Counter
from contextlib import contextmanager, suppress
from email.parser import BytesHeaderParser
from pathlib import Path
from urllib.parse import quote

import pytest
from aiosmtpd.controller import Controller
from django.db import connection
from django.utils import timezone

from idei.celery import app as celery_app
from idei.outbox import sending as outbox
from idei.outbox.models import OutgoingMessage
from idei.outbox.tasks import sweep_outbox
from letters.models import MessageKind, Reminder, ReminderText, Subscription
from letters.reminders.tasks import queue_due_reminders
from tests.conftest import PrivateRedis, SmtpCapture, free_port, require

pytestmark = [
    pytest.mark.slow,
    pytest.mark.serial,  # kills and restarts processes, two worker pools on 3,000 messages
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True),
]

ROOT = Path(__file__).resolve().parents[2]
SUBSCRIBERS = 3_000
CHUNK = 100
CONCURRENCY = 2
AS_OF = datetime.date(2026, 10, 26)  # 7 days before 2 November 2026
# Each accepted message takes this long to be acknowledged: a round lasts long enough for the
# faults to land in the middle of it (and a kill to catch messages inside the conversation).
SMTP_DELAY = 0.008
Status = OutgoingMessage.Status


class SlowSmtp(SmtpCapture):
    """Records each message as soon as it is complete, then takes a moment to say 250.

    While `hold` is set, every reply to DATA waits: the message is already recorded (the
    server has it) but the client has not heard so, exactly the window a kill can hit.
    """

    def __init__(self, host: str, port: int, delay: float = SMTP_DELAY):
        super().__init__(host, port)
        self.delay = delay
        self.hold = threading.Event()
        self.held = 0
        self.first_arrival: dict[str, float] = {}  # recipient -> time.monotonic()
        # Kept as each message arrives: the tests poll these every 50 ms, and reading the
        # headers of 10,000 parsed messages at each poll held the lock (and the GIL) that the
        # server needs to take the next message, slowing the very sending being timed.
        self._recipients: set[str] = set()
        self._message_ids: Counter = Counter()

    async def handle_DATA(self, server, session, envelope):
        # The headers only, not SmtpCapture's full MIME parse: that took about 7 ms a message
        # on the loaded 2-core machine, in the server's one thread, which made this recording
        # server (not the platform) the slowest part of a 10,000-message round.
        message = BytesHeaderParser(policy=email.policy.compat32).parsebytes(envelope.content)
        arrived = time.monotonic()
        with self._lock:
            self.envelopes.append(envelope)
            self.messages.append(message)
            self._recipients.add(message["To"])
            self._message_ids[message["Message-ID"]] += 1
            for recipient in envelope.rcpt_tos:
                self.first_arrival.setdefault(recipient, arrived)
        reply = "250 Message accepted for delivery"
        await asyncio.sleep(self.delay)
        if self.hold.is_set():
            with self._lock:
                self.held += 1
            try:
                while self.hold.is_set():
                    await asyncio.sleep(0.01)
            finally:
                with self._lock:
                    self.held -= 1
        return reply

    def count(self) -> int:
        with self._lock:
            return len(self.messages)

    def message_ids(self) -> Counter:
        with self._lock:
            return Counter(self._message_ids)

    def recipients(self) -> set[str]:
        with self._lock:
            return set(self._recipients)


class Workers:
    """`celery -A idei worker` processes on the private broker, each in its own process group."""

    def __init__(self, tmp_path: Path, env: dict, queue: str):
        self.tmp_path, self.env, self.queue = tmp_path, env, queue
        self.processes: dict[str, subprocess.Popen] = {}

    def log(self, name: str) -> Path:
        return self.tmp_path / f"worker-{name}.log"

    def start(self, name: str) -> None:
        with self.log(name).open("wb") as log:
            self.processes[name] = subprocess.Popen(
                [
                    *(str(ROOT / ".venv" / "bin" / "celery"), "-A", "idei", "worker"),
                    *("--pool", "prefork", "--concurrency", str(CONCURRENCY), "-Q", self.queue),
                    *("-n", f"{name}-{uuid.uuid4().hex[:6]}@%h", "--loglevel", "INFO"),
                    *("--without-gossip", "--without-mingle", "--without-heartbeat"),
                ],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def wait_ready(self, name: str, timeout: float = 60) -> None:
        process = self.processes[name]
        wait_until(
            lambda: process.poll() is not None or b" ready." in self.log(name).read_bytes(),
            timeout,
            f"worker {name} to be ready",
            self.logs,
        )
        assert process.poll() is None, f"worker {name} exited:\n{self.logs()}"

    def kill(self, name: str) -> None:
        """SIGKILL to the whole process group: the main process and its pool, mid-task."""
        process = self.processes[name]
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)

    def terminate(self, name: str) -> None:
        """SIGTERM to the main process: a warm shutdown (running tasks finish, the rest go back)."""
        self.processes[name].send_signal(signal.SIGTERM)

    def wait_exit(self, name: str) -> None:
        self.processes[name].wait(60)

    def stop_all(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 15
        for process in self.processes.values():
            with suppress(subprocess.TimeoutExpired):
                process.wait(max(0.1, deadline - time.monotonic()))
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(10)

    def logs(self) -> str:
        return "\n".join(
            f"--- {name} ---\n" + self.log(name).read_text(errors="replace")[-3000:]
            for name in self.processes
        )


def wait_until(predicate, timeout: float, what: str, details=lambda: "") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}\n{details()}")


def reset_producer_pools() -> None:
    """Forget pooled broker connections, so the next task goes to the current broker_url."""
    from kombu import pools

    pools.reset()  # closes the pooled connections and forgets the pools
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@contextmanager
def producing_to(url: str, queue: str):
    """Tasks enqueued by this test process go to the private broker's queue."""
    conf = celery_app.conf
    saved = conf.broker_url, conf.task_default_queue, conf.task_always_eager
    conf.broker_url, conf.task_default_queue, conf.task_always_eager = url, queue, False
    reset_producer_pools()
    try:
        yield
    finally:
        conf.broker_url, conf.task_default_queue, conf.task_always_eager = saved
        reset_producer_pools()


def database_url() -> str:
    """The pytest database (test_...), as the worker processes must reach it."""
    db = connection.settings_dict
    password = f":{quote(db['PASSWORD'], safe='')}" if db["PASSWORD"] else ""
    return (
        f"postgres://{quote(db['USER'], safe='')}{password}@{db['HOST'] or '127.0.0.1'}:"
        f"{db['PORT'] or 5432}/{db['NAME']}"
    )


@pytest.fixture
def smtp_delay():
    return SMTP_DELAY


@pytest.fixture
def queue_name():
    return f"reminder-faults-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def services(postgres, transactional_db, tmp_path, smtp_delay, queue_name):
    require(shutil.which("redis-server"), "needs redis-server (apt-get install redis-server)")
    redis = PrivateRedis()
    smtp = SlowSmtp("127.0.0.1", free_port(), delay=smtp_delay)
    controller = Controller(smtp, hostname=smtp.host, port=smtp.port)
    queue = queue_name
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "REDIS_URL": redis.url,
        "EMAIL_HOST": smtp.host,
        "EMAIL_PORT": str(smtp.port),
        "DEBUG": "1",
        "LOG_FORMAT": "text",
        # Longer than any hold of the SMTP replies below: a timeout would be a retry, not a kill.
        "EMAIL_TIMEOUT": "120",
    }
    workers = Workers(tmp_path, env, queue)
    workers.beat_env = env
    smtp_log = logging.getLogger("mail.log")  # aiosmtpd logs every SMTP command at INFO
    smtp_log_level = smtp_log.level
    smtp_log.setLevel(logging.WARNING)
    redis.start()
    controller.start()
    try:
        with producing_to(redis.url, queue):
            yield redis, smtp, workers, queue
    finally:
        workers.stop_all()
        controller.stop()
        redis.stop()
        smtp_log.setLevel(smtp_log_level)


def reminder_round_setup(subscribers: int = SUBSCRIBERS) -> list[str]:
    Reminder.objects.all().delete()  # the defaults from the data migration
    reminder = Reminder.objects.create(name="A week before", days_before=7)
    ReminderText.objects.create(
        reminder=reminder, language="en", subject="{days_left} days to 2 November", body="{date}"
    )
    now = timezone.now()
    zones = ["Pacific/Kiritimati", "Europe/Paris", "Pacific/Pago_Pago"]
    Subscription.objects.bulk_create(
        (
            Subscription(
                email=f"reader{n}@example.org",
                email_key=f"reader{n}@example.org",
                country="MX",
                time_zone=zones[n % len(zones)],
                unsubscribe_token=secrets.token_urlsafe(24),
                confirmed_at=now,
            )
            for n in range(subscribers)
        ),
        batch_size=1000,
    )
    return [f"reader{n}@example.org" for n in range(subscribers)]


def rows_settled() -> tuple[int, int, frozenset[int]]:
    rows = OutgoingMessage.objects.filter(kind=MessageKind.REMINDER)
    sending = frozenset(rows.filter(status=Status.SENDING).values_list("pk", flat=True))
    return rows.count(), rows.filter(status=Status.QUEUED).count(), sending


def run_round(services, caplog, stop: str) -> dict:
    redis, smtp, workers, queue = services
    emails = reminder_round_setup()
    workers.start("a")
    workers.start("b")
    workers.wait_ready("a")
    workers.wait_ready("b")

    report = queue_due_reminders(as_of_date=AS_OF, chunk_size=CHUNK)
    assert report.batches == SUBSCRIBERS // CHUNK

    # Mid-round, hold every SMTP reply: each worker process is then inside a conversation,
    # its message received by the server but its row still "sending".
    wait_until(lambda: smtp.count() >= 450, 60, "the first hundreds of reminders", workers.logs)
    smtp.hold.set()
    wait_until(lambda: smtp.held >= 2 * CONCURRENCY, 20, "every process to be mid-send")
    received_at_stop = smtp.count()
    if stop == "kill":
        workers.kill("a")
    else:
        workers.terminate("a")  # warm: it waits for its running tasks...
        smtp.hold.clear()  # ...which can now finish
        workers.wait_exit("a")
        smtp.hold.set()  # keep the queue full until Redis has lost it
    workers.start("c")
    lost_tasks = redis.queue_length(queue)
    redis.stop()
    redis.start()  # same port, empty: the queued and the unacknowledged tasks are gone
    reset_producer_pools()
    smtp.hold.clear()
    workers.wait_ready("c")

    again = queue_due_reminders(as_of_date=AS_OF, chunk_size=CHUNK)

    # Let the workers finish what the second run queued; what stays in "sending" now belongs
    # to the killed processes. Only then sweep (a sweep that found a live worker's row stale
    # would hand it out again).
    previous = [None]

    def settled():
        state = rows_settled()
        done = state[0] == SUBSCRIBERS and state[1] == 0 and state == previous[0]
        previous[0] = state
        time.sleep(0.5)
        return done

    wait_until(settled, 90, "the second run to finish", workers.logs)
    # Minutes later, as far as the outbox can tell: the rows the dead processes claimed
    # (and their tasks) are now older than STALE_SENDING. Sweeping with a future `now` instead
    # would re-queue them with next_attempt_at in that future, out of any worker's reach.
    long_ago = timezone.now() - outbox.STALE_SENDING - datetime.timedelta(minutes=1)
    OutgoingMessage.objects.filter(status=Status.SENDING).update(
        claimed_at=long_ago, scheduled_at=long_ago
    )
    with caplog.at_level(logging.WARNING, logger="idei.outbox.sending"):
        swept = sweep_outbox()
    logged = {
        record.outbox_id
        for record in caplog.records
        if record.name == "idei.outbox.sending" and "possible double send" in record.getMessage()
    }

    wait_until(
        lambda: (
            OutgoingMessage.objects.filter(status=Status.SENT).count() == SUBSCRIBERS
            and len(smtp.message_ids()) == SUBSCRIBERS
        ),
        90,
        "every reminder to be sent",
        workers.logs,
    )
    time.sleep(1)  # anything still on its way would be a double: give it time to show up
    received = smtp.message_ids()
    id_to_pk = {
        outbox.message_id(row): row.pk
        for row in OutgoingMessage.objects.filter(kind=MessageKind.REMINDER).only(
            "pk", "idempotency_key"
        )
    }
    doubles = {message_id: n for message_id, n in received.items() if n > 1}
    result = {
        "stop": stop,
        "received_at_stop": received_at_stop,
        "tasks_lost_in_redis_restart": lost_tasks,
        "second_run_recipients": again.recipients,
        "swept": swept,
        "logged_possible_doubles": sorted(logged),
        "duplicates": sum(n - 1 for n in doubles.values()),
        "duplicate_rows": sorted(id_to_pk[message_id] for message_id in doubles),
    }
    print(f"\nreminder fault round: {result}")

    assert 0 < received_at_stop < SUBSCRIBERS, "the stop did not land mid-round"
    assert lost_tasks > 0, "Redis had no task left to lose"
    assert smtp.recipients() == set(emails)
    assert set(received) == set(id_to_pk)
    assert len(id_to_pk) == SUBSCRIBERS
    return result


def test_a_killed_worker_and_a_redis_restart_lose_no_reminder_and_double_at_most_two(
    services, caplog
):
    result = run_round(services, caplog, "kill")

    assert result["duplicates"] <= CONCURRENCY
    assert result["swept"]["requeued"] >= 1, "the kill hit no SMTP conversation"
    # Every double was a row the sweep found left "sending" and logged as a possible double.
    assert set(result["duplicate_rows"]) <= set(result["logged_possible_doubles"])
    assert result["swept"]["requeued"] <= CONCURRENCY


def test_a_warm_shutdown_and_a_redis_restart_lose_no_reminder_and_double_none(services, caplog):
    result = run_round(services, caplog, "term")

    assert result["duplicates"] == 0
    assert result["swept"]["requeued"] == 0
    assert result["logged_possible_doubles"] == []


# -- Redis emptied in the middle of 10,000 due reminders, with the real beat and sweep --------

BIG_ROUND = 10_000
BIG_CHUNK = 200
# From the moment Redis answers again to the last subscriber's first reminder (issue 14).
RECOVERY_LIMIT_SECONDS = 120
SWEEPS = ("idei.outbox.tasks.sweep_outbox", "letters.tasks.sweep_confirmations")


class Beat:
    """One `celery -A idei beat` process (the real scheduler, idei/beat.py) on the test database."""

    def __init__(self, tmp_path: Path, env: dict):
        self.log = tmp_path / "beat.log"
        self.env = env
        self.process = None

    def start(self) -> None:
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [
                    *(str(ROOT / ".venv" / "bin" / "celery"), "-A", "idei", "beat"),
                    *("--loglevel", "INFO", "--max-interval", "1"),
                ],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-3000:]


def sweep_mark_in(redis_port: int) -> bool:
    """The mark the outbox sweep keeps in Redis (idei.outbox.durable.redis_was_emptied)."""
    import redis

    from idei.outbox import durable

    client = redis.Redis(port=redis_port)
    return bool(client.keys(f"*{durable.EMPTIED_MARK_KEY}sweep_outbox"))


@pytest.mark.faults
@pytest.mark.parametrize("smtp_delay", [0.002])
@pytest.mark.parametrize("queue_name", ["celery"])  # the private broker's default queue
def test_redis_emptied_mid_round_of_10000_reminders_every_one_arrives_within_2_minutes(
    services, caplog, tmp_path
):
    """FLUSHALL, then a restart, of the broker in the middle of 10,000 due reminders, a worker
    killed inside SMTP conversations: the real beat's next sweep sends again whatever Redis
    lost; every subscriber is reminded within 2 minutes of Redis answering again, and the
    only doubles are the killed worker's messages, each logged."""
    from django_celery_beat.models import PeriodicTask

    redis, smtp, workers, queue = services
    emails = reminder_round_setup(BIG_ROUND)
    # Only the sweeps, every minute as shipped (migrations), go out from this beat.
    from django_celery_beat.models import IntervalSchedule

    # The sweeps as the migrations ship them, every minute (a transactional test run before
    # this one, in the same process, may have flushed the migrations' rows).
    every_minute, _ = IntervalSchedule.objects.get_or_create(every=60, period="seconds")
    for task in SWEEPS:
        if not PeriodicTask.objects.filter(task=task).exists():
            PeriodicTask.objects.create(name=task, task=task, interval=every_minute)
    PeriodicTask.objects.filter(task__in=SWEEPS).update(enabled=True)
    PeriodicTask.objects.exclude(task__in=SWEEPS).update(enabled=False)
    assert PeriodicTask.objects.filter(task__in=SWEEPS, enabled=True).count() == 2
    beat = Beat(tmp_path, workers.beat_env)
    workers.start("a")
    workers.start("b")
    beat.start()
    try:
        workers.wait_ready("a")
        workers.wait_ready("b")
        # The first sweep puts its mark in the fresh Redis (and finds nothing to send again).
        wait_until(lambda: sweep_mark_in(redis.port), 90, "the first sweep", beat.output)

        report = queue_due_reminders(as_of_date=AS_OF, chunk_size=BIG_CHUNK)
        assert report.batches == BIG_ROUND // BIG_CHUNK

        wait_until(lambda: smtp.count() >= 2_000, 120, "the first reminders", workers.logs)
        smtp.hold.set()
        wait_until(lambda: smtp.held >= 2 * CONCURRENCY, 30, "every process to be mid-send")
        received_at_stop = smtp.count()
        workers.kill("a")
        import redis as redis_client

        lost_tasks = redis.queue_length(queue)
        redis_client.Redis(port=redis.port).flushall()
        redis.stop()
        redis.start()
        returned_at = time.monotonic()
        reset_producer_pools()
        workers.start("c")
        smtp.hold.clear()

        wait_until(
            lambda: len(smtp.recipients()) == BIG_ROUND,
            RECOVERY_LIMIT_SECONDS + 60,
            "every subscriber's reminder",
            lambda: workers.logs() + beat.output(),
        )
        with smtp._lock:
            last_arrival = max(smtp.first_arrival.values())
        recovery = last_arrival - returned_at
    finally:
        beat.stop()

    # The rows the killed processes left "sending": ten minutes later as far as the outbox can
    # tell, the sweep hands them out again, each a possible double, logged.
    def settled():
        state = rows_settled()
        time.sleep(0.5)
        return state[1] == 0 and state == rows_settled()

    wait_until(settled, 60, "the workers to finish", workers.logs)
    long_ago = timezone.now() - outbox.STALE_SENDING - datetime.timedelta(minutes=1)
    OutgoingMessage.objects.filter(status=Status.SENDING).update(
        claimed_at=long_ago, scheduled_at=long_ago
    )
    with caplog.at_level(logging.WARNING, logger="idei.outbox.sending"):
        swept = sweep_outbox()
    logged = {
        record.outbox_id
        for record in caplog.records
        if record.name == "idei.outbox.sending" and "possible double send" in record.getMessage()
    }
    wait_until(
        lambda: OutgoingMessage.objects.filter(status=Status.SENT).count() == BIG_ROUND,
        60,
        "every row marked sent",
        workers.logs,
    )
    time.sleep(1)
    received = smtp.message_ids()
    id_to_pk = {
        outbox.message_id(row): row.pk
        for row in OutgoingMessage.objects.filter(kind=MessageKind.REMINDER).only(
            "pk", "idempotency_key"
        )
    }
    doubles = {message_id: n for message_id, n in received.items() if n > 1}
    result = {
        "received_at_stop": received_at_stop,
        "tasks_lost": lost_tasks,
        "recovery_seconds_after_redis_returned": round(recovery, 1),
        "requeued_after_kill": swept["requeued"],
        "duplicates": sum(n - 1 for n in doubles.values()),
        "logged_possible_doubles": len(logged),
    }
    print(f"\n10,000 reminders, Redis emptied mid-round: {result}")

    assert 0 < received_at_stop < BIG_ROUND, "Redis was not emptied mid-round"
    assert lost_tasks > 0, "Redis had no task left to lose"
    assert smtp.recipients() == set(emails)
    assert len(id_to_pk) == BIG_ROUND and set(received) == set(id_to_pk)
    assert recovery <= RECOVERY_LIMIT_SECONDS
    assert result["duplicates"] <= CONCURRENCY
    assert {id_to_pk[message_id] for message_id in doubles} <= logged
