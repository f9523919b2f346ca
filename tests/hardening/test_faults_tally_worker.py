"""A Celery worker SIGKILLed in a tally or report: the next worker stores it exactly once.

Broker: a PRIVATE redis-server (never the shared 6379). Database: the test database,
committed data (transactional test), so the worker processes see it.

How the kill lands mid-run without test code in production: the test holds a lock
the tally needs. On PostgreSQL it locks the campaign row (``SELECT … FOR UPDATE``);
tally_run reads and computes every figure, then waits for that row in its write
transaction — the test sees the wait in ``pg_stat_activity`` and kills the worker
there. On SQLite it holds the write lock (``BEGIN IMMEDIATE``); the worker's run
waits at its first transaction. Either way the killed run has started and written
nothing; the next worker (visibility timeout 5 s) must redo it exactly once.

Two more tests (PostgreSQL), a tally and a report, kill the worker after it has sent
its COMMIT: that run or report commits after all and the message is still redone; the
run key (the task id) makes the redo return it instead of storing a second one.
"""

import io
import itertools
import random
import re
import sqlite3
import time

import openpyxl
import psycopg2
import pytest
from celery import Celery
from django.db import connection
from django.test import override_settings

from suggestions.models import Campaign, Report, Status, Tally, TallyRun
from suggestions.tallies.aggregation import tally_run
from suggestions.tallies.reports import report_generate
from tests.conftest import test_database_url, wait_for
from tests.factories import SuggestionFactory
from tests.hardening.test_faults_worker import Worker

