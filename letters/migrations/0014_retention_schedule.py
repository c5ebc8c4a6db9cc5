"""The nightly retention task (letters/privacy/retention.py) as a django-celery-beat row.

Created with get_or_create under a stable name, so that an admin's later edits survive; the
reverse migration removes it.
"""

from django.db import migrations

NAME = "Retention: remove personal data whose period is over"
TASK = "letters.tasks.apply_retention"


def create_schedule(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    # Daily at 03:45 UTC, after the purge of unconfirmed signatures (03:15).
    crontab, _ = CrontabSchedule.objects.get_or_create(
        minute="45",
        hour="3",
        day_of_week="*",
        day_of_month="*",
        month_of_year="*",
        timezone="UTC",
    )
    PeriodicTask.objects.get_or_create(name=NAME, defaults={"task": TASK, "crontab": crontab})


def delete_schedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("letters", "0013_unsolicited_mail_count"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedule, delete_schedule)]
