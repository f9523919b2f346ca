"""Celery tasks of the suggestions app: thin, take ids, safe to run twice."""

from celery import shared_task
from django.db import OperationalError

# A lost database connection or a lock timeout is worth another try; the work is idempotent.
_RETRY = {"autoretry_for": (OperationalError,), "retry_backoff": 5, "max_retries": 3}

# --- tallies (issue 5) ---


@shared_task(name="suggestions.tally_campaign", **_RETRY)
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


@shared_task(name="suggestions.report_generate", **_RETRY)
def report_generate_task(campaign_id: int, unit_id: int) -> int:
    """Build one unit's (or the city's) report; a retry just stores a newer one."""
    from suggestions.reports import report_generate

    return report_generate(campaign_id=campaign_id, unit_id=unit_id).pk


@shared_task(name="suggestions.reports_daily")
def reports_daily() -> int:
    """Beat entry (18:00): the city report and one per reporting unit, per active campaign."""
    from suggestions.models import Campaign
    from units.models import Unit

    unit_ids = list(Unit.objects.filter(parent__isnull=True).values_list("pk", flat=True))
    unit_ids += list(Unit.objects.reporting().values_list("pk", flat=True))
    queued = 0
    for campaign_id in Campaign.objects.filter(is_active=True).values_list("pk", flat=True):
        for unit_id in unit_ids:
            report_generate_task.delay(campaign_id, unit_id)
            queued += 1
    return queued
