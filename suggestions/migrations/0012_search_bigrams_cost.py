# suggestion_bigrams() costs about 50 µs a row, not the default COST 100 (≈ 0.25 µs in the
# planner's units). With the default, a screener's search whose unit estimate is low (a
# burst of new ideas since the last ANALYZE) re-computed the bigrams of every idea of
# the unit: 210 ms for 4,000 rows. Priced honestly, the planner combines the GIN index
# with the unit index instead: 3 ms.
from django.db import migrations


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER FUNCTION suggestion_bigrams(text, text) COST 5000")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER FUNCTION suggestion_bigrams(text, text) COST 100")


class Migration(migrations.Migration):
    dependencies = [("suggestions", "0011_tallyrun_run_key")]

    operations = [migrations.RunPython(forwards, backwards)]
