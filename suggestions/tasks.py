"""Celery tasks of the suggestions app. Tasks take ids and are safe to run twice."""

import importlib
import logging
from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from suggestions.notifications import outcome_notices_catch_up, outcome_notices_send

logger = logging.getLogger(__name__)


@shared_task(name="suggestions.tasks.suggestion_received")
def suggestion_received(suggestion_id: int) -> None:
    """Follow-up of a new idea (duplicate check; notifications and tallies hook in here).

    Queued by suggestions.intake with transaction.on_commit.
    """
    # The duplicates module lives on another branch until the merge; call it when present.
    try:
        duplicates = importlib.import_module("suggestions.duplicates")
    except ModuleNotFoundError:
        return
    duplicates.suggestion_check_duplicates(suggestion_id)


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
