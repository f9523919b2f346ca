"""Identical requests racing each other store exactly one row (real database, real threads)."""

import json
import os
import threading

import pytest
from django.core import signing
from django.db import connection, connections
from django.test import Client, override_settings

from suggestions.intake.channels import channel_key_create
from suggestions.intake.views import RECEIPT_SALT
from suggestions.models import Campaign, Suggestion

pytestmark = pytest.mark.django_db(transaction=True)


def _connections_held() -> list:
    """Who holds the server's connections (PostgreSQL), for a failure's message."""
    if connection.vendor != "postgresql":
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT datname, application_name, state, count(*) FROM pg_stat_activity"
            " GROUP BY 1, 2, 3 ORDER BY 4 DESC"
        )
        return cursor.fetchall()


def race(n: int, send) -> list:
    barrier = threading.Barrier(n)
    results: list = [None] * n

    def worker(i):
        try:
            barrier.wait()
            results[i] = send()
        except Exception as exc:  # recorded, asserted below
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


@override_settings(INTAKE_RATE_PER_IP_PER_HOUR=1000, INTAKE_RATE_PER_PHONE_PER_DAY=1000)
def test_fifty_identical_concurrent_form_posts_store_one_row(form_data, campaign):
    results = race(50, lambda: Client().post("/submit/", form_data))

    statuses = [getattr(r, "status_code", r) for r in results]
    assert statuses == [302] * 50, (statuses[:3], _connections_held())
    # Everyone is sent to the first receipt.
    receipts = {signing.loads(r["Location"].split("/")[-2], salt=RECEIPT_SALT) for r in results}
    assert Suggestion.objects.count() == 1
    assert receipts == {Suggestion.objects.get().receipt}
    # Requests that lost the race may have taken a number that is then skipped:
    # numbers are never reused, not gapless.
    assert Campaign.objects.get(pk=campaign.pk).last_sequence >= 1


@override_settings(INTAKE_RATE_PER_IP_PER_HOUR=1000, INTAKE_RATE_PER_PHONE_PER_DAY=1000)
def test_concurrent_different_posts_get_distinct_consecutive_receipts(form_data, campaign):
    counter = iter(range(1000))
    lock = threading.Lock()

    def send():
        with lock:
            i = next(counter)
        return Client().post("/submit/", {**form_data, "phone": f"1390000{i:04d}"})

    results = race(20, send)

    assert [getattr(r, "status_code", r) for r in results] == [302] * 20
    receipts = sorted(Suggestion.objects.values_list("receipt", flat=True))
    assert receipts == [f"JC2021-{n:06d}" for n in range(1, 21)]  # different ideas: no gaps


@override_settings(INTAKE_RATE_PER_PHONE_PER_DAY=1000)
def test_concurrent_api_posts_with_one_idempotency_key_store_one_row(units, campaign, topic):
    _key, raw = channel_key_create(name="race")
    body = {
        "title": "并发测试",
        "content": "建议在老城区增加口袋公园和健身步道，方便居民就近锻炼。",
        "topic": topic.pk,
        "unit": units["城区"].pk,
        "identity_type": "public",
        "phone": "13700002222",
    }

    def send():
        return Client().post(
            "/api/v1/suggestions/",
            json.dumps(body),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {raw}",
            HTTP_IDEMPOTENCY_KEY="same-key",
        )

    results = race(20, send)

    assert {getattr(r, "status_code", r) for r in results} == {201}
    assert len({r.json()["receipt"] for r in results}) == 1
    assert Suggestion.objects.count() == 1


def test_the_database_in_use_is_reported(db):
    # Makes the CI log (pytest -rA or -s) say which engine the races ran on, and fails
    # if that is not the engine DATABASE_URL asked for.
    print("concurrency tests ran on", connection.vendor)
    asked = os.environ.get("DATABASE_URL", "sqlite://")
    assert connection.vendor == ("postgresql" if asked.startswith("postgres") else "sqlite")
