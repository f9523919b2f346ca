"""A worker killed with SIGKILL mid-task: the task is redelivered and completes exactly once.

Runs against a PRIVATE redis-server the test starts on its own port (never the
shared 6379), with real Celery worker processes.
"""

import os
import signal
import subprocess
import sys
import time
import uuid

import pytest
from celery import Celery

from tests.conftest import wait_for
from tests.hardening.conftest import PROJECT_DIR

pytestmark = [pytest.mark.services, pytest.mark.slow]


class Worker:
    def __init__(self, broker_url, log_path, visibility_timeout, **extra_env):
        env = {
            **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
            "REDIS_URL": broker_url,
            "CELERY_VISIBILITY_TIMEOUT": str(visibility_timeout),
            **extra_env,
        }
        self.log_path = log_path
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "jincheng_portal",
                "worker",
                "--pool=prefork",
                "--concurrency=1",
                "--loglevel=INFO",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "-n",
                f"probe-{uuid.uuid4().hex[:8]}@%h",
            ],
            cwd=PROJECT_DIR,
            env=env,
            stdout=open(log_path, "a"),  # noqa: SIM115 (closed by the process's end)
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, to kill master and pool at once
        )

    def pool_children(self) -> list[int]:
        out = subprocess.run(
            ["ps", "-o", "pid=", "--ppid", str(self.process.pid)], capture_output=True, text=True
        ).stdout
        return [int(pid) for pid in out.split()]

    def kill_everything(self):
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self):
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()

    def log(self) -> str:
        return open(self.log_path, errors="replace").read()


def _counter(client, token, what) -> int:
    # Django's RedisCache stores integers unpickled under ":1:<key>".
    value = client.get(f":1:probe:{token}:{what}")
    return int(value) if value is not None else 0


def _send_probe(broker_url, token, seconds):
    sender = Celery(broker=broker_url)
    sender.send_task("portal.slow_probe", args=[token, seconds])
    sender.close()


def test_a_killed_pool_process_gets_its_task_redelivered_at_once(private_redis, tmp_path):
    broker_url, client = private_redis.url, private_redis.client
    worker = Worker(broker_url, tmp_path / "worker.log", visibility_timeout=3600)
    token = uuid.uuid4().hex
    try:
        _send_probe(broker_url, token, seconds=4)
        assert wait_for(lambda: _counter(client, token, "started") == 1, timeout=60), worker.log()
        children = worker.pool_children()
        assert children, worker.log()
        os.kill(children[0], signal.SIGKILL)
        killed_at = time.monotonic()

        assert wait_for(lambda: _counter(client, token, "done") == 1, timeout=60), worker.log()
        # A figure for the README (pytest -s), not an assertion: includes the 4 s task.
        print(f"\npool process killed -> task done after {time.monotonic() - killed_at:.1f} s")
        time.sleep(2)  # would a second copy finish too?
        assert _counter(client, token, "started") == 2
        assert _counter(client, token, "done") == 1
        assert "WorkerLostError" in worker.log()
    finally:
        worker.stop()


def test_a_whole_worker_killed_mid_task_is_redone_by_the_next_worker(private_redis, tmp_path):
    """Redis redelivers an unacknowledged message after the visibility timeout.

    Production keeps it at 3600 s (longer than the longest task, or a slow task would
    run twice); the test shortens it to 5 s through CELERY_VISIBILITY_TIMEOUT.
    """
    broker_url, client = private_redis.url, private_redis.client
    token = uuid.uuid4().hex
    first = Worker(broker_url, tmp_path / "first.log", visibility_timeout=5)
    try:
        _send_probe(broker_url, token, seconds=3)
        assert wait_for(lambda: _counter(client, token, "started") == 1, timeout=60), first.log()
        first.kill_everything()
        killed_at = time.monotonic()
    finally:
        first.stop()
    assert _counter(client, token, "done") == 0

    second = Worker(broker_url, tmp_path / "second.log", visibility_timeout=5)
    try:
        assert wait_for(lambda: _counter(client, token, "done") == 1, timeout=60), second.log()
        print(f"\nworker killed -> task done after {time.monotonic() - killed_at:.1f} s")
        time.sleep(2)
        assert _counter(client, token, "started") == 2
        assert _counter(client, token, "done") == 1
    finally:
        second.stop()
