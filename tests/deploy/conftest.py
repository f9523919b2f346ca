"""Fixtures of the deployment tests: production-mode gunicorn nodes, nginx in front.

They reuse the hardening tests' helpers (production environment, collectstatic into a
temporary folder, free ports); nothing here touches the shared services beyond the
test database pytest-django created and the configured Redis.
"""

import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.hardening.conftest import (  # noqa: F401 (fixtures re-exported)
    PROJECT_DIR,
    free_port,
    private_postgres,
    production_env,
)


class Node:
    """One gunicorn "web node" in production mode."""

    def __init__(self, *, env: dict, log_path: Path, workers: int = 1, bind: str = ""):
        self.port = free_port()
        self.bind = bind or f"127.0.0.1:{self.port}"
        self.url = f"http://{self.bind}"
        self.env, self.log_path, self.workers = env, log_path, workers
        self.process = None

    def start(self, *, wait_ready: bool = True) -> "Node":
        log = open(self.log_path, "a")  # noqa: SIM115 (closed with the process)
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "jincheng_portal.wsgi",
                "--bind",
                self.bind,
                "--workers",
                str(self.workers),
                "--timeout",
                "30",
                "--no-control-socket",
            ],
            cwd=PROJECT_DIR,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        if wait_ready:
            try:
                self.wait(lambda r: r.status_code == 200, "/readyz")
            except BaseException:
                self.stop()  # a node that never got ready is not left running
                raise
        return self

    def wait(self, done, path="/readyz", timeout=30.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited:\n{self.log()}")
            try:
                response = requests.get(self.url + path, timeout=3)
                if done(response):
                    return response
            except requests.ConnectionError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"{path} never became as expected:\n{self.log()}")

    def get(self, path, **kwargs):
        return requests.get(self.url + path, timeout=10, **kwargs)

    def log(self) -> str:
        return Path(self.log_path).read_text(errors="replace")

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.fixture
def nodes():
    """Collects the nodes a test starts and stops them all afterwards."""
    started: list[Node] = []
    yield started
    for node in started:
        node.stop()
