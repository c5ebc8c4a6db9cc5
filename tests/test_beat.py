"""Exactly one beat acts: two real `celery beat` processes on one database send each periodic
task once per interval (idei/beat.py), and the second takes over when the first stops."""

import json
import os
import signal
import subprocess
import time
import uuid

import pytest
import redis
from django.conf import settings
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from idei.outbox.models import DurableTask
from tests.conftest import ROOT


def start_beat(log_path, database_url):
    env = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": settings.REDIS_URL}
    with open(log_path, "w") as log:
        return subprocess.Popen(
            [
                str(ROOT / ".venv/bin/celery"),
                "-A",
                "idei",
                "beat",
                "-l",
                "info",
                "--max-interval",
                "1",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )


def stop(process):
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


def wait_until(condition, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError("timed out")


@pytest.fixture
def beat_queue(redis_broker, postgres, transactional_db):
    """A periodic task every 10 s whose messages go to a queue of this test (nobody consumes it)."""
    queue = f"test-beat-{uuid.uuid4().hex[:12]}"
    PeriodicTask.objects.update(enabled=False)
    every_10_s, _ = IntervalSchedule.objects.get_or_create(every=10, period="seconds")
    PeriodicTask.objects.create(
        name="test: ping every 10 s",
        task="idei.ping",
        interval=every_10_s,
        queue=queue,
        args=json.dumps(["beat"]),
    )
    client = redis.Redis.from_url(redis_broker)
    try:
        yield client, queue
    finally:
        client.delete(queue)


def database_url() -> str:
    db = settings.DATABASES["default"]
    return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


@pytest.mark.faults
@pytest.mark.slow
@pytest.mark.serial  # counts timed runs: never next to the fault tests that load the machine
def test_two_beats_for_60_seconds_with_a_task_every_10_seconds_run_it_6_times(beat_queue, tmp_path):
    client, queue = beat_queue
    beats = [start_beat(tmp_path / f"beat{n}.log", database_url()) for n in (1, 2)]
    try:
        wait_until(lambda: client.llen(queue) > 0, timeout=60)
        time.sleep(55)  # runs at 0, 10, 20, 30, 40, 50 s; the 7th would come at 60 s
        runs = client.llen(queue)
        recorded = DurableTask.objects.filter(name="idei.ping").count()
        logs = [(tmp_path / f"beat{n}.log").read_text() for n in (1, 2)]
    finally:
        for beat in beats:
            stop(beat)

    assert runs == 6, logs
    # Each run was recorded before it was sent (the outbox sweep sends it again if Redis
    # loses it); none ran here, so all six are still recorded.
    assert recorded == 6
    assert sum("sending periodic tasks" in log for log in logs) == 1, logs
    assert sum("standing by" in log for log in logs) == 1, logs


@pytest.mark.faults
@pytest.mark.slow
@pytest.mark.serial  # counts timed runs: never next to the fault tests that load the machine
def test_the_waiting_beat_takes_over_when_the_acting_one_stops(beat_queue, tmp_path):
    client, queue = beat_queue
    first = start_beat(tmp_path / "first.log", database_url())
    second = None
    try:
        wait_until(lambda: client.llen(queue) > 0, timeout=60)
        second = start_beat(tmp_path / "second.log", database_url())
        wait_until(lambda: "standing by" in (tmp_path / "second.log").read_text(), timeout=60)
        stop(first)
        sent_before = client.llen(queue)
        wait_until(lambda: client.llen(queue) > sent_before, timeout=30)
    finally:
        stop(first)
        if second is not None:
            stop(second)
    assert "sending periodic tasks" in (tmp_path / "second.log").read_text()


@pytest.mark.django_db(transaction=True)
def test_one_beat_lock_at_a_time_and_the_next_takes_it_once_released(postgres):
    from idei.beat import BeatLock

    first, second = BeatLock(), BeatLock()
    try:
        assert first.holds()
        assert not second.holds()
        assert first.holds()  # still ours at the next tick
        first.release()
        # The server ends the closed session (and frees its lock) a moment later.
        wait_until(second.holds, timeout=10)
        assert not first.holds()
    finally:
        first.release()
        second.release()


@pytest.mark.django_db(transaction=True)
def test_the_beat_sends_a_sweep_at_once_when_redis_lost_its_mark_and_once_until_it_ran(
    beat_queue,
):
    from django.core.cache import cache

    from idei.beat import SingleBeatScheduler
    from idei.celery import app
    from idei.outbox import durable

    client, queue = beat_queue
    every_minute, _ = IntervalSchedule.objects.get_or_create(every=60, period="seconds")
    PeriodicTask.objects.create(
        name="test: outbox sweep",
        task="idei.outbox.tasks.sweep_outbox",
        interval=every_minute,
        queue=queue,
    )
    mark = durable.EMPTIED_MARK_KEY + "sweep_outbox"
    scheduler = SingleBeatScheduler(app=app)

    def check():
        scheduler.marks_checked_at = float("-inf")  # as MARK_CHECK_SECONDS later
        scheduler.sweep_if_redis_was_emptied()
        return client.llen(queue)

    # As in the beat process: tasks go to the broker (the suite runs them inline otherwise).
    eager, broker_url = app.conf.task_always_eager, app.conf.broker_url
    app.conf.task_always_eager, app.conf.broker_url = False, settings.REDIS_URL
    cache.set(mark, "earlier", None)
    try:
        assert check() == 0  # Redis kept its data: the sweep waits for its minute
        cache.delete(mark)  # what a FLUSHALL or a restart without persistence does
        assert check() == 1
        sent = DurableTask.objects.get(name="idei.outbox.tasks.sweep_outbox")
        assert sent.options["queue"] == queue
        assert check() == 1  # not again while the one sent has not run
        # It ran: its row went and the mark is back. A later loss sends it again.
        sent.delete()
        cache.set(mark, "swept", None)
        assert check() == 1
        cache.delete(mark)
        assert check() == 2
    finally:
        cache.delete(mark)
        app.conf.task_always_eager, app.conf.broker_url = eager, broker_url
