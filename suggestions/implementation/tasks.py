"""Thin Celery tasks of the implementation workflow; each is safe to run twice."""

from celery import shared_task

from suggestions.implementation.notifications import (
    implementation_notices_catch_up,
    implementation_notices_send,
    implementation_reminders_send,
)
from suggestions.implementation.workflow import NOTIFY_TASK, implementations_open

REMIND_TASK = "suggestions.implementation_remind"


@shared_task(name=NOTIFY_TASK)
def implementation_notify(change_ids: list[int]) -> int:
    """Tell submitters about adoption, confirmed completion and a published reply."""
    return implementation_notices_send(change_ids=change_ids)


@shared_task(name="suggestions.implementation_notify_catch_up")
def implementation_notify_catch_up() -> int:
    """Periodic: announce steps whose task was lost (broker down) or whose send failed."""
    return implementation_notices_catch_up()


@shared_task(name=REMIND_TASK)
def implementation_remind() -> int:
    """Daily 催办: one reminder per lead unit with overdue or stale assignments."""
    # The screening workflow opens each record when it rates an idea excellent; this
    # catches ideas that reached the database another way (e.g. a restore of old data).
    implementations_open()
    return implementation_reminders_send()
