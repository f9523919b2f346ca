"""Tallies and reports: Celery tasks on the `tallies` queue, once per run key."""

from celery import shared_task
from django.db import OperationalError

from suggestions.models import Campaign
from suggestions.tallies.aggregation import tally_run
from suggestions.tallies.reports import report_generate
from units.models import Unit

# A lost database connection or a lock timeout is worth another try; the work is idempotent.
_RETRY = {"autoretry_for": (OperationalError,), "retry_backoff": 5, "max_retries": 3}


@shared_task(name="suggestions.tally_campaign", bind=True, **_RETRY)
def tally_campaign(self, campaign_id: int, run_key: str | None = None) -> int:
    """Snapshot one campaign's figures, once per run key; returns the run's id.

    The key defaults to the task's id, which a redelivered message (a worker killed
    after its COMMIT, before the acknowledgement) and an autoretry keep: the redo
    returns the stored run instead of computing and storing a second one.
    """
    key = run_key or self.request.id
    return tally_run(campaign_id=campaign_id, run_key=key).run.pk


@shared_task(name="suggestions.tally_active_campaigns", bind=True)
def tally_active_campaigns(self) -> list[int]:
    """Beat entry (every 10 minutes): one tally task per active campaign.

    Every tally of one run carries this task's id as its run key, so a redelivered
    run queues the same tallies again and they are not stored twice.
    """
    ids = list(Campaign.objects.filter(is_active=True).values_list("pk", flat=True))
    for campaign_id in ids:
        tally_campaign.delay(campaign_id, run_key=self.request.id)
    return ids


@shared_task(name="suggestions.report_generate", bind=True, **_RETRY)
def report_generate_task(self, campaign_id: int, unit_id: int, run_key: str | None = None) -> int:
    """Build one unit's (or the city's) report, once per run key; returns its id.

    The key defaults to the task's id, which a redelivered message (a worker killed
    after its COMMIT, before the acknowledgement) and an autoretry keep: the redo
    returns the stored report instead of storing a second one.
    """
    key = run_key or self.request.id
    return report_generate(campaign_id=campaign_id, unit_id=unit_id, run_key=key).pk


@shared_task(name="suggestions.reports_daily", bind=True)
def reports_daily(self) -> int:
    """Beat entry (18:00): the city report and one per reporting unit, per active campaign.

    Every report of one run carries this task's id as its run key, so a redelivered
    run queues the same reports again and they are not stored twice.
    """
    unit_ids = list(Unit.objects.filter(parent__isnull=True).values_list("pk", flat=True))
    unit_ids += list(Unit.objects.reporting().values_list("pk", flat=True))
    queued = 0
    for campaign_id in Campaign.objects.filter(is_active=True).values_list("pk", flat=True):
        for unit_id in unit_ids:
            report_generate_task.delay(campaign_id, unit_id, run_key=self.request.id)
            queued += 1
    return queued
