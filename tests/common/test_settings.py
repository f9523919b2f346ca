"""Bad configuration stops the process at start-up with a message naming the variable."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from jincheng_portal.env import env_bool, env_database

PROJECT_DIR = Path(__file__).resolve().parents[2]


def _manage(*args, drop=(), **env):
    """Run manage.py in a fresh process, as a deployment would start it."""
    # The test process sets DJANGO_ALLOW_ASYNC_UNSAFE for Playwright; a deployment does not.
    base = {k: v for k, v in os.environ.items() if k not in {"DJANGO_ALLOW_ASYNC_UNSAFE", *drop}}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=PROJECT_DIR,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_debug_maybe_stops_start_up():
    result = _manage("check", DEBUG="maybe")

    assert result.returncode != 0
    assert "DEBUG='maybe' is not a boolean" in result.stderr


def test_bad_database_url_stops_start_up():
    result = _manage("check", DATABASE_URL="mysqlx://somewhere/db")

    assert result.returncode != 0
    assert "DATABASE_URL must start with postgres:// or sqlite:///" in result.stderr


def test_production_mode_without_secret_key_stops_start_up():
    result = _manage("check", drop={"SECRET_KEY"}, DEBUG="0")

    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_mode_passes_the_deploy_checks():
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(50),
    )

    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize(
    ("raw", "expected"), [("1", True), ("true", True), ("On", True), ("0", False), ("no", False)]
)
def test_env_bool_reads_the_usual_spellings(monkeypatch, raw, expected):
    monkeypatch.setenv("SOME_FLAG", raw)
    assert env_bool("SOME_FLAG", not expected) is expected


def test_env_database_reads_postgres_and_sqlite_urls(monkeypatch):
    monkeypatch.setenv("DB_X", "postgres://postgres@127.0.0.1:5432/portal")
    assert env_database("DB_X", "")["ENGINE"] == "django.db.backends.postgresql"
    assert env_database("DB_X", "")["NAME"] == "portal"

    monkeypatch.setenv("DB_X", "sqlite:////srv/portal/db.sqlite3")
    assert env_database("DB_X", "")["NAME"] == "/srv/portal/db.sqlite3"


def test_env_database_refuses_a_url_without_a_database(monkeypatch):
    monkeypatch.setenv("DB_X", "postgres://postgres@127.0.0.1:5432/")
    with pytest.raises(ImproperlyConfigured, match="names no database"):
        env_database("DB_X", "")


@pytest.mark.slow
def test_production_mode_collects_static_files_for_whitenoise(static_root):
    # static_root ran `manage.py collectstatic --noinput` with DEBUG=0 (once per run:
    # the production-mode servers of the hardening tests serve the same folder).
    manifest = (static_root / "staticfiles.json").read_text()
    assert "vendor/bootstrap/bootstrap.min.css" in manifest
    assert list(static_root.glob("vendor/bootstrap/bootstrap.min.*.css.gz"))
