"""Helpers shared by the benchmarks that drive gunicorn over raw sockets (bench/intake, bench/load).

Not Django code: the load generators import this in child processes, so it stays light.
"""

import os
import re
import secrets
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable


def run(cmd, env, **kwargs):
    return subprocess.run(cmd, cwd=ROOT, env=env, check=True, text=True, **kwargs)


def psql(sql: str, db: str = "postgres") -> str:
    out = subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", db, "-Atc", sql],
        check=True,
        capture_output=True,
        text=True,
    )
    return out.stdout.strip()


def production_env(db_name: str, redis_url: str, overrides=(), **extra: str) -> dict:
    """The server's environment: production mode on a bench database, plain HTTP on loopback.

    The rate limiter still runs (Redis counters on every POST), but its limits are lifted
    because every request of a bench comes from 127.0.0.1. `overrides` are the
    command line's KEY=VALUE strings (experiments).
    """
    env = {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{db_name}",
        "REDIS_URL": redis_url,
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "LOG_LEVEL": "WARNING",
        "INTAKE_RATE_PER_IP_PER_HOUR": "1000000000",
        "INTAKE_RATE_PER_PHONE_PER_DAY": "1000000000",
        "INTAKE_RATE_LOOKUP_PER_IP_PER_HOUR": "1000000000",
        **extra,
    }
    env.update(item.split("=", 1) for item in overrides)
    return env


def database_prepare(db_name: str, env) -> None:
    """A fresh bench database: drop, create, migrate, the units, production static files."""
    psql(f"DROP DATABASE IF EXISTS {db_name}")
    psql(f"CREATE DATABASE {db_name}")
    run([PY, "manage.py", "migrate", "--noinput", "-v0"], env)
    run([PY, "manage.py", "seed_units"], env, capture_output=True)
    # Production storage (manifest) refuses missing source maps; main ships Bootstrap's
    # maps (commit "Ship Bootstrap's source maps…"). Until this branch has them,
    # stand in empty ones for the collectstatic run only.
    vendor = ROOT / "static" / "vendor" / "bootstrap"
    stand_ins = [
        vendor / name
        for name in ("bootstrap.bundle.min.js.map", "bootstrap.min.css.map")
        if not (vendor / name).exists()
    ]
    for path in stand_ins:
        path.write_text("{}")
    try:
        run([PY, "manage.py", "collectstatic", "--noinput", "-v0"], env)
    finally:
        for path in stand_ins:
            path.unlink()


def gunicorn_start(env, *, workers: int, port: int) -> subprocess.Popen:
    gunicorn = shutil.which("gunicorn", path=str(Path(PY).parent)) or "gunicorn"
    return subprocess.Popen(
        [
            gunicorn,
            "jincheng_portal.wsgi",
            "-w",
            str(workers),
            "-b",
            f"127.0.0.1:{port}",
            "--worker-class",
            "sync",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )


# --- HTTP over raw sockets (runs in the load generators' child processes) ----------


def http(port: int, raw: bytes) -> tuple[int, bytes]:
    import socket

    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(raw)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    data = b"".join(chunks)
    return int(data[9:12]), data


def build(method: str, path: str, *, body: bytes = b"", headers: dict | None = None) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", "Connection: close"]
    for name, value in (headers or {}).items():
        lines.append(f"{name}: {value}")
    if method == "POST":
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


CSRF_FIELD = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')


def csrf_pair(port: int) -> tuple[str, str]:
    """GET /submit/ like a browser: the csrftoken cookie and the form's hidden token."""
    _status, data = http(port, build("GET", "/submit/"))
    cookie = re.search(rb"Set-Cookie: csrftoken=([^;]+)", data).group(1).decode()
    token = CSRF_FIELD.search(data).group(1).decode()
    return cookie, token


def percentile(sorted_values, q):
    if not sorted_values:
        return float("nan")
    return sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))]


def wait_up(port: int, path: str = "/", timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if http(port, build("GET", path))[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError("gunicorn did not come up")
