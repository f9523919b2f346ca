"""Celery tasks of the suggestions app: thin, take ids, safe to run twice."""

from celery import shared_task

# --- tallies (issue 5) ---


@shared_task(name="suggestions.tally_campaign")
def tally_campaign(campaign_id: int) -> int:
    """Snapshot one campaign's figures; returns the run's id (an upsert: retry-safe)."""
    from suggestions.aggregation import tally_run

    return tally_run(campaign_id=campaign_id).run.pk


@shared_task(name="suggestions.tally_active_campaigns")
def tally_active_campaigns() -> list[int]:
    """Beat entry (every 10 minutes): one tally task per active campaign."""
    from suggestions.models import Campaign

    ids = list(Campaign.objects.filter(is_active=True).values_list("pk", flat=True))
    for campaign_id in ids:
        tally_campaign.delay(campaign_id)
    return ids
