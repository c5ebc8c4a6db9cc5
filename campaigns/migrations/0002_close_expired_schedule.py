"""Beat closes published campaigns whose closing date has passed (every 5 minutes).

Created with get_or_create under a stable name, so that an admin's edits survive; the reverse
migration removes it.
"""

from django.db import migrations

NAME = "Campaigns: close those past their closing date"


def create_schedule(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    interval, _ = IntervalSchedule.objects.get_or_create(every=5, period="minutes")
    PeriodicTask.objects.get_or_create(
        name=NAME,
        defaults={"task": "campaigns.tasks.close_expired_campaigns_task", "interval": interval},
    )


def delete_schedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ('campaigns', '0001_initial'),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedule, delete_schedule)]
