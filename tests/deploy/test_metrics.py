"""/metrics: who may scrape it, and that each figure counts what it says."""

import secrets
import socket
import time
import uuid
from datetime import timedelta

import pytest
import requests
from django.core.exceptions import ValidationError
from django.test import override_settings
from django.utils import timezone
from kombu import Queue

from jincheng_portal import metrics
from suggestions.intake.services import CampaignClosed, suggestion_submit
from suggestions.models import Status, Suggestion, TallyRun
from suggestions.screening.workflow import Actor, suggestions_transition
from tests.deploy.conftest import Node, production_env
from tests.factories import SuggestionFactory, _default_topic


def sample(name: str, **labels) -> float:
    return metrics.REGISTRY.get_sample_value(name, labels) or 0.0


def scraped(text: str, name: str, **labels) -> float | None:
    """The value of one sample in a scrape's exposition text."""
    from prometheus_client.parser import text_string_to_metric_families

    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()):
                return s.value
    return None


# --- access -----------------------------------------------------------------------


def test_metrics_is_not_found_unless_configured(client, db):
    assert client.get("/metrics").status_code == 404


@override_settings(METRICS_TOKEN="s3cret-token")
def test_metrics_needs_the_bearer_token(client, db):
    assert client.get("/metrics").status_code == 403
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 403
    response = client.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-token")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert b"portal_duplicate_check_backlog" in response.content


@override_settings(METRICS_ALLOWED_IPS=["10.0.0.0/24"])
def test_metrics_allowlist_checks_the_direct_peer(client, db):
    assert client.get("/metrics", REMOTE_ADDR="10.0.1.5").status_code == 403
    # A forwarded-for header is no way around it.
    assert (
        client.get("/metrics", REMOTE_ADDR="10.0.1.5", HTTP_X_FORWARDED_FOR="10.0.0.9").status_code
        == 403
    )
    assert client.get("/metrics", REMOTE_ADDR="10.0.0.9").status_code == 200


@override_settings(METRICS_TOKEN="t", METRICS_ALLOWED_IPS=["127.0.0.1"])
def test_metrics_with_token_and_allowlist_needs_both(client, db):
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer t").status_code == 200
    assert (
        client.get("/metrics", HTTP_AUTHORIZATION="Bearer t", REMOTE_ADDR="10.1.1.1").status_code
        == 403
    )
    assert client.get("/metrics").status_code == 403


# --- counters ---------------------------------------------------------------------


@pytest.fixture
def submit_kwargs(units, campaign):
    return {
        "campaign": campaign,
        "title": "老城区增设口袋公园",
        "content": "建议在老城区增加口袋公园和健身步道，方便居民就近锻炼，提升城市宜居水平。",
        "topic": _default_topic(),
        "unit": units["城区"],
        "identity_type": "public",
        "name": "李四",
        "phone": "13912345678",
        "publish_consent": False,
        "channel": "mini_program",
    }


def test_submissions_are_counted_by_channel_and_outcome(submit_kwargs, campaign):
    name = "portal_intake_submissions_total"
    before = {
        o: sample(name, channel="mini_program", outcome=o) for o in ("stored", "repeat", "invalid")
    }

    suggestion_submit(**submit_kwargs)
    suggestion_submit(**submit_kwargs)  # the same idea again: its first receipt
    with pytest.raises(ValidationError):
        suggestion_submit(**{**submit_kwargs, "phone": "123"})

    for outcome in ("stored", "repeat", "invalid"):
        assert sample(name, channel="mini_program", outcome=outcome) == before[outcome] + 1, outcome


def test_a_closed_campaign_counts_as_closed(submit_kwargs, campaign):
    campaign.closes_at = campaign.opens_at + timedelta(seconds=1)
    campaign.save()
    before = sample("portal_intake_submissions_total", channel="mini_program", outcome="closed")
    with pytest.raises(CampaignClosed):
        suggestion_submit(**submit_kwargs)
    assert (
        sample("portal_intake_submissions_total", channel="mini_program", outcome="closed")
        == before + 1
    )


def test_decisions_are_counted_by_transition_when_committed(
    campaign, units, personas, django_capture_on_commit_callbacks
):
    ideas = SuggestionFactory.create_batch(3, campaign=campaign, unit=units["城区"])
    # Someone else shortlisted the third meanwhile; the actor still saw it collected.
    Suggestion.objects.filter(pk=ideas[2].pk).update(status=Status.SHORTLISTED)
    name = "portal_decisions_total"
    labels = {"from_status": "collected", "to_status": "shortlisted"}
    changed = sample(name, **labels, outcome="changed")
    refused = sample(name, **labels, outcome="refused")

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        suggestions_transition(
            suggestions=ideas,
            to_status=Status.SHORTLISTED,
            actor=Actor.of(personas["screener_chengqu"]),
        )
    assert sample(name, **labels, outcome="changed") == changed  # not before the commit
    for callback in callbacks:
        callback()

    assert sample(name, **labels, outcome="changed") == changed + 2
    assert sample(name, **labels, outcome="refused") == refused + 1


