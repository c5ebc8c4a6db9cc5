"""Beat schedules of the signing side, as django-celery-beat rows editable in admin.

Created with get_or_create under stable names, so that an admin's later edits (another
interval, disabled) survive re-running migrations; the reverse migration removes them.
"""

from django.db import migrations

INTERVALS = [
    # (name, task, every, period)
    ("Outbox sweep: re-queue stuck messages", "letters.tasks.sweep_outbox", 60, "seconds"),
    (
        "Signature counts: reconcile with an exact count",
        "letters.tasks.reconcile_signature_counts",
        30,
        "seconds",
    ),
]
PURGE = ("Purge signatures unconfirmed after 7 days", "letters.tasks.purge_unconfirmed_signatures")
NAMES = [name for name, *_ in INTERVALS] + [PURGE[0]]


def create_schedules(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    for name, task, every, period in INTERVALS:
        interval, _ = IntervalSchedule.objects.get_or_create(every=every, period=period)
        PeriodicTask.objects.get_or_create(
            name=name, defaults={"task": task, "interval": interval}
        )
    # Daily at 03:15 UTC, a quiet hour on most continents.
    crontab, _ = CrontabSchedule.objects.get_or_create(
        minute="15",
        hour="3",
        day_of_week="*",
        day_of_month="*",
        month_of_year="*",
        timezone="UTC",
    )
    PeriodicTask.objects.get_or_create(
        name=PURGE[0], defaults={"task": PURGE[1], "crontab": crontab}
    )


def delete_schedules(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name__in=NAMES).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("letters", "0007_reminder_schedule"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedules, delete_schedules)]
