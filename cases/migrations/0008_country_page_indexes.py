"""A country's page reads indexes instead of its country's rows of the table.

Its figures come from a covering index (every column they count or group by), and its list of
cases, newest first, from a PostgreSQL-only index in the list's order (unknown dates last, which
SQLite cannot put in an index, as in migration 0003). The index it replaces,
(is_published, country, year), is a prefix of the new covering one for published cases.
"""

from django.db import migrations, models

FORWARD = """
CREATE INDEX case_country_newest ON cases_case
(country, date_of_death DESC NULLS LAST, sort_name, id) WHERE is_published;
"""
BACKWARD = "DROP INDEX IF EXISTS case_country_newest;"


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("cases", "0007_merge_20261203_1018")]

    operations = [
        migrations.RemoveIndex(model_name="case", name="cases_case_is_publ_58bb11_idx"),
        migrations.AddIndex(
            model_name="case",
            index=models.Index(
                condition=models.Q(("is_published", True)),
                fields=["country", "year", "impunity", "unesco_status", "is_unresolved", "id"],
                name="case_country_figures",
            ),
        ),
        migrations.RunPython(forward, backward),
    ]