def test_request_latency_is_observed_under_the_view_name(client, campaign):
    name = "portal_request_duration_seconds_count"
    before = sample(name, view="suggestions:home", method="GET", status="2xx")
    assert client.get("/").status_code == 200
    assert sample(name, view="suggestions:home", method="GET", status="2xx") == before + 1
    client.get("/no-such-page/")
    assert sample(name, view="<unresolved>", method="GET", status="4xx") >= 1


# --- figures computed when scraped ------------------------------------------------------


@override_settings(METRICS_TOKEN="t")
def test_tally_age_and_duplicate_backlog_come_from_the_database(client, campaign, units):
    SuggestionFactory.create_batch(2, campaign=campaign, unit=units["城区"])
    now = timezone.now()
    for minutes, key in ((30, "a"), (2, "b")):
        at = now - timedelta(minutes=minutes)
        TallyRun.objects.create(
            campaign=campaign, cutoff=at, day=at.date(), finished_at=at, run_key=key
        )
    TallyRun.objects.create(campaign=campaign, cutoff=now, day=now.date(), run_key="running")

    text = client.get("/metrics", HTTP_AUTHORIZATION="Bearer t").content.decode()

    age = scraped(text, "portal_tally_age_seconds", campaign=campaign.slug)
    assert 120 <= age < 180  # the last finished run, not the unfinished one
    assert scraped(text, "portal_duplicate_check_backlog") == 2
    assert scraped(text, "portal_state_source_up", source="database") == 1


def test_celery_queue_lengths_are_read_from_redis(client, db, settings):
    if not settings.REDIS_URL:
        pytest.skip("REDIS_URL is not set: queue lengths come from Redis")
    name = f"test-{uuid.uuid4().hex[:8]}"
    redis = metrics.redis_client(settings.REDIS_URL)
    redis.lpush(name, "a", "b", "c")
    redis.lpush(f"{name}\x06\x163", "d")  # a priority-3 message of the same queue
    try:
        with override_settings(METRICS_TOKEN="t", CELERY_TASK_QUEUES=(Queue(name),)):
            text = client.get("/metrics", HTTP_AUTHORIZATION="Bearer t").content.decode()
    finally:
        redis.delete(name, f"{name}\x06\x163")
    assert scraped(text, "portal_celery_queue_length", queue=name) == 4
    assert scraped(text, "portal_state_source_up", source="redis") == 1


# --- several gunicorn workers -------------------------------------------------------


@pytest.mark.services
def test_workers_counts_are_merged_in_multiprocess_mode(
    transactional_db, django_db_blocker, static_root, tmp_path
):
    from tests.conftest import test_database_url

    with django_db_blocker.unblock():
        database_url = test_database_url()
    token = secrets.token_urlsafe(16)
    folder = tmp_path / "prometheus"
    folder.mkdir()
    env = production_env(
        DATABASE_URL=database_url,
        STATIC_ROOT=str(static_root),
        METRICS_TOKEN=token,
        PROMETHEUS_MULTIPROC_DIR=str(folder),
        SECURE_SSL_REDIRECT="0",
    )
    node = Node(env=env, log_path=tmp_path / "node.log", workers=3).start()
    try:
        session = requests.Session()
        # The kernel may hand every short connection to the same worker, so three
        # connections are held open half-sent first: a sync worker reading one cannot
        # accept another, and each of the three workers ends up serving one of them.
        held = [socket.create_connection((node.bind.split(":")[0], node.port)) for _ in range(3)]
        for sock in held:
            sock.sendall(b"GET /privacy/ HTTP/1.1\r\nHost: " + node.bind.encode() + b"\r\n")
        time.sleep(0.5)
        for sock in held:
            sock.sendall(b"Connection: close\r\n\r\n")
            assert sock.makefile("rb").readline().split()[1] == b"200"
            sock.close()
        for _ in range(27):
            assert requests.get(node.url + "/privacy/", timeout=10).status_code == 200
        time.sleep(0.2)
        counts = set()
        for _ in range(6):
            text = session.get(
                node.url + "/metrics", headers={"Authorization": f"Bearer {token}"}, timeout=10
            ).text
            counts.add(
                scraped(
                    text,
                    "portal_request_duration_seconds_count",
                    view="suggestions:privacy",
                    method="GET",
                    status="2xx",
                )
            )
        assert counts == {30.0}, counts  # every scrape, whichever worker answers, sees all
        assert len(list(folder.glob("histogram_*.db"))) == 3  # each worker wrote its own file
    finally:
        node.stop()
