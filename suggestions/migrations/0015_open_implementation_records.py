"""Every excellent idea gets its 待研究 implementation record.

The screening workflow now opens the record in the transaction that rates an idea
excellent; before, the implementation desk created missing records when it was opened.
This creates the records still missing for ideas rated excellent before that change.
"""

from django.db import migrations

BATCH = 1000


def open_missing(apps, schema_editor):
    Suggestion = apps.get_model("suggestions", "Suggestion")
    Implementation = apps.get_model("suggestions", "Implementation")
    missing = (
        Suggestion.objects.filter(status="excellent", implementation__isnull=True)
        .order_by("pk")
        .values_list("pk", "campaign_id")
    )
    rows = []
    for pk, campaign_id in missing.iterator(chunk_size=BATCH):
        rows.append(Implementation(suggestion_id=pk, campaign_id=campaign_id))
        if len(rows) >= BATCH:
            Implementation.objects.bulk_create(rows, ignore_conflicts=True)
            rows = []
    Implementation.objects.bulk_create(rows, ignore_conflicts=True)


class Migration(migrations.Migration):
    dependencies = [
        ("suggestions", "0014_implementation"),
    ]

    # Reverse: nothing to undo (the records are the ones the desk would have created).
    operations = [migrations.RunPython(open_missing, migrations.RunPython.noop)]
