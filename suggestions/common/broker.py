"""Publishing Celery tasks from request code: the one place broker failures are handled.

Work is published after the commit that created it, by task *name*, so services never
import the task modules (tasks import services, not the reverse). A publish never
raises: what it could not queue stays in the database, and a periodic catch-up task
finds it later. After a failure a process skips the broker for
INTAKE_BROKER_BACKOFF_SECONDS, so an outage costs one fast failure per process, not
one per request.
"""

import logging
import time

from celery import current_app
from django.conf import settings

logger = logging.getLogger(__name__)

# Per process: monotonic time until which the broker is treated as down.
_down_until = 0.0


def task_publish(name: str, *, args: list, what: str, countdown: float | None = None) -> bool:
    """Queue the task called ``name``; returns whether it was queued. Never raises.

    ``what`` names the work for the log (ids only: no personal data in logs).
    """
    global _down_until
    if time.monotonic() < _down_until:
        logger.warning("Broker marked down; %s left to catch-up", what)
        return False
    try:
        current_app.send_task(name, args=args, retry=False, countdown=countdown)
    except Exception as exc:  # any broker or connection error: log and move on
        _down_until = time.monotonic() + settings.INTAKE_BROKER_BACKOFF_SECONDS
        logger.warning("Could not queue %s (%s); left to catch-up", what, type(exc).__name__)
        return False
    return True


def broker_backoff_reset() -> None:
    """Forget a past failure (tests, and operators after the broker is back)."""
    global _down_until
    _down_until = 0.0
