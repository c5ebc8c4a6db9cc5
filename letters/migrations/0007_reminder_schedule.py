"""The hourly due-reminders run as a django-celery-beat schedule, editable in admin.

Hourly, not daily: every time zone reaches its local day at a different hour, and each of the
24 runs of a local day costs one keyed lookup per subscriber once everyone is reminded.
"""

from django.db import migrations

TASK = "letters.tasks.send_due_reminders"
NAME = "Reminders before 2 November"


def create_schedule(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    crontab, _ = CrontabSchedule.objects.get_or_create(
        minute="5",
        hour="*",
        day_of_week="*",
        day_of_month="*",
        month_of_year="*",
        timezone="UTC",
    )
    PeriodicTask.objects.get_or_create(
        name=NAME,
        defaults={
            "task": TASK,
            "crontab": crontab,
            "description": (
                "Every hour: sends each active reminder to the subscribers whose local date is "
                "its day before 2 November, and coordinators' reminders (campaigns closing "
                "soon, petitions not delivered). Never twice; a re-run resumes what was lost."
            ),
        },
    )


def delete_schedule(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name=NAME, task=TASK).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("letters", "0006_digest_schedule"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedule, delete_schedule)]
