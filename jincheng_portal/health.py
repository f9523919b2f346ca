"""Liveness and readiness probes for load balancers and operators: /healthz and /readyz.

/healthz   the process is alive and answering: no I/O at all, always 200.
/readyz    this node can serve: the database answers, every migration of this code is
           applied, this node's SECRET_KEY is the deployment's (see _check_signing_key),
           Redis (broker and cache) answers when REDIS_URL is set, and the static
           manifest exists when DEBUG is off. 200 {"status": "ready", ...}, else 503 with
           {"status": "unready", "reason": ..., "checks": {...}}.

Our own small module rather than django-health-check: fewer moving parts (no extra app,
plugin registry, templates or tables; one pinned package less), exactly the checks this
portal needs, and an answer cheap enough to be polled every second (one SELECT 1, one
Redis PING, one stat; the migration plan is cached for MIGRATIONS_CACHE_SECONDS).

The probes answer from ProbesMiddleware, first in MIDDLEWARE, before SecurityMiddleware
(no HTTPS redirect), CommonMiddleware/CSRF (no ALLOWED_HOSTS check: a load balancer or
nginx asks with whatever Host it likes, often the node's own address), sessions, CSP or
the request-latency histogram. /metrics is answered there too, for the same reasons
(jincheng_portal.metrics.metrics_view, which guards it with a token and/or allowlist).
Each answer says no-store, and none of them touches user data.
"""

import logging
import threading
import time
from pathlib import Path

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.utils import Error as DatabaseError
from django.http import HttpResponseNotAllowed, JsonResponse

from jincheng_portal.metrics import metrics_view, redis_client

log = logging.getLogger(__name__)

# The plan is a few dozen ms to compute (the migration graph is read from disk) and it
# only changes on a deploy: recompute it at most this often per process.
MIGRATIONS_CACHE_SECONDS = 2.0
_migrations_lock = threading.Lock()
_migrations_cache: tuple[float, list[str]] | None = None
_last_ready: bool | None = None  # for logging changes of state, not every poll


def _no_store(response):
    response["Cache-Control"] = "no-store"
    return response


def healthz(request):
    return _no_store(JsonResponse({"status": "alive"}))


def _check_database(alias: str = DEFAULT_DB_ALIAS) -> str | None:
    connection = connections[alias]
    try:
        connection.ensure_connection()
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError as exc:
        connection.close()  # the next probe reconnects from scratch
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return f"database unreachable: {first}"
    return None


def migrations_pending(alias: str = DEFAULT_DB_ALIAS) -> list[str]:
    """Migrations of this code not applied to the database (cached a couple of seconds)."""
    global _migrations_cache
    now = time.monotonic()
    with _migrations_lock:
        if _migrations_cache and now - _migrations_cache[0] < MIGRATIONS_CACHE_SECONDS:
            return _migrations_cache[1]
        from django.db.migrations.loader import MigrationLoader

        # Every node of the graph, not the plan to the leaves: a plan skips a migration
        # missing below an applied leaf, which is exactly what a bad restore leaves behind.
        loader = MigrationLoader(connections[alias])
        applied = loader.applied_migrations
        pending = sorted(
            f"{app}.{name}" for app, name in loader.graph.nodes if (app, name) not in applied
        )
        _migrations_cache = (now, pending)
        return pending


def migrations_cache_clear() -> None:
    global _migrations_cache
    with _migrations_lock:
        _migrations_cache = None


def _check_migrations() -> str | None:
    try:
        pending = migrations_pending()
    except DatabaseError as exc:
        return f"migrations unknown: {str(exc).strip().splitlines()[0] if str(exc) else exc!r}"
    if pending:
        shown = ", ".join(pending[:5]) + (" …" if len(pending) > 5 else "")
        return f"{len(pending)} unapplied migration(s): {shown}; run manage.py migrate"
    return None


# A node with another SECRET_KEY than the rest would log staff out whenever nginx sends
# them to it (sessions are signed) and break password-reset links. Detected through the
# database all nodes share: the first node to be ready stores a value signed with its key
# (SigningKeyProof); a node whose key or fallbacks verify neither of the latest two stored
# values is not ready. Rotation (SECRET_KEY=new, SECRET_KEY_FALLBACKS=old): the first
# rotated node verifies the stored value through its fallback and stores one signed with
# its new key, so old and rotated nodes both stay ready, and a node still on the key
# before the old one does not. A positive answer is kept for KEY_CHECK_CACHE_SECONDS.
KEY_CHECK_SALT = "jincheng_portal.health.signing-key"
KEY_CHECK_VALUE = "deployment"
KEY_CHECK_CACHE_SECONDS = 30.0
_key_checked_until = 0.0


def _key_fingerprint(key: str) -> str:
    """Short, one-way: safe to log, enough to tell two keys apart."""
    from django.utils.crypto import salted_hmac

    return salted_hmac(KEY_CHECK_SALT, "fingerprint", secret=key).hexdigest()[:12]


