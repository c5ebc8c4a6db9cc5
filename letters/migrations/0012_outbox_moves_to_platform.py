"""The outbox leaves the letters app for the platform (idei.outbox); the count shards go.

- Every row of letters_outgoingmessage is copied into outbox_outgoingmessage with the same id;
  its foreign keys become plain references ("campaigns.campaign:12", "letters.signature:34",
  or the official's "campaigns.target:5" where no signature is named).
- SignatureCount is dropped: Campaign.signature_count is set from an exact COUNT instead.
- The outbox sweep no longer wakes the confirmation worker: a beat row of its own does.
"""

from django.core.management.color import no_style
from django.db import migrations

SWEEP_NAME = "Confirmations sweep: wake the worker for overdue e-mails"
SWEEP_TASK = "letters.tasks.sweep_confirmations"

COLUMNS = (
    "id, idempotency_key, kind, status, to_email, reply_to, subject, body_text, body_html, "
    "headers, attachment, attachment_name, attempts, last_error, created_at, next_attempt_at, "
    "scheduled_at, claimed_at, sent_at"
)


def copy_outbox(apps, schema_editor):
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO outbox_outgoingmessage ({COLUMNS}, \"group\", about) "  # noqa: S608
            f"SELECT {COLUMNS}, "
            "CASE WHEN campaign_id IS NULL THEN '' "
            "ELSE 'campaigns.campaign:' || CAST(campaign_id AS VARCHAR(20)) END, "
            "CASE WHEN signature_id IS NOT NULL "
            "THEN 'letters.signature:' || CAST(signature_id AS VARCHAR(20)) "
            "WHEN target_id IS NOT NULL "
            "THEN 'campaigns.target:' || CAST(target_id AS VARCHAR(20)) ELSE '' END "
            "FROM letters_outgoingmessage"
        )
    # The copied ids were given explicitly: move the id sequence past them (PostgreSQL).
    OutgoingMessage = apps.get_model("outbox", "OutgoingMessage")
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), [OutgoingMessage]):
            cursor.execute(sql)


def copy_back(apps, schema_editor):
    raise RuntimeError("The outbox cannot be moved back into the letters app.")


def schedule_sweep(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    interval, _ = IntervalSchedule.objects.get_or_create(every=60, period="seconds")
    PeriodicTask.objects.get_or_create(
        name=SWEEP_NAME, defaults={"task": SWEEP_TASK, "interval": interval}
    )


def unschedule_sweep(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=SWEEP_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("letters", "0011_signature_confirmation_due"),
        ("outbox", "0002_sweep_schedule"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        migrations.RunPython(copy_outbox, copy_back),
        migrations.DeleteModel(name="OutgoingMessage"),
        migrations.DeleteModel(name="SignatureCount"),
        migrations.RunPython(schedule_sweep, unschedule_sweep),
    ]
