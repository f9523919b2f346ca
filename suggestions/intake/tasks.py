"""Follow-up of new ideas: thin Celery tasks that take ids and are safe to run twice."""

import logging
from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from suggestions.duplicates.services import suggestion_check_duplicates
from suggestions.intake.channels import idempotency_records_purge as records_purge
from suggestions.intake.services import SUGGESTION_RECEIVED_TASK, suggestion_received_queue
from suggestions.models import Suggestion

logger = logging.getLogger(__name__)


@shared_task(name=SUGGESTION_RECEIVED_TASK)
def suggestion_received(suggestion_id: int) -> None:
    """Follow-up of a new idea from any channel: group it with its near-duplicates.

    Queued by the intake services after the commit; tallies need no follow-up
    (they read the database).
    """
    suggestion_check_duplicates(suggestion_id=suggestion_id)


@shared_task(name="suggestions.tasks.suggestions_received_catch_up")
def suggestions_received_catch_up(older_than_seconds: int = 120, limit: int = 500) -> int:
    """Re-queue follow-up of ideas that were never checked (e.g. the broker was down).

    Ideas whose duplicate_of is still NULL have not been through suggestion_received.
    """
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
    return records_purge()
