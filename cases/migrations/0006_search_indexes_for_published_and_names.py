"""Search indexes that fit the queries: published cases only, and the names alone.

Every search runs on published cases (pages, exports, API), so the GIN index of the search
vectors covers those only, and the query needs no filter on top of it. A second GIN index holds
the names alone (the expression of cases.search.name_vector()): a search ranks only the cases
whose name holds its words, found there, instead of ranking every match (bench/README.md).
SQLite: nothing to do (cases.search folds accents at query time).
"""

from django.db import migrations

FORWARD = """
DROP INDEX IF EXISTS cases_case_search_vector_gin;
CREATE INDEX cases_case_search_vector_gin ON cases_case USING gin (search_vector)
  WHERE is_published;
CREATE INDEX cases_case_name_vector_gin ON cases_case
  USING gin (to_tsvector('idei_search'::regconfig, COALESCE(full_name, '')));
"""

BACKWARD = """
DROP INDEX IF EXISTS cases_case_name_vector_gin;
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
