"""Search that ignores accents: unaccent in the search configuration, the vectors rebuilt.

The `idei_search` configuration is 'simple' (no stemming: names and places come in every
language) with unaccent first, so "Cárdenas" is stored as "cardenas" and found by "Cardenas".
The GIN index of migration 0002 indexes the rebuilt vectors. SQLite: nothing to do (cases.search
folds accents there at query time).
"""

from django.contrib.postgres.operations import UnaccentExtension
from django.db import migrations

FORWARD = """
DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_ts_config WHERE cfgname = 'idei_search') THEN
    CREATE TEXT SEARCH CONFIGURATION idei_search (COPY = simple);
    ALTER TEXT SEARCH CONFIGURATION idei_search
      ALTER MAPPING FOR hword, hword_part, word WITH unaccent, simple;
  END IF;
END $$;
CREATE OR REPLACE FUNCTION cases_case_search_vector() RETURNS trigger AS $$
BEGIN
  NEW.search_vector :=
    setweight(to_tsvector('idei_search', coalesce(NEW.full_name, '')), 'A') ||
    setweight(to_tsvector('idei_search', coalesce(NEW.place, '') || ' ' || coalesce(NEW.outlets, '')), 'B') ||
    setweight(to_tsvector('idei_search', coalesce(NEW.summary, '')), 'C');
  RETURN NEW;
END
$$ LANGUAGE plpgsql;
UPDATE cases_case SET full_name = full_name;
"""

BACKWARD = """
CREATE OR REPLACE FUNCTION cases_case_search_vector() RETURNS trigger AS $$
BEGIN
  NEW.search_vector :=
    setweight(to_tsvector('simple', coalesce(NEW.full_name, '')), 'A') ||
    setweight(to_tsvector('simple', coalesce(NEW.place, '') || ' ' || coalesce(NEW.outlets, '')), 'B') ||
    setweight(to_tsvector('simple', coalesce(NEW.summary, '')), 'C');
  RETURN NEW;
END
$$ LANGUAGE plpgsql;
UPDATE cases_case SET full_name = full_name;
DROP TEXT SEARCH CONFIGURATION IF EXISTS idei_search;
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("cases", "0004_import_warnings_value_aliases_review_decisions")]
    operations = [UnaccentExtension(), migrations.RunPython(forward, backward)]
