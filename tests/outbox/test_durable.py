"""Tasks kept in the database until they have run: what Redis loses, the sweep sends again."""

from datetime import timedelta

import pytest
from celery.result import AsyncResult
from django.core.cache import cache
from django.utils import timezone

from idei.celery import ping
from idei.outbox import durable
from idei.outbox.models import DurableTask
from idei.outbox.tasks import sweep_outbox


def wait_until(condition, timeout=10.0):
    import time

    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


@pytest.mark.faults
@pytest.mark.django_db(transaction=True)
def test_a_task_redis_lost_is_sent_again_by_the_sweep_and_runs_once(celery_worker):
    # Recorded and sent three minutes ago; the message is gone (Redis lost it).
    DurableTask.objects.create(
        task_id="durable:lost-batch",
        name=ping.name,
        args=["lost"],
        sent_at=timezone.now() - timedelta(minutes=3),
    )
    DurableTask.objects.create(task_id="durable:recent", name=ping.name, args=["recent"])
    # Redis kept its data (the sweep's mark is there): only the stale row counts as lost.
    cache.set(durable.EMPTIED_MARK_KEY + "sweep_outbox", "earlier", None)

    result = sweep_outbox.apply_async(ignore_result=False).get(timeout=15)

    assert result["tasks"] == 1
    assert AsyncResult("durable:lost-batch").get(timeout=15) == "lost"
    # The row goes once the task has succeeded, a moment after its result is stored.
    wait_until(lambda: not DurableTask.objects.filter(task_id="durable:lost-batch").exists())
    assert list(DurableTask.objects.values_list("task_id", flat=True)) == ["durable:recent"]


@pytest.mark.django_db(transaction=True)
def test_a_task_that_ran_leaves_no_row_and_the_same_key_is_not_sent_twice(celery_worker):
    first = durable.send_durably(ping, ["once"], key="run-1", after_commit=False)
    assert AsyncResult(first).get(timeout=15) == "once"
    wait_until(lambda: not DurableTask.objects.exists())

    DurableTask.objects.create(task_id="durable:run-2", name=ping.name, args=["x"])
    assert durable.send_durably(ping, ["again"], key="run-2") == "durable:run-2"
    assert DurableTask.objects.get().args == ["x"]  # the first record stands


@pytest.mark.django_db
def test_a_task_that_never_succeeds_is_given_up_after_max_sends(caplog):
    DurableTask.objects.create(
        task_id="durable:broken",
        name=ping.name,
        sends=durable.MAX_SENDS,
        sent_at=timezone.now() - timedelta(minutes=3),
    )
    assert durable.send_lost_again() == 0
    assert not DurableTask.objects.exists()
    assert "never succeeded" in caplog.text
