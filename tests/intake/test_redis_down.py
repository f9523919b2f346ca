"""With Redis stopped, submissions are still accepted quickly and stored; work catches up.

Uses a PRIVATE redis-server started by this test on its own port, never the shared one.
"""

import json
import logging
import shutil
import socket
import subprocess
import time

import pytest
import redis
from django.core.cache import caches
from django.test import Client, override_settings

from jincheng_portal.celery import app
from suggestions.intake.tasks import suggestions_received_catch_up
from suggestions.models import Suggestion

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

REDIS_SERVER = shutil.which("redis-server")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PrivateRedis:
    def __init__(self, port: int):
        self.port = port
        self.url = f"redis://127.0.0.1:{port}/0"
        self.process = None

    def start(self):
        self.process = subprocess.Popen(
            [
                REDIS_SERVER,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis(port=self.port)
        for _ in range(100):
            try:
                if client.ping():
                    return
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("private redis-server did not start")

    def stop(self):
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None

    def queued_ids(self) -> list[int]:
        client = redis.Redis(port=self.port)
        ids = []
        for raw in client.lrange("celery", 0, -1):
            message = json.loads(raw)
            assert message["headers"]["task"] == "suggestions.tasks.suggestion_received"
            ids.append(message["headers"]["argsrepr"])
        return [int(a.strip("(),[] ")) for a in ids]


def _broker_switch(url: str) -> None:
    # Point this process's Celery producer at another broker (connection pools rebuilt).
    app.conf.broker_url = url
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def private_redis():
    if REDIS_SERVER is None:
        pytest.skip("redis-server is not installed")
    server = PrivateRedis(_free_port())
    server.start()
    try:
        yield from _pointed_at(server)
    finally:
        server.stop()


def _pointed_at(server):
    old_broker = app.conf.broker_url
    cache_settings = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": server.url,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
    _broker_switch(server.url)
    with override_settings(CACHES=cache_settings, INTAKE_BROKER_BACKOFF_SECONDS=1):
        # (override_settings on CACHES makes Django rebuild its cache handlers.)
        assert caches["default"]._cache._servers == [server.url]
        try:
            yield server
        finally:
            _broker_switch(old_broker)


def test_submissions_are_accepted_stored_and_caught_up_while_redis_is_down(
    private_redis, form_data, caplog
):
    client = Client()
    # Redis up: the follow-up job lands on the private broker.
    assert client.post("/submit/", form_data).status_code == 302
    first = Suggestion.objects.get()
    assert private_redis.queued_ids() == [first.pk]

    private_redis.stop()
    caplog.set_level(logging.WARNING)
    timings = []
    for i in range(3):
        started = time.monotonic()
        response = client.post("/submit/", {**form_data, "phone": f"1360000000{i}"})
        timings.append(time.monotonic() - started)
        assert response.status_code == 302
    assert max(timings) < 1.0, timings
    assert Suggestion.objects.count() == 4  # stored, each with its receipt
    assert "failing open" in caplog.text  # rate limiting failed open, and said so
    assert "left to catch-up" in caplog.text
    assert "1360000000" not in caplog.text  # no personal data in logs

    private_redis.start()
    time.sleep(1.1)  # the per-process broker backoff
    missed = sorted(Suggestion.objects.exclude(pk=first.pk).values_list("pk", flat=True))
    suggestions_received_catch_up(older_than_seconds=0)

    queued = private_redis.queued_ids()
    assert set(missed) <= set(queued)
