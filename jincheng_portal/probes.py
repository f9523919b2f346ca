"""A tiny task for operators and fault tests: proves redelivery after a lost worker.

It counts its starts and completions in the cache (Redis in production), so a test
can kill the worker mid-task and then check the task ran to completion exactly once.
"""

import time

from django.core.cache import cache

from jincheng_portal.celery import app

_MAX_SECONDS = 30.0


def _bump(key: str) -> None:
    cache.add(key, 0, timeout=3600)
    cache.incr(key)


@app.task(name="portal.slow_probe")
def slow_probe(token: str, seconds: float) -> None:
    _bump(f"probe:{token}:started")
    time.sleep(min(max(seconds, 0.0), _MAX_SECONDS))
    _bump(f"probe:{token}:done")
