"""A Celery worker SIGKILLed in the middle of a tally: the next worker stores it exactly once.

Broker: a PRIVATE redis-server (never the shared 6379). Database: the test database,
committed data (transactional test), so the worker processes see it.

How the kill lands mid-run without test code in production: the test holds a lock
the tally needs. On PostgreSQL it locks the campaign row (``SELECT … FOR UPDATE``);
tally_run reads and computes every figure, then waits for that row in its write
transaction — the test sees the wait in ``pg_stat_activity`` and kills the worker
there. On SQLite it holds the write lock (``BEGIN IMMEDIATE``); the worker's run
waits at its first transaction. Either way the killed run has started and written
nothing; the next worker (visibility timeout 5 s) must redo it exactly once.
"""

import itertools
import random
import sqlite3
import time

import psycopg2
import pytest
from celery import Celery
from django.db import connection
from django.test import override_settings

from suggestions.aggregation import tally_run
from suggestions.models import Campaign, Status, Tally, TallyRun
from tests.conftest import test_database_url, wait_for
from tests.factories import SuggestionFactory
from tests.hardening.test_faults_worker import Worker

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

IDEAS = 300
TALLY_FIELDS = [
    "unit_id", "day", "dimension", "key", "total", "collected", "shortlisted",
    "excellent", "set_aside", "groups", "day_received", "day_shortlisted",
    "day_excellent", "day_set_aside",
]  # fmt: skip


def _tally_rows(campaign_id: int) -> list[tuple]:
    rows = Tally.objects.filter(campaign_id=campaign_id).values_list(*TALLY_FIELDS)
    return sorted(rows, key=repr)


def _seed(campaign, units) -> None:
    rng = random.Random(7)
    leaves = [u for u in units.values() if u.parent_id is not None]
    statuses = [Status.COLLECTED, Status.SHORTLISTED, Status.EXCELLENT, Status.SET_ASIDE]
    sequence = itertools.count(1)
    for _ in range(IDEAS):
        n = next(sequence)
        SuggestionFactory(
            campaign=campaign,
            unit=rng.choice(leaves),
            status=rng.choice(statuses),
            sequence=n,
            receipt=f"{campaign.receipt_prefix}-K{n:06d}",
        )


class CampaignLock:
    """Holds what tally_run needs, from a connection of the test's own."""

    def __init__(self, campaign_id: int):
        self.campaign_id = campaign_id
        settings = connection.settings_dict
        if connection.vendor == "postgresql":
            self.conn = psycopg2.connect(test_database_url())
            table = Campaign._meta.db_table
            # Table name from the model; the id is a bound parameter.
            sql = f"SELECT id FROM {table} WHERE id = %s FOR UPDATE"  # noqa: S608
            self.conn.cursor().execute(sql, [campaign_id])
        else:
            self.conn = sqlite3.connect(settings["NAME"], isolation_level=None, timeout=20)
            self.conn.execute("BEGIN IMMEDIATE")

    def worker_is_waiting(self) -> bool:
        if connection.vendor != "postgresql":
            return True  # not observable: the caller waits for the task's start in the log
        probe = psycopg2.connect(test_database_url())
        try:
            cursor = probe.cursor()
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            return cursor.fetchone()[0] >= 1
        finally:
            probe.close()

    def release(self):
        if connection.vendor == "postgresql":
            self.conn.rollback()
        else:
            self.conn.execute("ROLLBACK")
        self.conn.close()


def test_a_worker_killed_mid_tally_leaves_one_run_equal_to_a_clean_run(
    units, campaign, private_redis, tmp_path
):
    _seed(campaign, units)
    env = {"DATABASE_URL": test_database_url(), "TALLY_SETTLE_SECONDS": "0"}
    lock = CampaignLock(campaign.pk)
    first = Worker(private_redis.url, tmp_path / "first.log", visibility_timeout=5, **env)
    try:
        sender = Celery(broker=private_redis.url)
        sender.send_task("suggestions.tally_campaign", args=[campaign.pk])
        sender.close()
        assert wait_for(lambda: "suggestions.tally_campaign[" in first.log(), timeout=60), (
            first.log()
        )
        assert wait_for(lock.worker_is_waiting, timeout=30), first.log()
        time.sleep(1)  # SQLite: let the pool process reach its BEGIN IMMEDIATE
        first.kill_everything()
        killed_at = time.monotonic()
    finally:
        lock.release()
        first.stop()
    assert "succeeded" not in first.log()
    assert TallyRun.objects.filter(campaign=campaign).count() == 0  # the killed run wrote nothing

    second = Worker(private_redis.url, tmp_path / "second.log", visibility_timeout=5, **env)
    try:
        assert wait_for(lambda: TallyRun.objects.filter(campaign=campaign).exists(), timeout=90), (
            second.log()
        )
        took = time.monotonic() - killed_at
        time.sleep(3)  # would a second copy finish too?
    finally:
        second.stop()

    assert TallyRun.objects.filter(campaign=campaign).count() == 1
    after_kill = _tally_rows(campaign.pk)
    city = Tally.objects.get(campaign=campaign, unit__parent__isnull=True, dimension="all")
    assert city.total == IDEAS

    # A clean run of the same data, in this process, from nothing.
    Tally.objects.filter(campaign=campaign).delete()
    TallyRun.objects.filter(campaign=campaign).delete()
    with override_settings(TALLY_SETTLE_SECONDS=0):
        tally_run(campaign_id=campaign.pk)
    assert after_kill == _tally_rows(campaign.pk)
    assert len(after_kill) > 20
    print(f"\nworker killed mid-tally ({IDEAS} ideas, {len(after_kill)} tally rows)")
    print(
        f"-> redone by the next worker {took:.1f} s after the kill, one run, equal to a clean run"
    )
