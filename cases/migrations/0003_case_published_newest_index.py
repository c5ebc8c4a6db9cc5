"""Newest-first lists (page and API) read 20 rows instead of sorting every published case.

PostgreSQL only: the lists order unknown dates last (DESC NULLS LAST), which SQLite cannot put
in an index; SQLite databases are small enough to sort.
"""

from django.db import migrations

FORWARD = """
CREATE INDEX case_published_newest ON cases_case (date_of_death DESC NULLS LAST, sort_name, id)
WHERE is_published;
"""
BACKWARD = "DROP INDEX IF EXISTS case_published_newest;"


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("cases", "0002_search_vector_trigger")]
    operations = [migrations.RunPython(forward, backward)]
