"""Celery tasks of the suggestions app: thin, take ids, safe to run twice."""

import logging
from datetime import timedelta

from celery import shared_task
from django.db import OperationalError
from django.utils import timezone

from suggestions.notifications import outcome_notices_catch_up, outcome_notices_send
from suggestions.privacy_retention import suggestions_anonymise_expired
from suggestions.services_duplicates import suggestion_check_duplicates

logger = logging.getLogger(__name__)

# A lost database connection or a lock timeout is worth another try; the work is idempotent.
_RETRY = {"autoretry_for": (OperationalError,), "retry_backoff": 5, "max_retries": 3}


@shared_task(name="suggestions.tasks.suggestion_received")
def suggestion_received(suggestion_id: int) -> None:
    """Follow-up of a new idea from any channel: group it with its near-duplicates.

    Queued by suggestions.intake with transaction.on_commit; tallies need no
    follow-up (they read the database).
    """
    suggestion_check_duplicates(suggestion_id=suggestion_id)


@shared_task(name="suggestions.tasks.suggestions_received_catch_up")
def suggestions_received_catch_up(older_than_seconds: int = 120, limit: int = 500) -> int:
    """Re-queue follow-up of ideas that were never checked (e.g. the broker was down).

    Ideas whose duplicate_of is still NULL have not been through suggestion_received.
    """
    from suggestions.intake import suggestion_received_queue
    from suggestions.models import Suggestion

    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    ids = list(
        Suggestion.objects.filter(duplicate_of__isnull=True, received_at__lt=cutoff)
        .order_by("id")
        .values_list("id", flat=True)[:limit]
    )
    queued = sum(1 for pk in ids if suggestion_received_queue(suggestion_id=pk))
    logger.info("Catch-up queued %s of %s unchecked ideas", queued, len(ids))
    return queued


@shared_task(name="suggestions.tasks.idempotency_records_purge")
def idempotency_records_purge() -> int:
    from suggestions.intake import idempotency_records_purge as purge

    return purge()


@shared_task(name="suggestions.outcome_notify")
def suggestion_outcome_notify(status_change_ids: list[int]) -> int:
    """Tell submitters about excellent / set-aside decisions; safe to run twice."""
    return outcome_notices_send(status_change_ids=status_change_ids)


@shared_task(name="suggestions.outcome_notify_catch_up")
def suggestion_outcome_notify_catch_up() -> int:
    """Periodic: announce outcomes whose task was lost (broker down) or whose send failed."""
    return outcome_notices_catch_up()


# Tallies and reports
@shared_task(name="suggestions.tally_campaign", bind=True, **_RETRY)
def tally_campaign(self, campaign_id: int, run_key: str | None = None) -> int:
    """Snapshot one campaign's figures, once per run key; returns the run's id.

    The key defaults to the task's id, which a redelivered message (a worker killed
    after its COMMIT, before the acknowledgement) and an autoretry keep: the redo
    returns the stored run instead of computing and storing a second one.
    """
    from suggestions.aggregation import tally_run

    key = run_key or self.request.id
    return tally_run(campaign_id=campaign_id, run_key=key).run.pk


@shared_task(name="suggestions.tally_active_campaigns", bind=True)
def tally_active_campaigns(self) -> list[int]:
    """Beat entry (every 10 minutes): one tally task per active campaign.

    Every tally of one run carries this task's id as its run key, so a redelivered
    run queues the same tallies again and they are not stored twice.
    """
    from suggestions.models import Campaign

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
    from suggestions.reports import report_generate

    key = run_key or self.request.id
    return report_generate(campaign_id=campaign_id, unit_id=unit_id, run_key=key).pk


@shared_task(name="suggestions.reports_daily", bind=True)
def reports_daily(self) -> int:
    """Beat entry (18:00): the city report and one per reporting unit, per active campaign.

    Every report of one run carries this task's id as its run key, so a redelivered
    run queues the same reports again and they are not stored twice.
    """
    from suggestions.models import Campaign
    from units.models import Unit

    unit_ids = list(Unit.objects.filter(parent__isnull=True).values_list("pk", flat=True))
    unit_ids += list(Unit.objects.reporting().values_list("pk", flat=True))
    queued = 0
    for campaign_id in Campaign.objects.filter(is_active=True).values_list("pk", flat=True):
        for unit_id in unit_ids:
            report_generate_task.delay(campaign_id, unit_id, run_key=self.request.id)
            queued += 1
    return queued


# Personal data


@shared_task(name="suggestions.anonymise_expired")
def anonymise_expired() -> int:
    # Idempotent: a rerun (or a redelivery after a lost worker) finds nothing left.
    return suggestions_anonymise_expired()
