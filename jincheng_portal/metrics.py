"""Prometheus metrics (prometheus-client), scraped from /metrics on every web node.

Counted in the processes that do the work:
  portal_request_duration_seconds{view,method,status}   histogram, RequestMetricsMiddleware
  portal_intake_submissions_total{channel,outcome}       counter, @submissions_counted on
      suggestion_submit: stored | repeat (the same idea again, first receipt returned) |
      invalid | closed (campaign not open) | error
  portal_decisions_total{from_status,to_status,outcome}  counter, @decisions_counted on
      suggestions_transition: changed | refused; counted when the transaction commits
Computed when scraped (from PostgreSQL and Redis, so every node reports the same figure
and there is nothing to merge between processes):
  portal_celery_queue_length{queue}           LLEN of each Celery queue (all priorities)
  portal_tally_age_seconds{campaign}          seconds since the last finished TallyRun
  portal_duplicate_check_backlog              ideas whose near-duplicate check has not
                                              run yet (duplicate_of IS NULL)
  portal_state_source_up{source}              1 if that source answered during the scrape

Several gunicorn workers: with PROMETHEUS_MULTIPROC_DIR set (an empty folder, wiped at
every start; the systemd unit uses its RuntimeDirectory) the counters and histograms of
all workers are kept in files there and merged at scrape time, so any worker answers
for the whole node. Without it (runserver, tests) each process reports its own.

The scrape endpoint is off (404) unless METRICS_TOKEN or METRICS_ALLOWED_IPS is set;
then a request must carry "Authorization: Bearer <METRICS_TOKEN>" and/or come from an
address in METRICS_ALLOWED_IPS (REMOTE_ADDR: Prometheus scrapes each node directly,
never through nginx, whose site config answers /metrics with 404), else 403.

The hooks into the services are one decorator each, so the services stay free of
metrics code; this module imports no suggestions code at import time (the scrape-time
queries import the models lazily).
"""

import functools
import hmac
import ipaddress
import logging
import os
import time
from collections import Counter as Tally

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpResponse, HttpResponseForbidden, HttpResponseNotFound
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily

log = logging.getLogger(__name__)

# Our own registry: only the portal's metrics, in both modes.
REGISTRY = CollectorRegistry(auto_describe=True)

REQUEST_DURATION = Histogram(
    "portal_request_duration_seconds",
    "Time to answer a request, by Django view name, method and status class.",
    ["view", "method", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 120.0),
    registry=REGISTRY,
)
INTAKE_SUBMISSIONS = Counter(
    "portal_intake_submissions",
    "Ideas submitted, by channel and outcome.",
    ["channel", "outcome"],
    registry=REGISTRY,
)
DECISIONS = Counter(
    "portal_decisions",
    "Status changes asked of the workflow, by transition and outcome.",
    ["from_status", "to_status", "outcome"],
    registry=REGISTRY,
)

# kombu's Redis transport keeps each priority level of a queue in a list of its own.
_KOMBU_PRIORITY_SEP = "\x06\x16"
_KOMBU_PRIORITY_STEPS = (0, 3, 6, 9)


# --- hooks --------------------------------------------------------------------


def submissions_counted(*, closed: type[Exception]):
    """Decorator for suggestion_submit: counts every call by channel and outcome."""

    def decorate(submit):
        @functools.wraps(submit)
        def wrapper(**kwargs):
            channel = str(kwargs.get("channel", "unknown"))
            try:
                result = submit(**kwargs)
            except ValidationError:
                INTAKE_SUBMISSIONS.labels(channel, "invalid").inc()
                raise
            except closed:
                INTAKE_SUBMISSIONS.labels(channel, "closed").inc()
                raise
            except Exception:
                INTAKE_SUBMISSIONS.labels(channel, "error").inc()
                raise
            INTAKE_SUBMISSIONS.labels(channel, "stored" if result.created else "repeat").inc()
            return result

        return wrapper

    return decorate


def decisions_counted(transition):
    """Decorator for suggestions_transition: counts changed and refused ideas per
    transition once the surrounding transaction commits (a rollback counts nothing)."""

    @functools.wraps(transition)
    def wrapper(*, suggestions, to_status, **kwargs):
        suggestions = list(suggestions)
        seen = {s.pk: s.status for s in suggestions}  # the service updates .status
        result = transition(suggestions=suggestions, to_status=to_status, **kwargs)
        counts = Tally((c.from_status, c.to_status, "changed") for c in result.changed)
        counts.update((seen.get(s.pk, ""), to_status, "refused") for s, _ in result.refused)

        def count():
            for labels, n in counts.items():
                DECISIONS.labels(*labels).inc(n)

        transaction.on_commit(count)
        return result

    return wrapper


