"""Shared fixtures: personas, a real Celery worker, and Debian's chromium."""

import os
import secrets
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.test import override_settings
from django.utils.module_loading import import_string

from suggestions.demo.accounts import default_topics_ensure, demo_campaign_ensure
from units.models import Unit
from units.roles import Role, assign_role, sync_role_groups
from units.seeding import units_seed

PROJECT_DIR = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"

# Playwright's sync API runs an event loop in the test thread.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


# PBKDF2 costs ~0.5 s per password, and most tests create several staff accounts.
# MD5 is fine for throw-away test users; the real hashers stay in the list after it, so
# a hash made for a child process (see `real_password_hash`) still verifies here.
FAST_PASSWORD_HASHER = "django.contrib.auth.hashers.MD5PasswordHasher"
PRODUCTION_PASSWORD_HASHERS = tuple(settings.PASSWORD_HASHERS)


@pytest.fixture(scope="session", autouse=True)
def _fast_password_hashing():
    """The test process hashes passwords with MD5. Child processes (gunicorn, manage.py,
    Celery workers) run the real settings and cannot verify an MD5 hash."""
    with override_settings(PASSWORD_HASHERS=[FAST_PASSWORD_HASHER, *PRODUCTION_PASSWORD_HASHERS]):
        yield


# The semantic duplicate stage encodes every checked idea (60-175 ms each, plus ~3 s to
# load the model once per process): off for the suite, on in the tests that need it
# (the ``semantic`` fixture of tests/duplicates/conftest.py). Child processes inherit it.
os.environ.setdefault("DUPLICATES_SEMANTIC", "0")


@pytest.fixture(scope="session", autouse=True)
def _no_semantic_duplicates():
    with override_settings(DUPLICATES_SEMANTIC=os.environ["DUPLICATES_SEMANTIC"] == "1"):
        yield


def real_password_hash(password: str) -> str:
    """A hash with production's default hasher, for users a child process logs in."""
    return make_password(password, hasher=import_string(PRODUCTION_PASSWORD_HASHERS[0])())


@pytest.fixture(autouse=True)
def _browser_contexts_closed(request):
    """Browser contexts a test opens are closed after it. An open context keeps its
    keep-alive connections to the live server, each holding a server thread and that
    thread's database connection until the run ends: PostgreSQL ran out of them."""
    yield
    if "browser" in request.fixturenames:
        for context in list(request.getfixturevalue("browser").contexts):
            context.close()


@pytest.fixture(autouse=True)
def _migrated_data_after_flushes(request):
    """Transactional tests run on a flushed database: put back what migrations seed
    (topics; role groups come back through post_migrate or here)."""
    marker = request.node.get_closest_marker("django_db")
    transactional = (marker is not None and marker.kwargs.get("transaction")) or any(
        name in request.fixturenames
        for name in ("transactional_db", "live_server", "celery_worker")
    )
    if not transactional:
        return
    request.getfixturevalue("transactional_db")
    default_topics_ensure()
    sync_role_groups()


@pytest.fixture(scope="session")
def _seeded_unit_rows(django_db_setup, django_db_blocker):
    """The rows units_seed() writes (seeded once, then rolled back), to copy in per test.

    units_seed() saves the 153 units one by one; a single bulk insert of the same rows
    is several times cheaper, and ~350 tests ask for the units."""
    with django_db_blocker.unblock(), transaction.atomic():
        units_seed()
        rows = list(Unit.objects.order_by("path").values())
        transaction.set_rollback(True)
    return rows


@pytest.fixture
def units(db, _seeded_unit_rows):
    """The city's units, as `manage.py seed_units` creates them (tests/test_units_seed.py
    tests the seeding itself)."""
    Unit.objects.bulk_create(Unit(**row) for row in _seeded_unit_rows)
    return {unit.name: unit for unit in Unit.objects.all()}


@pytest.fixture
def campaign(db):
    return demo_campaign_ensure()


def _staff(username, role, units=()):
    user = get_user_model().objects.create_user(
        username=username, password="correct-horse-battery", is_staff=True
    )
    assign_role(user=user, role=role, units=list(units))
    return user


@pytest.fixture
def personas(units):
    """One account per role, bound to real Jincheng units."""
    return {
        "screener_chengqu": _staff("screener_chengqu", Role.SCREENER, [units["城区"]]),
        "screener_zezhou": _staff("screener_zezhou", Role.SCREENER, [units["泽州县"]]),
        "reviewer": _staff("reviewer", Role.CITY_REVIEWER),
        "leader": _staff("leader", Role.LEADER),
        "admin": _staff("admin", Role.ADMINISTRATOR),
    }


def test_database_url() -> str:
    """DATABASE_URL of the database the tests are using, for child processes."""
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    user = db.get("USER") or "postgres"
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    return f"postgres://{user}@{host}:{port}/{db['NAME']}"


test_database_url.__test__ = False  # a helper, not a test


@pytest.fixture
def celery_worker(transactional_db):
    """A real Celery worker process on the configured broker and the test database."""
    env = {**os.environ, "DATABASE_URL": test_database_url()}
    (PROJECT_DIR / "var").mkdir(exist_ok=True)
    log = open(PROJECT_DIR / "var" / "test-worker.log", "w")  # noqa: SIM115
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "jincheng_portal",
            "worker",
            "--pool=solo",
            "--loglevel=INFO",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        cwd=PROJECT_DIR,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def production_env(**extra) -> dict:
    """The environment of a production deployment (DEBUG off), for child processes."""
    base = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    return {
        **base,
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        **extra,
    }


@pytest.fixture(scope="session")
def static_root(tmp_path_factory):
    """collectstatic into a temporary folder (production uses the manifest storage).

    Once per run: the production-mode servers serve it, and test_settings checks it."""
    root = tmp_path_factory.mktemp("static")
    result = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=PROJECT_DIR,
        env=production_env(STATIC_ROOT=str(root)),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return root


def wait_for(predicate, timeout=30.0, interval=0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    return predicate()


@pytest.fixture(scope="session")
def browser_type_launch_args():
    if not os.path.exists(CHROMIUM):
        if os.environ.get("REQUIRE_BROWSER"):
            pytest.fail(f"Chromium not found at {CHROMIUM}; install Debian's chromium package.")
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    return {
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    # Citizens' phones are set to Chinese; English is tested explicitly.
    return {**browser_context_args, "locale": "zh-CN"}
