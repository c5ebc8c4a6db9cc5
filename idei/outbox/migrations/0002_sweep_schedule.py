"""The outbox sweep, every minute from beat (a django-celery-beat row editable in admin).

A site that ran the letters app before the outbox was its own app has this row already, under
the same name, with the task's old name: it is renamed, its interval and state kept.
"""

from django.db import migrations

NAME = "Outbox sweep: re-queue stuck messages"
TASK = "idei.outbox.tasks.sweep_outbox"


def create_schedule(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    interval, _ = IntervalSchedule.objects.get_or_create(every=60, period="seconds")
    task, created = PeriodicTask.objects.get_or_create(
        name=NAME, defaults={"task": TASK, "interval": interval}
    )
    if not created and task.task != TASK:
        PeriodicTask.objects.filter(pk=task.pk).update(task=TASK)


def delete_schedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("outbox", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedule, delete_schedule)]
