"""Tiny tasks for operators and tests: a broker round trip, and redelivery after a lost worker.

slow_probe counts its starts and completions in the cache (Redis in production), so a test
can kill the worker mid-task and then check the task ran to completion exactly once.
"""

import time

from celery import shared_task
from django.core.cache import cache

_MAX_SECONDS = 30.0


def _bump(key: str) -> None:
    cache.add(key, 0, timeout=3600)
    cache.incr(key)


@shared_task(name="portal.ping", ignore_result=False)
def ping() -> str:
    """Round trip through the broker; used by the smoke test and by operators."""
    return "pong"


@shared_task(name="portal.slow_probe")
def slow_probe(token: str, seconds: float) -> None:
    _bump(f"probe:{token}:started")
    time.sleep(min(max(seconds, 0.0), _MAX_SECONDS))
    _bump(f"probe:{token}:done")
