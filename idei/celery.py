import os

from celery import Celery
from celery.contrib.django.task import DjangoTask
from django.db import InterfaceError, OperationalError, connections
from kombu.exceptions import OperationalError as BrokerError

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "idei.settings")


class ResilientTask(DjangoTask):
    """Every task's defaults: retry what a database or broker outage raises, with backoff.

    A PostgreSQL restart or a Redis failover fails the task in hand with one of these; the
    task runs again after 2, 4, 8... s (up to 5 minutes, with jitter) instead of being lost
    until a sweep passes. Work is idempotent (rows claimed, unique keys), so a retry is safe.
    Time limits, late acks and reject-on-worker-lost are set for all tasks in settings.py.
    """

    autoretry_for = (OperationalError, InterfaceError, BrokerError)
    retry_backoff = 2
    retry_backoff_max = 300
    retry_jitter = True
    max_retries = 12

    def before_start(self, task_id, args, kwargs):
        # A connection that a database restart broke is replaced, not reused: what the
        # worker's Django fixup does between tasks, here also before each retry. Never inside
        # a transaction (an eager task runs inside its caller's).
        for connection in connections.all(initialized_only=True):
            if not connection.in_atomic_block:
                connection.close_if_unusable_or_obsolete()


app = Celery("idei", task_cls=ResilientTask)
# Every CELERY_* Django setting configures Celery; see idei/settings.py for the broker choice.
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.task(name="idei.ping", ignore_result=False)
def ping(payload: str = "pong") -> str:
    """Round trip through broker and worker, for operators and the test suite."""
    return payload


def tasks_run_inline() -> bool:
    """True where tasks run eagerly in the calling process (the embedded default, tests)."""
    return bool(app.conf.task_always_eager)
