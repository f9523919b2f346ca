from django.db import migrations

# See suggestions/search.py. IMMUTABLE so it can back an expression index.
FUNCTION_SQL = r"""
CREATE OR REPLACE FUNCTION suggestion_bigrams(title text, content text) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT coalesce(array_agg(DISTINCT g), '{}')
    FROM (SELECT lower(title || ' ' || content) AS s) AS t,
         LATERAL (SELECT substr(t.s, i, 2) AS g
                  FROM generate_series(1, char_length(t.s) - 1) AS i) AS grams
    WHERE g !~ '\s'
$$;
"""
# Chinese words in title/content: `suggestion_bigrams(title, content) @> ARRAY[...]`.
INDEX_SQL = """
CREATE INDEX IF NOT EXISTS sugg_text_bigrams
    ON suggestions_suggestion USING gin (suggestion_bigrams(title, content));
"""
DROP_SQL = """
DROP INDEX IF EXISTS sugg_text_bigrams;
DROP FUNCTION IF EXISTS suggestion_bigrams(text, text);
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FUNCTION_SQL)
        schema_editor.execute(INDEX_SQL)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_SQL)


class Migration(migrations.Migration):
    dependencies = [("suggestions", "0004_outcome_notices_history_guard")]

    operations = [migrations.RunPython(forwards, backwards)]
