"""Production-mode servers and private service instances for the hardening tests.

Nothing here touches the shared PostgreSQL (5432) or Redis (6379) beyond using
the test database pytest-django created: fault tests start their own instances
on other ports and stop only those.
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import redis
import requests

from tests.conftest import production_env, test_database_url

PROJECT_DIR = Path(__file__).resolve().parent.parent.parent
PG_BIN = Path("/usr/lib/postgresql/15/bin")
# The SQLite test database lives in var/ (git-ignored, absent on a fresh checkout).
(PROJECT_DIR / "var").mkdir(exist_ok=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    def __init__(self, process, port, log_path):
        self.process, self.port, self.log_path = process, port, log_path
        self.url = f"http://127.0.0.1:{port}"

    def get(self, path, **kwargs):
        headers = {"X-Forwarded-Proto": "https", **kwargs.pop("headers", {})}
        return requests.get(self.url + path, headers=headers, timeout=10, **kwargs)

    def log(self) -> str:
        return Path(self.log_path).read_text(errors="replace")


def gunicorn_start(*, env: dict, log_path: Path, wait: bool = True) -> Server:
    port = free_port()
    log = open(log_path, "w")  # noqa: SIM115 (closed with the process)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "jincheng_portal.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "--timeout",
            "30",
            # Parallel test servers must not fight over ~/.gunicorn/gunicorn.ctl.
            "--no-control-socket",
        ],
        cwd=PROJECT_DIR,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    server = Server(process, port, log_path)
    if wait:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"gunicorn exited:\n{server.log()}")
            try:
                requests.get(server.url + "/", timeout=2, allow_redirects=False)
                break
            except requests.ConnectionError:
                time.sleep(0.2)
        else:
            gunicorn_stop(server)
            raise RuntimeError(f"gunicorn did not answer:\n{server.log()}")
    return server


def gunicorn_stop(server: Server) -> None:
    if server.process.poll() is None:
        server.process.send_signal(signal.SIGTERM)
        try:
            server.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait()


@pytest.fixture(scope="module")
def production_server(django_db_setup, django_db_blocker, static_root, tmp_path_factory):
    """gunicorn in production mode (DEBUG=0) on the test database."""
    with django_db_blocker.unblock():
        env = production_env(DATABASE_URL=test_database_url(), STATIC_ROOT=str(static_root))
    server = gunicorn_start(env=env, log_path=tmp_path_factory.mktemp("gunicorn") / "log")
    yield server
    gunicorn_stop(server)


class PrivatePostgres:
    """A throw-away PostgreSQL cluster in a temp folder, on its own port."""

    def __init__(self):
        self.dir = Path(tempfile.mkdtemp(prefix="jc-pg-"))
        self.port = free_port()
        self.data = self.dir / "data"
        self.user = "postgres" if os.geteuid() == 0 else None
        if self.user:
            shutil.chown(self.dir, self.user)

    def _run(self, *args, check=True):
        command = [str(PG_BIN / args[0]), *map(str, args[1:])]
        if self.user:
            command = ["runuser", "-u", self.user, "--", *command]
        return subprocess.run(command, capture_output=True, text=True, timeout=120, check=check)

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/portal"

    def init(self):
        self._run(
            "initdb",
            "-D",
            self.data,
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--locale",
            "C.UTF-8",
        )
        self.start()
        self._run("createdb", "-h", "127.0.0.1", "-p", self.port, "-U", "postgres", "portal")

    def start(self):
        self._run(
            "pg_ctl",
            "-D",
            self.data,
            "-l",
            self.dir / "server.log",
            "-w",
            "-o",
            f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off",
            "start",
        )

    def stop(self):
        self._run("pg_ctl", "-D", self.data, "-m", "fast", "-w", "stop", check=False)

    def destroy(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="module")
def private_postgres():
    if not (PG_BIN / "initdb").exists():
        pytest.skip("PostgreSQL server binaries are not installed")
    pg = PrivatePostgres()
    pg.init()
    yield pg
    pg.destroy()


class PrivateRedis:
    """A redis-server of the test's own, on its own port; stop() and start() keep the port."""

    def __init__(self, folder: Path):
        self.folder, self.port, self.process = folder, free_port(), None
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.client = redis.Redis(host="127.0.0.1", port=self.port)

    def _ping(self) -> bool:
        try:
            return self.client.ping()
        except redis.ConnectionError:
            return False

    def start(self):
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.folder),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while not self._ping():
            if time.monotonic() > deadline:
                raise RuntimeError("private redis-server did not start")
            time.sleep(0.1)

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


@pytest.fixture
def private_redis(tmp_path):
    server = PrivateRedis(tmp_path)
    server.start()
    yield server
    server.stop()