class RequestMetricsMiddleware:
    """Observes every request's duration under its view name (after URL resolution)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        start = time.perf_counter()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        view = (match.view_name or match._func_path) if match else "<unresolved>"
        REQUEST_DURATION.labels(view, request.method, f"{response.status_code // 100}xx").observe(
            time.perf_counter() - start
        )
        return response


# --- scrape-time state ----------------------------------------------------------


def _queue_names() -> list[str]:
    return [queue.name for queue in getattr(settings, "CELERY_TASK_QUEUES", ())] or ["celery"]


_redis_clients: dict[str, object] = {}


def redis_client(url: str):
    """One client (and connection pool) per process and URL, with short timeouts:
    a scrape or a readiness probe must answer quickly whatever is down."""
    client = _redis_clients.get(url)
    if client is None:
        import redis

        client = redis.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=0.5)
        _redis_clients[url] = client
    return client


def _queue_lengths() -> dict[str, int]:
    client = redis_client(settings.REDIS_URL)
    pipe = client.pipeline(transaction=False)
    names = _queue_names()
    for name in names:
        for step in _KOMBU_PRIORITY_STEPS:
            pipe.llen(name if step == 0 else f"{name}{_KOMBU_PRIORITY_SEP}{step}")
    lengths = pipe.execute()
    per = len(_KOMBU_PRIORITY_STEPS)
    return {name: sum(lengths[i * per : (i + 1) * per]) for i, name in enumerate(names)}


def _tally_ages() -> dict[str, float]:
    from django.db.models import Max
    from django.utils import timezone

    from suggestions.models import TallyRun

    rows = (
        TallyRun.objects.filter(finished_at__isnull=False, campaign__is_active=True)
        .values("campaign__slug")
        .annotate(last=Max("finished_at"))
    )
    now = timezone.now()
    return {row["campaign__slug"]: (now - row["last"]).total_seconds() for row in rows}


def _duplicate_backlog() -> int:
    from suggestions.models import Suggestion

    # duplicate_of has the foreign key's index: an index scan over the unchecked ideas.
    return Suggestion.objects.filter(duplicate_of__isnull=True).count()


class PortalStateCollector:
    """Gauges read from PostgreSQL and Redis at scrape time."""

    def collect(self):
        up = GaugeMetricFamily(
            "portal_state_source_up", "1 if the source answered this scrape.", labels=["source"]
        )
        if settings.REDIS_URL:
            try:
                lengths = _queue_lengths()
            except Exception as exc:  # a scrape must answer whatever is down
                log.warning("metrics: Celery queue lengths unavailable: %s", exc)
                up.add_metric(["redis"], 0)
            else:
                up.add_metric(["redis"], 1)
                queues = GaugeMetricFamily(
                    "portal_celery_queue_length",
                    "Messages waiting in a Celery queue (Redis LLEN, all priorities).",
                    labels=["queue"],
                )
                for name, length in lengths.items():
                    queues.add_metric([name], length)
                yield queues
        try:
            ages, backlog = _tally_ages(), _duplicate_backlog()
        except Exception as exc:
            log.warning("metrics: database figures unavailable: %s", exc)
            up.add_metric(["database"], 0)
        else:
            up.add_metric(["database"], 1)
            tally = GaugeMetricFamily(
                "portal_tally_age_seconds",
                "Seconds since the last finished tally of each active campaign.",
                labels=["campaign"],
            )
            for slug, age in ages.items():
                tally.add_metric([slug], age)
            yield tally
            yield GaugeMetricFamily(
                "portal_duplicate_check_backlog",
                "Ideas whose near-duplicate check has not run yet (duplicate_of IS NULL).",
                value=backlog,
            )
        yield up


_STATE_REGISTRY = CollectorRegistry(auto_describe=False)
_STATE_REGISTRY.register(PortalStateCollector())


def metrics_text() -> bytes:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        merged = CollectorRegistry()
        multiprocess.MultiProcessCollector(merged)
        counted = generate_latest(merged)
    else:
        counted = generate_latest(REGISTRY)
    return counted + generate_latest(_STATE_REGISTRY)


# --- the scrape endpoint ----------------------------------------------------------


def _address_allowed(address: str | None, allowed: list[str]) -> bool:
    if not address:
        return False
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in ipaddress.ip_network(net, strict=False) for net in allowed)


def metrics_view(request):
    token, allowed = settings.METRICS_TOKEN, settings.METRICS_ALLOWED_IPS
    if not token and not allowed:
        return HttpResponseNotFound("Not found", content_type="text/plain")
    if token:
        given = request.META.get("HTTP_AUTHORIZATION", "")
        if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
            return HttpResponseForbidden("Forbidden", content_type="text/plain")
    if allowed and not _address_allowed(request.META.get("REMOTE_ADDR"), allowed):
        return HttpResponseForbidden("Forbidden", content_type="text/plain")
    response = HttpResponse(metrics_text(), content_type=CONTENT_TYPE_LATEST)
    response["Cache-Control"] = "no-store"
    return response
