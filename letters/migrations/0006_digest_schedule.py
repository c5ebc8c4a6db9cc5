"""The daily digest to officials as a django-celery-beat schedule, editable in admin.

At 00:30 site time: after midnight plus delivery.DIGEST_SETTLE, so yesterday is complete.
"""

from django.conf import settings
from django.db import migrations

TASK = "letters.tasks.send_daily_digests"
NAME = "Daily digests of letters to officials"


def create_schedule(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    crontab, _ = CrontabSchedule.objects.get_or_create(
        minute="30",
        hour="0",
        day_of_week="*",
        day_of_month="*",
        month_of_year="*",
        timezone=settings.TIME_ZONE,
    )
    PeriodicTask.objects.get_or_create(
        name=NAME,
        defaults={
            "task": TASK,
            "crontab": crontab,
            "description": (
                "Queues one message per official and digest campaign listing the letters "
                "confirmed on each complete day (catches up on missed days; never twice)."
            ),
        },
    )


def delete_schedule(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name=NAME, task=TASK).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("letters", "0005_signature_token_index"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedule, delete_schedule)]
