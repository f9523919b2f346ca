"""Fixed-window rate limits with counters in Django's cache (Redis when configured).

Fail open: when the cache cannot be reached the request is allowed and the
fact is logged (once per backoff period per process, without personal data),
because a citizen's idea matters more than a perfect limit during an outage.
"""

from __future__ import annotations

import hashlib
import logging
import time
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.cache import cache
from django.core.cache.backends.redis import RedisCacheClient

if TYPE_CHECKING:
    import redis
    from django.http import HttpRequest

logger = logging.getLogger(__name__)

_cache_down_until = 0.0
_CACHE_BACKOFF_SECONDS = 5


def client_ip(request: HttpRequest) -> str:
    return request.META.get(settings.INTAKE_CLIENT_IP_META) or request.META.get("REMOTE_ADDR", "")


def _bucket_key(scope: str, ident: str, window: int) -> str:
    # Hash the identifier: phone numbers must not appear in cache keys either.
    digest = hashlib.sha256(f"{scope}:{ident}".encode()).hexdigest()[:32]
    return f"rl:{scope}:{int(time.time() // window)}:{digest}"


_clients: dict[int, object] = {}


def _redis_client(backend: RedisCacheClient) -> redis.Redis:
    # Django builds a new redis.Redis (and its ~170 response callbacks) per call;
    # keep one per connection pool instead (the pool is what holds the sockets).
    pool = backend._get_connection_pool(write=True)
    client = _clients.get(id(pool))
    if client is None:
        client = _clients[id(pool)] = backend._client(connection_pool=pool)
    return client


def _counts_increment(buckets: list[tuple[str, int]]) -> list[int]:
    """INCR each key (creating it with its window as expiry); returns the new counts."""
    backend = getattr(cache, "_cache", None)
    if isinstance(backend, RedisCacheClient):
        # One pipelined round trip for every counter of the request.
        keys = [cache.make_and_validate_key(key) for key, _window in buckets]
        pipe = _redis_client(backend).pipeline(transaction=False)
        for key, (_key, window) in zip(keys, buckets, strict=True):
            pipe.incr(key)
            pipe.expire(key, window + 60, nx=True)
        return [int(value) for value in pipe.execute()[::2]]
    counts = []
    for key, window in buckets:
        cache.add(key, 0, timeout=window + 60)
        try:
            counts.append(cache.incr(key))
        except ValueError:  # expired between add() and incr(): a new window
            counts.append(1)
    return counts


def rate_limits_hit(checks: list[tuple[str, str, int, int]]) -> bool:
    """Count one hit on each (scope, ident, limit, window); True if any limit is exceeded.

    Never raises: an unreachable cache fails open.
    """
    global _cache_down_until
    active = [(s, i, limit, w) for s, i, limit, w in checks if limit > 0 and i]
    if not active or time.monotonic() < _cache_down_until:
        return False
    try:
        counts = _counts_increment([(_bucket_key(s, i, w), w) for s, i, _limit, w in active])
    except Exception as exc:  # cache backend unreachable: fail open
        _cache_down_until = time.monotonic() + _CACHE_BACKOFF_SECONDS
        logger.warning("Rate limit cache unavailable (%s); failing open", type(exc).__name__)
        return False
    return any(count > limit for count, (_s, _i, limit, _w) in zip(counts, active, strict=True))


def rate_limit_hit(*, scope: str, ident: str, limit: int, window: int) -> bool:
    return rate_limits_hit([(scope, ident, limit, window)])


def cache_backoff_reset() -> None:
    global _cache_down_until
    _cache_down_until = 0.0


def submission_limited(request: HttpRequest, *, phone: str) -> bool:
    """Per address (an hour) and per phone (a day), counted together in one round trip."""
    return rate_limits_hit(
        [
            ("submit-ip", client_ip(request), settings.INTAKE_RATE_PER_IP_PER_HOUR, 3600),
            ("submit-phone", phone, settings.INTAKE_RATE_PER_PHONE_PER_DAY, 86400),
        ]
    )


def submission_ip_limited(request: HttpRequest) -> bool:
    return rate_limit_hit(
        scope="submit-ip",
        ident=client_ip(request),
        limit=settings.INTAKE_RATE_PER_IP_PER_HOUR,
        window=3600,
    )


def submission_phone_limited(phone: str) -> bool:
    return rate_limit_hit(
        scope="submit-phone",
        ident=phone,
        limit=settings.INTAKE_RATE_PER_PHONE_PER_DAY,
        window=86400,
    )


def lookup_limited(request: HttpRequest) -> bool:
    return rate_limit_hit(
        scope="lookup-ip",
        ident=client_ip(request),
        limit=settings.INTAKE_RATE_LOOKUP_PER_IP_PER_HOUR,
        window=3600,
    )
