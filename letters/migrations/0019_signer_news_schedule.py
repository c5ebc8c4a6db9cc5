"""The daily run of signers' news (letters/responses/news.py) as a django-celery-beat row.

Created with get_or_create under a stable name, so that an admin's later edits survive; the
reverse migration removes it. A publication also starts a run at once.
"""

from django.db import migrations

NAME = "Signers' news: officials' answers and judicial status changes (at most weekly each)"
TASK = "letters.tasks.send_signer_news"


def create_schedule(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    # Daily at 10:30 UTC: a reasonable hour to read news in most time zones we write to.
    crontab, _ = CrontabSchedule.objects.get_or_create(
        minute="30",
        hour="10",
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
        ("letters", "0018_responses"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedule, delete_schedule)]
