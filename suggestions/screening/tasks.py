"""Outcome notices to submitters: thin Celery tasks, safe to run twice."""

from celery import shared_task

from suggestions.screening.notifications import outcome_notices_catch_up, outcome_notices_send
from suggestions.screening.workflow import OUTCOME_NOTIFY_TASK


@shared_task(name=OUTCOME_NOTIFY_TASK)
def suggestion_outcome_notify(status_change_ids: list[int]) -> int:
    """Tell submitters about excellent / set-aside decisions; safe to run twice."""
    return outcome_notices_send(status_change_ids=status_change_ids)


@shared_task(name="suggestions.outcome_notify_catch_up")
def suggestion_outcome_notify_catch_up() -> int:
    """Periodic: announce outcomes whose task was lost (broker down) or whose send failed."""
    return outcome_notices_catch_up()
