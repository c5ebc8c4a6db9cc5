import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "idei.settings")

app = Celery("idei")
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
