"""Celery tasks of the suggestions app: thin wrappers that take ids and call services."""

import logging

from celery import shared_task
from django.db import transaction

logger = logging.getLogger(__name__)


# --- duplicates ---
@shared_task(name="suggestions.check_duplicates")
def check_duplicates(suggestion_id: int) -> None:
    """Group one new idea with its earlier look-alikes; safe to run twice."""
    from suggestions.services_duplicates import suggestion_check_duplicates

    suggestion_check_duplicates(suggestion_id=suggestion_id)


@shared_task(name="suggestions.duplicates_catch_up")
def duplicates_catch_up() -> int:
    """Periodic: check every idea still unchecked (e.g. its task was lost with the broker)."""
    from suggestions.services_duplicates import suggestions_check_unchecked

    checked = suggestions_check_unchecked()
    if checked:
        logger.info("duplicates catch-up checked %d ideas", checked)
    return checked


def queue_duplicate_check(suggestion_id: int) -> None:
    """Queue the check after the surrounding transaction commits; never fails the caller.

    If publishing fails (broker down), the periodic catch-up checks the idea later.
    """

    def publish():
        try:
            check_duplicates.delay(suggestion_id)
        except Exception:  # any broker error: log and move on
            logger.warning("could not queue the duplicate check; catch-up will do it")

    transaction.on_commit(publish)
