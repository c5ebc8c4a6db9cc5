import logging

from django.apps import AppConfig
from django.conf import settings

logger = logging.getLogger("idei")


class IdeiConfig(AppConfig):
    name = "idei"
    verbose_name = "IDEI"

    def ready(self):
        logger.info("IDEI starting: %s", describe_mode(settings))


def describe_mode(settings) -> str:
    """One line saying which engines run, because a silent eager mode surprises people."""
    database = settings.DATABASES["default"]
    if database["ENGINE"].endswith("sqlite3"):
        db = f"SQLite file {database['NAME']} (embedded default)"
    else:
        db = f"{database['ENGINE'].rsplit('.', 1)[-1]} database {database['NAME']!r}"
    if settings.CELERY_TASK_ALWAYS_EAGER:
        tasks = "Celery tasks run eagerly in-process (no REDIS_URL: embedded default)"
    else:
        tasks = "Celery tasks go to the Redis broker: a worker must run (celery -A idei worker)"
    mail = "SMTP" if settings.EMAIL_HOST else "e-mail printed to the console (no EMAIL_HOST)"
    return f"{db}; {tasks}; {mail}."