def _verifies(signed: str, key: str) -> bool:
    from django.core.signing import BadSignature, Signer

    try:
        return Signer(key=key, salt=KEY_CHECK_SALT, fallback_keys=[]).unsign(signed) == (
            KEY_CHECK_VALUE
        )
    except BadSignature:
        return False


def _check_signing_key() -> str | None:
    global _key_checked_until
    if time.monotonic() < _key_checked_until:
        return None
    from django.core.signing import Signer

    from suggestions.models import SigningKeyProof

    key, fallbacks = settings.SECRET_KEY, list(settings.SECRET_KEY_FALLBACKS)
    try:
        stored = list(SigningKeyProof.objects.order_by("-pk").values_list("signed", flat=True)[:2])
        if not any(_verifies(value, key) for value in stored):
            if stored and not any(_verifies(v, old) for v in stored for old in fallbacks):
                return (
                    f"SECRET_KEY (fingerprint {_key_fingerprint(key)}) is not the key of the"
                    " other nodes: neither it nor SECRET_KEY_FALLBACKS verifies the value"
                    " the deployment signed; every node needs the same SECRET_KEY"
                )
            # The first node, or the first one rotated to a new key: record ours.
            signer = Signer(key=key, salt=KEY_CHECK_SALT, fallback_keys=[])
            SigningKeyProof.objects.create(signed=signer.sign(KEY_CHECK_VALUE))
            log.info("Signing key recorded (fingerprint %s)", _key_fingerprint(key))
    except DatabaseError as exc:
        return f"signing key unknown: {str(exc).strip().splitlines()[0] if str(exc) else exc!r}"
    _key_checked_until = time.monotonic() + KEY_CHECK_CACHE_SECONDS
    return None


def key_check_cache_clear() -> None:
    global _key_checked_until
    _key_checked_until = 0.0


def _check_redis() -> str | None:
    url = settings.REDIS_URL
    if not url:
        return None
    import redis

    try:
        redis_client(url).ping()
    except redis.RedisError as exc:
        return f"redis unreachable: {exc}"
    return None


def _check_static() -> str | None:
    if settings.DEBUG:
        return None
    from django.contrib.staticfiles.storage import staticfiles_storage

    manifest_name = getattr(staticfiles_storage, "manifest_name", None)
    if manifest_name is None:  # a storage without a manifest
        return None
    if not (Path(settings.STATIC_ROOT) / manifest_name).is_file():
        return f"static manifest {manifest_name} missing in {settings.STATIC_ROOT}: collectstatic"
    return None


def readiness() -> tuple[bool, dict[str, str]]:
    """Each check's verdict ("ok", "skipped" or the reason it failed)."""
    checks: dict[str, str] = {}
    problem = _check_database()
    checks["database"] = problem or "ok"
    # Without a database the migrations cannot be known: one reason is enough.
    checks["migrations"] = (_check_migrations() or "ok") if problem is None else "skipped"
    # Its table is one of the migrations: asked only once they are applied.
    checks["secret_key"] = (
        (_check_signing_key() or "ok") if checks["migrations"] == "ok" else "skipped"
    )
    if settings.REDIS_URL:
        redis_problem = _check_redis()
        if redis_problem and not settings.READYZ_REDIS_REQUIRED:
            checks["redis"] = f"degraded ({redis_problem}); not required"
        else:
            checks["redis"] = redis_problem or "ok"
    else:
        checks["redis"] = "skipped"
    checks["static"] = "skipped" if settings.DEBUG else (_check_static() or "ok")
    ready = all(v in ("ok", "skipped") or v.startswith("degraded") for v in checks.values())
    return ready, checks


def readyz(request):
    global _last_ready
    ready, checks = readiness()
    if ready:
        body = {"status": "ready", "checks": checks}
    else:
        reasons = [v for v in checks.values() if v not in ("ok", "skipped")]
        body = {"status": "unready", "reason": "; ".join(reasons), "checks": checks}
    if ready != _last_ready:  # say why in the log once per change, not once per poll
        if ready:
            log.info("Ready: %s", checks)
        else:
            log.warning("Not ready: %s", body["reason"])
        _last_ready = ready
    response = JsonResponse(body, status=200 if ready else 503)
    # Logged above once per change of state; without this Django's handler would log
    # "Service Unavailable: /readyz" as an ERROR on every poll (django.utils.log).
    response._has_been_logged = True
    return _no_store(response)


class ProbesMiddleware:
    """Answers /healthz, /readyz and /metrics before every other middleware."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.routes = {"/healthz": healthz, "/readyz": readyz, "/metrics": metrics_view}

    def __call__(self, request):
        view = self.routes.get(request.path_info.rstrip("/") or "/")
        if view is None:
            return self.get_response(request)
        if request.method not in ("GET", "HEAD"):
            return HttpResponseNotAllowed(["GET", "HEAD"])
        return view(request)
