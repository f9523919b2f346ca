"""Fixed-window rate limits with counters in Django's cache (Redis when configured).

Fail open: when the cache cannot be reached the request is allowed and the
fact is logged (once per backoff period per process, without personal data),
because a citizen's idea matters more than a perfect limit during an outage.
"""

import hashlib
import logging
import time

from django.conf import settings
from django.core.cache import cache

logger = logging.getLogger(__name__)

_cache_down_until = 0.0
_CACHE_BACKOFF_SECONDS = 5


def client_ip(request) -> str:
    return request.META.get(settings.INTAKE_CLIENT_IP_META) or request.META.get("REMOTE_ADDR", "")


def _bucket_key(scope: str, ident: str, window: int) -> str:
    # Hash the identifier: phone numbers must not appear in cache keys either.
    digest = hashlib.sha256(f"{scope}:{ident}".encode()).hexdigest()[:32]
    return f"rl:{scope}:{int(time.time() // window)}:{digest}"


def rate_limit_hit(*, scope: str, ident: str, limit: int, window: int) -> bool:
    """Count one hit; True when the limit is exceeded. Never raises."""
    global _cache_down_until
    if limit <= 0 or not ident:
        return False
    if time.monotonic() < _cache_down_until:
        return False
    key = _bucket_key(scope, ident, window)
    try:
        # add() is a no-op when the key exists; incr() is atomic in Redis.
        cache.add(key, 0, timeout=window + 60)
        count = cache.incr(key)
    except ValueError:
        # The key expired between add() and incr(): start a new window.
        return False
    except Exception as exc:  # cache backend unreachable: fail open
        _cache_down_until = time.monotonic() + _CACHE_BACKOFF_SECONDS
        logger.warning("Rate limit cache unavailable (%s); failing open", type(exc).__name__)
        return False
    return count > limit


def rate_limit_peek(*, scope: str, ident: str, limit: int, window: int) -> bool:
    """True when the limit is already exceeded, without counting. Never raises."""
    if limit <= 0 or not ident or time.monotonic() < _cache_down_until:
        return False
    try:
        count = cache.get(_bucket_key(scope, ident, window)) or 0
    except Exception:
        return False
    return count >= limit


def cache_backoff_reset() -> None:
    global _cache_down_until
    _cache_down_until = 0.0


def submission_ip_limited(request) -> bool:
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


def lookup_limited(request) -> bool:
    return rate_limit_hit(
        scope="lookup-ip",
        ident=client_ip(request),
        limit=settings.INTAKE_RATE_LOOKUP_PER_IP_PER_HOUR,
        window=3600,
    )
