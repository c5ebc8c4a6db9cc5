"""Full-text search on PostgreSQL: a trigger keeps Case.search_vector current, a GIN index serves it.

The 'simple' configuration (no stemming) because names and places come in every language.
SQLite has neither; there the case list falls back to a plain substring search.
"""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION cases_case_search_vector() RETURNS trigger AS $$
BEGIN
  NEW.search_vector :=
    setweight(to_tsvector('simple', coalesce(NEW.full_name, '')), 'A') ||
    setweight(to_tsvector('simple', coalesce(NEW.place, '') || ' ' || coalesce(NEW.outlets, '')), 'B') ||
    setweight(to_tsvector('simple', coalesce(NEW.summary, '')), 'C');
  RETURN NEW;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER cases_case_search_vector_update BEFORE INSERT OR UPDATE OF full_name, place, outlets, summary
  ON cases_case FOR EACH ROW EXECUTE FUNCTION cases_case_search_vector();
CREATE INDEX cases_case_search_vector_gin ON cases_case USING gin (search_vector);
UPDATE cases_case SET full_name = full_name;
"""

BACKWARD = """
DROP INDEX IF EXISTS cases_case_search_vector_gin;
DROP TRIGGER IF EXISTS cases_case_search_vector_update ON cases_case;
DROP FUNCTION IF EXISTS cases_case_search_vector();
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial")]
    operations = [migrations.RunPython(forward, backward)]
