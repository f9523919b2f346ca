"""PostgreSQL restarted under load: a receipt or the clean 503 page, and every receipt kept.

Against a PRIVATE PostgreSQL cluster (initdb in a temp folder, its own port) and a
PRIVATE redis-server (broker and cache of the server under test), so it runs the
same in the SQLite and the PostgreSQL mode of the suite and never touches the
shared services. gunicorn runs in production mode (DEBUG=0); client threads post
the real /submit/ form (GET for the CSRF token, then POST) while the test stops
PostgreSQL for ~3 s and starts it again.
"""

import re
import subprocess
import sys
import threading
import time
from collections import Counter

import psycopg2
import pytest
import requests
from django.core import signing

from suggestions.models import Suggestion
from tests.hardening.conftest import (
    PROJECT_DIR,
    gunicorn_start,
    gunicorn_stop,
    production_env,
)

pytestmark = [pytest.mark.services, pytest.mark.slow]

CLIENTS = 3
RUN_SECONDS = 13
OUTAGE_AT, OUTAGE_SECONDS = 4, 3
CLEAN_503 = "服务暂时不可用"


def _manage(env, *command):
    result = subprocess.run(
        [sys.executable, "manage.py", *command],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr


@pytest.fixture
def portal(private_postgres, private_redis, static_root, tmp_path):
    env = production_env(
        DATABASE_URL=private_postgres.url,
        REDIS_URL=private_redis.url,
        STATIC_ROOT=str(static_root),
        # One client address and a few phones post hundreds of ideas here.
        INTAKE_RATE_PER_IP_PER_HOUR="1000000",
        INTAKE_RATE_PER_PHONE_PER_DAY="1000000",
    )
    _manage(env, "migrate", "--noinput", "-v0")
    _manage(env, "seed_units")
    _manage(
        env,
        "shell",
        "-c",
        "from suggestions.demo.accounts import demo_campaign_ensure; demo_campaign_ensure()",
    )
    server = gunicorn_start(env=env, log_path=tmp_path / "gunicorn.log")
    yield server
    gunicorn_stop(server)


class Citizen:
    """One client thread: GET the form, POST it, classify every answer."""

    def __init__(self, portal, number, choices, stop_at):
        self.portal, self.number, self.choices, self.stop_at = portal, number, choices, stop_at
        self.counts = Counter()
        self.receipts: list[str] = []
        self.problems: list[str] = []
        self.ok_times: list[float] = []
        self.ok_at: list[float] = []
        self.headers = {
            "X-Forwarded-Proto": "https",
            "Origin": portal.url.replace("http://", "https://"),
            "Referer": portal.url.replace("http://", "https://") + "/submit/",
        }

    def _classify_503(self, response, what):
        text = response.text
        if CLEAN_503 in text and "Traceback" not in text and "Error" not in text:
            self.counts[f"{what} 503"] += 1
        else:
            self.counts["other"] += 1
            self.problems.append(f"{what} 503 without the clean page: {text[:300]}")

    def run(self):
        i = 0
        while time.monotonic() < self.stop_at:
            i += 1
            try:
                self.once(i)
            except requests.RequestException as exc:
                self.counts["other"] += 1
                self.problems.append(f"connection: {exc!r}")

    def once(self, i):
        url = self.portal.url + "/submit/"
        page = requests.get(url, headers=self.headers, timeout=15)
        if page.status_code == 503:
            self._classify_503(page, "GET")
            time.sleep(0.1)
            return
        if page.status_code != 200:
            self.counts["other"] += 1
            self.problems.append(f"GET {page.status_code}: {page.text[:300]}")
            return
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
        cookie = page.cookies.get("csrftoken")
        topic, unit = self.choices
        data = {
            "csrfmiddlewaretoken": token,
            "title": f"关于改善公交站台遮阳设施的建议{self.number}-{i}",
            "content": "建议在主要公交站台增加遮阳棚和座椅，方便老人和带孩子的市民候车。",
            "topic": topic,
            "unit": unit,
            "identity_type": "public",
            "name": "",
            "phone": f"139{self.number:02d}{i:06d}",
            "publish_consent": "on",
            "consent": "on",
            "website": "",
        }
        started = time.monotonic()
        response = requests.post(
            url,
            data=data,
            headers={**self.headers, "Cookie": f"csrftoken={cookie}"},
            allow_redirects=False,
            timeout=15,
        )
        location = response.headers.get("Location", "")
        if response.status_code == 302 and "/submit/receipt/" in location:
            signed = location.rstrip("/").rsplit("/", 1)[1]
            self.receipts.append(_receipt_of(signed))
            self.counts["POST receipt"] += 1
            self.ok_times.append(time.monotonic() - started)
            self.ok_at.append(time.monotonic())
        elif response.status_code == 503:
            self._classify_503(response, "POST")
        else:
            self.counts["other"] += 1
            self.problems.append(f"POST {response.status_code}: {response.text[:300]}")


def _receipt_of(signed: str) -> str:
    # signing.dumps: "<base64 JSON>:<timestamp>:<signature>"; the payload is not secret.
    return signing.JSONSerializer().loads(signing.b64_decode(signed.split(":")[0].encode()))


def test_postgres_restarted_under_load_gives_receipts_or_a_clean_503_and_loses_nothing(
    private_postgres, portal
):
    form = portal.get("/submit/")
    assert form.status_code == 200, form.text[:500]
    topic = re.search(r'<select name="topic"[^>]*>.*?<option value="(\d+)"', form.text, re.S)
    unit = re.search(r'<select name="unit"[^>]*>.*?<option value="(\d+)"', form.text, re.S)
    assert topic and unit, form.text[:2000]

    started = time.monotonic()
    citizens = [
        Citizen(portal, n, (topic.group(1), unit.group(1)), started + RUN_SECONDS)
        for n in range(CLIENTS)
    ]
    threads = [threading.Thread(target=c.run) for c in citizens]
    for thread in threads:
        thread.start()
    try:
        time.sleep(OUTAGE_AT)
        private_postgres.stop()
        stopped_at = time.monotonic()
        time.sleep(OUTAGE_SECONDS)
    finally:
        private_postgres.start()
    restarted_at = time.monotonic()
    outage = restarted_at - stopped_at
    for thread in threads:
        thread.join(timeout=60)

    counts = sum((c.counts for c in citizens), Counter())
    receipts = [r for c in citizens for r in c.receipts]
    problems = [p for c in citizens for p in c.problems]
    ok_times = sorted(t for c in citizens for t in c.ok_times)

    conn = psycopg2.connect(private_postgres.url)
    try:
        cursor = conn.cursor()
        cursor.execute(f"SELECT receipt FROM {Suggestion._meta.db_table}")  # noqa: S608
        stored = Counter(row[0] for row in cursor.fetchall())
    finally:
        conn.close()

    print(f"\n{CLIENTS} clients for {RUN_SECONDS} s, PostgreSQL down for {outage:.1f} s:")
    after = sum(1 for c in citizens for t in c.ok_at if t > restarted_at)
    first_after = min((t for c in citizens for t in c.ok_at if t > restarted_at), default=None)
    print(
        f"  receipts {counts['POST receipt']} ({after} after the restart), "
        f"503 on GET {counts['GET 503']}, 503 on POST {counts['POST 503']}, "
        f"other {counts['other']}; rows in the database {sum(stored.values())}"
    )
    if first_after is not None:
        print(f"  first receipt {first_after - restarted_at:.2f} s after PostgreSQL was back")
    if ok_times:
        median = ok_times[len(ok_times) // 2] * 1000
        print(f"  POST → receipt median {median:.0f} ms, slowest {ok_times[-1] * 1000:.0f} ms")

    assert counts["other"] == 0, problems[:5]
    assert counts["GET 503"] + counts["POST 503"] > 0  # the outage was seen
    assert counts["POST receipt"] > 10
    assert after > 0  # submissions work again after the restart
    assert len(receipts) == len(set(receipts))
    for number in receipts:
        assert stored[number] == 1, number
    assert sum(stored.values()) == len(receipts)
    assert "WORKER TIMEOUT" not in portal.log()
    assert portal.process.poll() is None
