from django.db import migrations

# See suggestions/search.py. IMMUTABLE so it can back an expression index.
# A plain loop: five times faster than generate_series + DISTINCT (GIN
# de-duplicates the keys of each row itself).
FUNCTION_SQL = r"""
CREATE OR REPLACE FUNCTION suggestion_bigrams(title text, content text) RETURNS text[]
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
    s text := lower(coalesce(title, '') || ' ' || coalesce(content, ''));
    grams text[] := '{}';
    g text;
BEGIN
    FOR i IN 1 .. char_length(s) - 1 LOOP
        g := substr(s, i, 2);
        IF g !~ '\s' THEN
            grams := grams || g;
        END IF;
    END LOOP;
    RETURN grams;
END
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
