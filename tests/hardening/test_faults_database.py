"""Database faults: a clean 503 while it is down, a clear message when it is down at start-up.

The outage tests run against a PRIVATE PostgreSQL cluster that the test creates
with initdb in a temporary folder, on its own port, and stops and starts itself.
"""

import subprocess
import sys
import tempfile
import time

import pytest
from django.db import InterfaceError, OperationalError
from django.test import Client, override_settings
from django.urls import path

from tests.hardening.conftest import (
    PROJECT_DIR,
    free_port,
    gunicorn_start,
    gunicorn_stop,
    production_env,
)

# --- in process: what the handler turns each error into -------------------------------


def _database_down(request):
    raise OperationalError('connection to server at "127.0.0.1", port 5432 failed')


def _connection_lost(request):
    raise InterfaceError("connection already closed")


def _bug(request):
    raise ValueError("secret detail 13812345678 张三")


urlpatterns = [
    path("db-down/", _database_down),
    path("db-lost/", _connection_lost),
    path("bug/", _bug),
]
handler500 = "jincheng_portal.errors.server_error"


@pytest.fixture
def quiet_client():
    return Client(raise_request_exception=False)


@override_settings(ROOT_URLCONF=__name__)
@pytest.mark.parametrize("url", ["/db-down/", "/db-lost/"])
def test_a_lost_database_gives_a_clean_503_page(quiet_client, url):
    response = quiet_client.get(url)

    text = response.content.decode()
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert "服务暂时不可用" in text
    assert "Traceback" not in text and "5432" not in text
    assert "Content-Security-Policy" in response


@override_settings(ROOT_URLCONF=__name__)
def test_a_bug_gives_a_clean_500_page_without_details(quiet_client):
    response = quiet_client.get("/bug/")

    text = response.content.decode()
    assert response.status_code == 500
    assert "服务器出了点问题" in text
    for leak in ["Traceback", "ValueError", "secret detail", "13812345678", "张三"]:
        assert leak not in text


# --- start-up with the database down ---------------------------------------------------


def _closed_port_url() -> str:
    return f"postgres://postgres@127.0.0.1:{free_port()}/portal"


@pytest.mark.slow
@pytest.mark.services
def test_wait_for_db_reports_an_unreachable_database_clearly():
    env = production_env(DATABASE_URL=_closed_port_url())
    result = subprocess.run(
        [sys.executable, "manage.py", "wait_for_db", "--timeout", "2", "--interval", "0.5"],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 1
    assert "数据库不可用 / Database unavailable: PostgreSQL 127.0.0.1:" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.services
def test_gunicorn_with_the_database_down_stops_once_with_a_clear_message(tmp_path):
    env = production_env(DATABASE_URL=_closed_port_url(), DB_STARTUP_WAIT="2")
    started = time.monotonic()
    server = gunicorn_start(env=env, log_path=tmp_path / "log", wait=False)
    try:
        status = server.process.wait(timeout=60)
    finally:
        gunicorn_stop(server)

    log = server.log()
    assert status == 3, log
    assert time.monotonic() - started < 30
    assert "数据库不可用 / Database unavailable" in log
    assert "not starting" in log
    assert "Booting worker" not in log  # no worker was started to fail in a loop
    assert "Traceback" not in log


# --- a real outage of a private PostgreSQL ----------------------------------------------


@pytest.fixture(scope="module")
def private_portal(private_postgres, static_root, tmp_path_factory):
    """gunicorn in production mode on a migrated private PostgreSQL."""
    env = production_env(DATABASE_URL=private_postgres.url, STATIC_ROOT=str(static_root))
    for command in (["migrate", "--noinput", "-v0"], ["seed_units"]):
        result = subprocess.run(
            [sys.executable, "manage.py", *command],
            cwd=PROJECT_DIR,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert result.returncode == 0, result.stderr
    server = gunicorn_start(env=env, log_path=tmp_path_factory.mktemp("gunicorn-pg") / "log")
    yield server
    gunicorn_stop(server)


@pytest.mark.slow
@pytest.mark.services
def test_pages_answer_503_while_postgres_is_down_and_recover_after(
    private_postgres, private_portal
):
    assert private_portal.get("/").status_code == 200

    private_postgres.stop()
    try:
        started = time.monotonic()
        during = [private_portal.get(path) for path in ["/", "/privacy/", "/"]]
        took = (time.monotonic() - started) / len(during)
    finally:
        private_postgres.start()
    restarted_at = time.monotonic()

    for response in during:
        assert response.status_code == 503, response.text[:300]
        assert "服务暂时不可用" in response.text
        assert "Traceback" not in response.text
        assert "OperationalError" not in response.text
    assert private_portal.process.poll() is None  # gunicorn kept running
    deadline = time.monotonic() + 20
    while private_portal.get("/").status_code != 200 and time.monotonic() < deadline:
        time.sleep(0.5)
    assert private_portal.get("/").status_code == 200
    # Figures for the README (pytest -s), not assertions.
    print(f"\n503 answered in {took * 1000:.0f} ms on average while PostgreSQL was down;")
    print(f"200 again {time.monotonic() - restarted_at:.1f} s after PostgreSQL was back")


@pytest.mark.slow
@pytest.mark.services
def test_wait_for_db_succeeds_once_postgres_is_up(private_postgres):
    env = production_env(DATABASE_URL=private_postgres.url)
    result = subprocess.run(
        [sys.executable, "manage.py", "wait_for_db", "--timeout", "10"],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0, result.stderr
    assert f"127.0.0.1:{private_postgres.port}/portal is reachable" in result.stdout


@pytest.mark.slow
@pytest.mark.services  # it starts the private PostgreSQL cluster
def test_the_shared_postgres_is_never_the_private_one(private_postgres):
    assert private_postgres.port != 5432
    assert str(private_postgres.data).startswith(tempfile.gettempdir())