pytestmark = [pytest.mark.services, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

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


class DatabaseLock:
    """Holds what the task needs, from a connection of the test's own.

    PostgreSQL: ``sql`` (a row or table lock); SQLite: the database's write lock."""

    def __init__(self, sql: str, params=()):
        if connection.vendor == "postgresql":
            self.conn = psycopg2.connect(test_database_url())
            self.conn.cursor().execute(sql, params)
        else:
            self.conn = sqlite3.connect(connection.settings_dict["NAME"], isolation_level=None)
            self.conn.execute("BEGIN IMMEDIATE")

    def waiting_statement(self) -> str | None:
        """The statement a worker is blocked in (PostgreSQL); SQLite cannot show it."""
        if connection.vendor != "postgresql":
            return "(SQLite: not observable)"
        probe = psycopg2.connect(test_database_url())
        try:
            cursor = probe.cursor()
            cursor.execute(
                "SELECT query FROM pg_stat_activity"
                " WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            row = cursor.fetchone()
            return row[0] if row else None
        finally:
            probe.close()

    def release(self):
        if connection.vendor == "postgresql":
            self.conn.rollback()
        else:
            self.conn.execute("ROLLBACK")
        self.conn.close()


def _kill_mid_task_then_redo(
    redis, tmp_path, lock_sql, task, args, done, extra_env, *, after_commit=False
):
    """Send the task, SIGKILL the whole worker while it waits on the lock, start another.

    after_commit=False: the worker waits before its COMMIT, so the killed run writes
    nothing. after_commit=True (PostgreSQL): the worker has sent its COMMIT, which waits
    on the lock and lands once the test releases it, the worker being dead already; the
    message was never acknowledged, so the next worker redoes the task all the same.

    Returns (seconds from the kill to the redo's success, the redo's return value)."""
    env = {"DATABASE_URL": test_database_url(), **extra_env}
    lock = DatabaseLock(*lock_sql)
    first = Worker(redis.url, tmp_path / "first.log", visibility_timeout=5, **env)
    try:
        sender = Celery(broker=redis.url, set_as_current=False)
        sender.send_task(task, args=args)
        sender.close()
        assert wait_for(lambda: f"{task}[" in first.log(), timeout=60), first.log()
        waiting = wait_for(lock.waiting_statement, timeout=30)
        assert waiting, first.log()
        # Before its COMMIT, or (after_commit) in it: a COMMIT sent completes once the
        # lock goes, whether or not the worker is still alive.
        assert waiting.startswith("COMMIT") == after_commit, waiting
        time.sleep(1)  # SQLite: let the pool process reach its BEGIN IMMEDIATE
        first.kill_everything()
        killed_at = time.monotonic()
    finally:
        lock.release()
        first.stop()
    assert "succeeded" not in first.log()
    if after_commit:
        assert wait_for(done, timeout=10)  # the dead worker's COMMIT landed
    else:
        assert not done()  # the killed run wrote nothing

    second = Worker(redis.url, tmp_path / "second.log", visibility_timeout=5, **env)
    succeeded = re.compile(rf"{re.escape(task)}\[[^\]]+\] succeeded in [0-9.]+s: (.*)")
    try:
        assert wait_for(lambda: succeeded.search(second.log()), timeout=90), second.log()
        took = time.monotonic() - killed_at
        time.sleep(3)  # would a second copy finish too?
    finally:
        second.stop()
    assert done()
    found = succeeded.findall(second.log())
    assert len(found) == 1, second.log()
    return took, found[0]


def _assert_equal_to_a_clean_tally(campaign, runs, after_kill: list[tuple]) -> None:
    """A clean run of the same data, in this process, from nothing, gives the same rows."""
    Tally.objects.filter(campaign=campaign).delete()
    runs.delete()
    with override_settings(TALLY_SETTLE_SECONDS=0):
        tally_run(campaign_id=campaign.pk)
    assert after_kill == _tally_rows(campaign.pk)
    assert len(after_kill) > 20


def _assert_equal_to_a_clean_report(campaign, unit, after_kill) -> None:
    clean = report_generate(campaign_id=campaign.pk, unit_id=unit.pk)
    # as_of is the moment the live change was read (the "数据截至" line): the one difference.
    assert after_kill.as_of < clean.as_of
    assert after_kill.scope == clean.scope == "city"
    assert _without_read_time(after_kill.html) == _without_read_time(clean.html)
    assert _sheets(bytes(after_kill.xlsx)) == _sheets(bytes(clean.xlsx))


def test_a_worker_killed_mid_tally_leaves_one_run_equal_to_a_clean_run(
    units, campaign, private_redis, tmp_path
):
    _seed(campaign, units)
    runs = TallyRun.objects.filter(campaign=campaign)

    took, _run_id = _kill_mid_task_then_redo(
        private_redis,
        tmp_path,
        # tally_run computes every figure, then waits for the campaign row to write.
        (f"SELECT id FROM {Campaign._meta.db_table} WHERE id = %s FOR UPDATE", [campaign.pk]),  # noqa: S608
        "suggestions.tally_campaign",
        [campaign.pk],
        done=runs.exists,
        extra_env={"TALLY_SETTLE_SECONDS": "0"},
    )

    assert runs.count() == 1
    after_kill = _tally_rows(campaign.pk)
    city = Tally.objects.get(campaign=campaign, unit__parent__isnull=True, dimension="all")
    assert city.total == IDEAS

    _assert_equal_to_a_clean_tally(campaign, runs, after_kill)
    print(f"\nworker killed mid-tally ({IDEAS} ideas, {len(after_kill)} tally rows)")
    print(
        f"-> redone by the next worker {took:.1f} s after the kill: one run, equal to a clean run"
    )


def test_a_worker_killed_after_its_tally_commit_leaves_one_run_equal_to_a_clean_run(
    units, campaign, private_redis, tmp_path
):
    """The window the mid-tally test stays out of: the COMMIT is sent, the ack is not.

    Django's foreign keys are checked at COMMIT (DEFERRABLE INITIALLY DEFERRED): with the
    city unit's row locked FOR UPDATE, tally_run inserts the campaign's first Tally rows
    (the city's among them) and its TallyRun, then waits in COMMIT for the foreign-key
    check's row lock. The whole worker is killed there and the lock released: the dead
    worker's run commits, its message is redelivered, and the redo (same task id, so the
    same run key) returns that run instead of computing and storing a second one.
    PostgreSQL only: SQLite has no lock that lets a COMMIT start and wait.
    """
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: a COMMIT waiting on a lock (SQLite: in-process test)")
    _seed(campaign, units)
    city = units["晋城市"]
    runs = TallyRun.objects.filter(campaign=campaign)

    took, redo_result = _kill_mid_task_then_redo(
        private_redis,
        tmp_path,
        (f"SELECT id FROM {city._meta.db_table} WHERE id = %s FOR UPDATE", [city.pk]),  # noqa: S608
        "suggestions.tally_campaign",
        [campaign.pk],
        done=runs.exists,
        extra_env={"TALLY_SETTLE_SECONDS": "0"},
        after_commit=True,
    )

    assert runs.count() == 1
    assert redo_result == str(runs.get().pk)  # the redo returned the dead worker's run
    after_kill = _tally_rows(campaign.pk)
    assert Tally.objects.get(campaign=campaign, unit=city, dimension="all").total == IDEAS

    _assert_equal_to_a_clean_tally(campaign, runs, after_kill)
    print(f"\nworker killed after its tally COMMIT ({IDEAS} ideas, {len(after_kill)} tally rows)")
    print(f"-> redelivered {took:.1f} s after the kill: still one run, equal to a clean run")


def test_a_worker_killed_mid_report_leaves_one_report_equal_to_a_clean_one(
    units, campaign, private_redis, tmp_path
):
    _seed(campaign, units)
    with override_settings(TALLY_SETTLE_SECONDS=0):
        tally_run(campaign_id=campaign.pk)  # the snapshot the report reads (its as_of)
    city = units["晋城市"]
    reports = Report.objects.filter(campaign=campaign, unit=city)

    took, _report_id = _kill_mid_task_then_redo(
        private_redis,
        tmp_path,
        # report_generate builds the HTML and the workbook, then waits at its INSERT
        # (a row lock would not do: Django's foreign keys are checked at COMMIT).
        (f"LOCK TABLE {Report._meta.db_table} IN SHARE MODE",),
        "suggestions.report_generate",
        [campaign.pk, city.pk],
        done=reports.exists,
        extra_env={"TALLY_SETTLE_SECONDS": "0"},
    )

    assert reports.count() == 1
    after_kill = reports.get()
    _assert_equal_to_a_clean_report(campaign, city, after_kill)
    assert str(IDEAS) in after_kill.html
    print(f"\nworker killed mid-report (city report, {IDEAS} ideas)")
    print(f"-> redone {took:.1f} s after the kill: one report, equal to a clean one")


def _without_read_time(html: str) -> str:
    changed, n = re.subn(r"数据截至 [0-9: -]+", "数据截至 …", html)
    assert n == 1
    return changed


def _sheets(xlsx: bytes) -> dict:
    workbook = openpyxl.load_workbook(io.BytesIO(xlsx), read_only=True)
    return {
        sheet.title: [row for row in sheet.iter_rows(values_only=True) if row[:1] != ("数据截至",)]
        for sheet in workbook
    }


def test_a_worker_killed_after_its_report_commit_leaves_one_report(
    units, campaign, private_redis, tmp_path
):
    """The window the mid-report test stays out of: the COMMIT is sent, the ack is not.

    Django's foreign keys are checked at COMMIT (DEFERRABLE INITIALLY DEFERRED): with the
    unit's row locked FOR UPDATE, report_generate inserts its report and then waits in
    COMMIT for the foreign-key check's row lock. The whole worker is killed there and
    the lock released: the dead worker's report commits, its message is redelivered, and
    the redo (same task id, so the same run key) returns that report instead of storing
    a second one. PostgreSQL only: SQLite has no lock that lets a COMMIT start and wait.
    """
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: a COMMIT waiting on a lock (SQLite: in-process test)")
    _seed(campaign, units)
    with override_settings(TALLY_SETTLE_SECONDS=0):
        tally_run(campaign_id=campaign.pk)
    city = units["晋城市"]
    reports = Report.objects.filter(campaign=campaign, unit=city)

    took, redo_result = _kill_mid_task_then_redo(
        private_redis,
        tmp_path,
        (f"SELECT id FROM {city._meta.db_table} WHERE id = %s FOR UPDATE", [city.pk]),  # noqa: S608
        "suggestions.report_generate",
        [campaign.pk, city.pk],
        done=reports.exists,
        extra_env={"TALLY_SETTLE_SECONDS": "0"},
        after_commit=True,
    )

    assert reports.count() == 1
    after_kill = reports.get()
    assert redo_result == str(after_kill.pk)  # the redo returned the dead worker's report
    _assert_equal_to_a_clean_report(campaign, city, after_kill)
    print(f"\nworker killed after its report COMMIT (city report, {IDEAS} ideas)")
    print(f"-> redelivered {took:.1f} s after the kill: still one report, equal to a clean one")
