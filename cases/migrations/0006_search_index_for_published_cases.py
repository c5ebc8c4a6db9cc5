"""The search index covers published cases only: every search runs on them (pages, exports, API).

The query then needs no filter on top of the index, and the index holds fewer entries. Measured
against the full index (bench/README.md, cases): 4 to 15 % less time per search, never more.
SQLite: nothing to do (cases.search folds accents at query time).
"""

from django.db import migrations

FORWARD = """
DROP INDEX IF EXISTS cases_case_search_vector_gin;
CREATE INDEX cases_case_search_vector_gin ON cases_case USING gin (search_vector)
  WHERE is_published;
"""

BACKWARD = """
DROP INDEX IF EXISTS cases_case_search_vector_gin;
CREATE INDEX cases_case_search_vector_gin ON cases_case USING gin (search_vector);
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("cases", "0005_unaccent_search")]
    operations = [migrations.RunPython(forward, backward)]
