"""Two web and two worker nodes in network namespaces behind nginx, one PostgreSQL, one Redis.

The hosts are real network namespaces on a bridge (ip netns + veth, root only):
    10.231.N.1   this host: nginx (TLS, the site config of deploy/), PostgreSQL, Redis
    10.231.N.2   a second client address on this host (the rate-limit scenario)
    10.231.N.11  web node 1: gunicorn, DEBUG off
    10.231.N.12  web node 2: gunicorn, DEBUG off
    10.231.N.13  worker node 1: celery worker (both queues)
    10.231.N.14  worker node 2: celery worker (both queues)
Scenarios, in file order on one cluster:
  - citizens submit the real form through nginx while web node 1 is SIGKILLed (master
    and workers at once, like a host dying) and brought back: every receipt has its row,
    once; no receipt twice across the nodes; only reads whose response had started on
    node 1 as it died failed; node 1 serves again after its restart;
  - a backup drill dumps the database while submissions flow and restores it;
  - worker node 1 is SIGKILLed holding tallies and duplicate checks: worker node 2 runs
    each of them (late acknowledgement, the visibility timeout), and the database shows
    each done once;
  - a unit retired on web node 1 is refused by web node 2 within
    INTAKE_CHOICES_CACHE_SECONDS;
  - one client address is rate-limited by the count both web nodes share, another is not
    (nginx passes the client's address in X-Real-IP);
  - Redis restarts while citizens submit: submissions go on, every receipt has its row,
    and the duplicate checks of the ideas taken meanwhile are caught up.
Namespaces, the bridge and every process are removed at the end, also when a test fails
or the run is interrupted (SIGINT or SIGTERM).
"""

import base64
import contextlib
import json
import os
import random
import re
import secrets
import shutil
import signal
import subprocess
import sys
import threading
import time
import zlib
from pathlib import Path

import psycopg2
import pytest
import redis
import requests
import urllib3
from celery import Celery

from suggestions.duplicates.algorithm import _SENTENCE_TAG, DuplicateConfig
from tests.conftest import wait_for
from tests.deploy.conftest import PROJECT_DIR, Node, production_env
from tests.deploy.test_deploy_files import DEPLOY, SITE, nginx_config
from tests.hardening.conftest import PrivatePostgres, free_port

pytestmark = [pytest.mark.services, pytest.mark.slow]

HOST_NAME = "portal.example.cn"
# Short enough for the scenarios to see them happen; the defaults are 3600 s and 60 s.
VISIBILITY_TIMEOUT = 8
CHOICES_CACHE_SECONDS = 5
BROKER_BACKOFF = 2
LOOKUPS_PER_HOUR = 10
DUPLICATE_LOCK_SPACE = 0x6475706C  # suggestions.duplicates.services._LOCK_SPACE
SUGGESTION_RECEIVED = "suggestions.tasks.suggestion_received"
IDEA = "建议在老城区增加口袋公园和健身步道，方便居民就近锻炼"
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def _need_root_tools():
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        # It brings its own PostgreSQL; once per CI run is enough (the PostgreSQL pass).
        pytest.skip("runs in the PostgreSQL pass only (DATABASE_URL=postgres://...)")
    # CI sets REQUIRE_CLUSTER=1: a missing tool there fails instead of skipping quietly.
    missing = pytest.fail if os.environ.get("REQUIRE_CLUSTER") else pytest.skip
    if os.geteuid() != 0:
        missing("network namespaces need root (ip netns); run as root or in CI")
    for tool in ("ip", "nginx", "openssl", "redis-server", "pg_dump"):
        if not (shutil.which(tool) or Path(f"/usr/sbin/{tool}").exists()):
            missing(f"{tool} is not installed (apt-get install nginx-light iproute2 ...)")


def sh(*args, check=True):
    return subprocess.run([str(a) for a in args], check=check, capture_output=True, text=True)


class Network:
    """A bridge on this host and one namespace per web node."""

    def __init__(self):
        self.tag = secrets.token_hex(2)
        self.subnet = random.randint(1, 250)  # noqa: S311
        self.host_ip = f"10.231.{self.subnet}.1"
        self.other_client_ip = f"10.231.{self.subnet}.2"
        self.bridge = f"jc{self.tag}br"
        self.namespaces: list[str] = []

    def up(self):
        sh("ip", "link", "add", self.bridge, "type", "bridge")
        sh("ip", "addr", "add", f"{self.host_ip}/24", "dev", self.bridge)
        sh("ip", "addr", "add", f"{self.other_client_ip}/24", "dev", self.bridge)
        sh("ip", "link", "set", self.bridge, "up")

    def node(self, number: int) -> tuple[str, str]:
        ns, veth = f"jc{self.tag}n{number}", f"jc{self.tag}v{number}"
        address = f"10.231.{self.subnet}.{10 + number}"
        sh("ip", "netns", "add", ns)
        self.namespaces.append(ns)
        sh("ip", "link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", ns)
        sh("ip", "link", "set", veth, "master", self.bridge, "up")
        sh("ip", "netns", "exec", ns, "ip", "addr", "add", f"{address}/24", "dev", "eth0")
        sh("ip", "netns", "exec", ns, "ip", "link", "set", "eth0", "up")
        sh("ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up")
        return ns, address

    def down(self):
        for ns in self.namespaces:
            sh("ip", "netns", "delete", ns, check=False)  # removes its veth pair too
        sh("ip", "link", "delete", self.bridge, check=False)


class ClusterPostgres(PrivatePostgres):
    """The private PostgreSQL of the hardening tests, listening on the bridge too."""

    def __init__(self, network: Network):
        super().__init__()
        self.network = network

    def start(self):
        hba = self.data / "pg_hba.conf"
        line = f"host all all 10.231.{self.network.subnet}.0/24 trust\n"
        if line not in hba.read_text():
            with hba.open("a") as f:
                f.write(line)
        self._run(
            "pg_ctl",
            "-D",
            self.data,
            "-l",
            self.dir / "server.log",
            "-w",
            "-o",
            f"-p {self.port} -k {self.dir} -c fsync=off -c max_connections=100"
            f" -c listen_addresses=127.0.0.1,{self.network.host_ip}",
            "start",
        )

    def url_on(self, host: str, db: str = "portal") -> str:
        return f"postgres://postgres@{host}:{self.port}/{db}"


class NodeInNamespace(Node):
    def __init__(self, *, namespace: str, **kwargs):
        super().__init__(**kwargs)
        self.namespace = namespace

    def start(self, *, wait_ready: bool = True) -> "Node":
        log = open(self.log_path, "a")  # noqa: SIM115 (closed with the process)
        self.process = subprocess.Popen(
            ["ip", "netns", "exec", self.namespace, sys.executable, "-m", "gunicorn"]
            + ["jincheng_portal.wsgi", "--bind", self.bind, "--workers", str(self.workers)]
            + ["--timeout", "30", "--no-control-socket"],
            cwd=PROJECT_DIR,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: killed as one, like a host
        )
        if wait_ready:
            self.wait(lambda r: r.status_code == 200, "/readyz", timeout=60)
        return self

    def crash(self):
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self):
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


class WorkerInNamespace:
    """One worker node: a Celery worker (prefork, 2 processes) consuming both queues."""

    def __init__(self, *, namespace: str, env: dict, log_path: Path, name: str):
        self.namespace, self.env, self.log_path, self.name = namespace, env, log_path, name
        self.process = None

    def start(self) -> "WorkerInNamespace":
        ready_before = self.log().count("ready.") if Path(self.log_path).exists() else 0
        log = open(self.log_path, "a")  # noqa: SIM115 (closed with the process)
        self.process = subprocess.Popen(
            ["ip", "netns", "exec", self.namespace, sys.executable, "-m", "celery"]
            + ["-A", "jincheng_portal", "worker", "-l", "info", "-c", "2", "-n", self.name]
            + ["-Q", "celery,tallies", "--without-gossip", "--without-mingle"],
            cwd=PROJECT_DIR,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        assert wait_for(lambda: self.log().count("ready.") > ready_before, timeout=60), self.log()[
            -3000:
        ]
        return self

    def log(self) -> str:
        return Path(self.log_path).read_text(errors="replace")

    def restart_if_exited(self) -> bool:
        """What systemd's Restart=always does for deploy/systemd/jincheng-worker@.service."""
        if self.process is None or self.process.poll() is None:
            return False
        self.start()
        return True

    def crash(self):
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()  # the main process: a warm shutdown, as systemd does
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=20)
        if self.process:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)  # whatever is left of the group
            self.process.wait()


class ClusterRedis:
    """redis-server on the bridge; stop() and start() keep its port (and lose its data)."""

    def __init__(self, network: Network, folder: Path):
        self.port, self.folder, self.network = free_port(), folder, network
        self.url = f"redis://{network.host_ip}:{self.port}/0"
        self.process = None

    def start(self):
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port)]
            + ["--bind", f"127.0.0.1 {self.network.host_ip}", "--save", "", "--appendonly"]
            + ["no", "--protected-mode", "no", "--dir", str(self.folder)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis(host="127.0.0.1", port=self.port)
        assert wait_for(lambda: _pings(client), timeout=10), "redis-server did not start"

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


def _pings(client) -> bool:
    try:
        return client.ping()
    except redis.ConnectionError:
        return False


def _interrupted(signum, frame):
    # SIGTERM (a CI timeout, `timeout`) unwinds like Ctrl-C: the fixture's finally runs.
    raise KeyboardInterrupt(f"signal {signum}")


def _manage(env, *args):
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr


def _receipt_of(location: str) -> str:
    """The receipt number inside the signed redirect (django.core.signing; not secret)."""
    payload = location.rstrip("/").rsplit("/", 1)[1].split(":")[0]
    compressed = payload.startswith(".")
    raw = base64.urlsafe_b64decode(payload.lstrip(".") + "=" * (-len(payload) % 4))
    return json.loads(zlib.decompress(raw) if compressed else raw)


@pytest.fixture(scope="module")
def cluster(static_root, tmp_path_factory):
    _need_root_tools()
    folder = tmp_path_factory.mktemp("cluster")
    network = Network()
    pg = redis_server = nginx = None
    nodes: list[NodeInNamespace] = []
    workers: list[WorkerInNamespace] = []
    previous_sigterm = signal.signal(signal.SIGTERM, _interrupted)
    try:
        network.up()
        pg = ClusterPostgres(network)
        pg.init()
        redis_server = ClusterRedis(network, folder)
        redis_server.start()
        env = production_env(
            DATABASE_URL=pg.url_on(network.host_ip),
            REDIS_URL=redis_server.url,
            STATIC_ROOT=str(static_root),
            ALLOWED_HOSTS=HOST_NAME,
            TRUSTED_PROXY_HOPS="1",
            INTAKE_CLIENT_IP_META="HTTP_X_REAL_IP",
            INTAKE_RATE_PER_IP_PER_HOUR="1000000",
            INTAKE_RATE_PER_PHONE_PER_DAY="1000",
            INTAKE_RATE_LOOKUP_PER_IP_PER_HOUR=str(LOOKUPS_PER_HOUR),
            INTAKE_CHOICES_CACHE_SECONDS=str(CHOICES_CACHE_SECONDS),
            CELERY_VISIBILITY_TIMEOUT=str(VISIBILITY_TIMEOUT),
            INTAKE_BROKER_BACKOFF_SECONDS=str(BROKER_BACKOFF),
            DB_CONNECT_TIMEOUT="2",
        )
        _manage({**env, "DATABASE_URL": pg.url}, "migrate", "--noinput", "-v0")
        _manage({**env, "DATABASE_URL": pg.url}, "seed_units")
        _manage(
            {**env, "DATABASE_URL": pg.url},
            "shell",
            "-c",
            "from suggestions.demo.accounts import demo_campaign_ensure; demo_campaign_ensure()",
        )
        for number in (1, 2):
            namespace, address = network.node(number)
            nodes.append(
                NodeInNamespace(
                    namespace=namespace,
                    env=env,
                    log_path=folder / f"node{number}.log",
                    workers=2,
                    bind=f"{address}:8000",
                )
            )
        for number in (1, 2):
            namespace, _address = network.node(2 + number)
            workers.append(
                WorkerInNamespace(
                    namespace=namespace,
                    env=env,
                    log_path=folder / f"worker{number}.log",
                    name=f"worker{number}@%h",
                )
            )
        for node in nodes:
            node.start()
        for worker in workers:
            worker.start()

        port = free_port()
        site = SITE.read_text()
        site = re.sub(r"^\s*listen \[::\].*\n", "", site, flags=re.M)
        site = site.replace("listen 443 ssl", f"listen {network.host_ip}:{port} ssl")
        site = site.replace("listen 80", f"listen {network.host_ip}:{free_port()}")
        site = re.sub(
            r"(^\s*server 10\.0\.0\.11:8000 .*\n)(^\s*server 10\.0\.0\.12:8000 .*\n)",
            "".join(f"    server {n.bind} max_fails=3 fail_timeout=10s;\n" for n in nodes),
            site,
            flags=re.M,
        )
        site = site.replace("/srv/jincheng/staticfiles/", f"{static_root}/")
        main = nginx_config(folder, site)
        text = main.read_text().replace(
            f"access_log {folder}/access.log;",
            "log_format upstream '$upstream_addr $status $request_method $request_uri"
            " $remote_addr';\n"
            f"  access_log {folder}/access.log upstream;",
        )
        main.write_text("user root;\n" + text)
        nginx = subprocess.Popen(
            ["nginx", "-c", str(main), "-p", str(folder), "-g", "daemon off;"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        base = f"https://{network.host_ip}:{port}"
        deadline = time.monotonic() + 20
        while True:
            try:
                requests.get(base + "/healthz", verify=False, timeout=2)  # noqa: S501
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline, "nginx did not start"
                time.sleep(0.2)
        yield {
            "base": base,
            "nodes": nodes,
            "workers": workers,
            "pg": pg,
            "redis": redis_server,
            "folder": folder,
            "network": network,
        }
    finally:
        if nginx:
            nginx.terminate()
            nginx.wait(timeout=15)
        for process in [*nodes, *workers]:
            process.stop()
        if redis_server:
            redis_server.stop()
        if pg:
            pg.destroy()
        network.down()
        signal.signal(signal.SIGTERM, previous_sigterm)


class Citizens:
    """Threads submitting the real form through nginx, each with its own session."""

    def __init__(
        self,
        base: str,
        unit_ids: list[int],
        topic_ids: list[int],
        clients: int = 4,
        pause: float = 0.2,
    ):
        self.base, self.unit_ids, self.topic_ids = base, unit_ids, topic_ids
        # Between a client's submissions: a steady load whose follow-up work (a
        # duplicate check each) the two worker nodes keep up with on any machine, so
        # later scenarios do not start behind thousands of queued checks.
        self.pause = pause
        # In every content: a second run's ideas are new, not repeats returning old receipts.
        self.run = secrets.token_hex(3)
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.receipts: list[tuple[str, float]] = []  # (receipt, when the answer came)
        self.get_failures: list[str] = []
        self.post_failures: list[str] = []
        self.threads = [
            threading.Thread(target=self._run, args=(n,), daemon=True) for n in range(clients)
        ]

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def wait_for_receipts(self, count: int, timeout: float = 90.0) -> None:
        """Until `count` more receipts than now were issued (cold workers are slow)."""
        target, deadline = len(self.receipts) + count, time.monotonic() + timeout
        while len(self.receipts) < target:
            assert time.monotonic() < deadline, (
                f"{len(self.receipts)} receipts; GET failures {self.get_failures[-3:]},"
                f" POST failures {self.post_failures[-3:]}"
            )
            time.sleep(0.1)

    def __exit__(self, *exc):
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=60)

    def _run(self, client: int):
        session = requests.Session()
        session.trust_env = False  # a CA bundle from the environment would override verify
        session.verify = False  # the throw-away certificate names portal.example.cn
        headers = {"Host": HOST_NAME, "Origin": f"https://{HOST_NAME}"}
        rng = random.Random(client)  # noqa: S311
        n = 0
        while not self.stop.is_set():
            n += 1
            try:
                page = session.get(self.base + "/submit/", headers=headers, timeout=30)
                token = CSRF_FIELD.search(page.text)
                if page.status_code != 200 or token is None:
                    raise RuntimeError(f"GET /submit/ {page.status_code}")
            except Exception as exc:  # noqa: BLE001 (recorded, checked by the test)
                with self.lock:
                    self.get_failures.append(repr(exc))
                time.sleep(0.05)
                continue
            form = {
                "csrfmiddlewaretoken": token.group(1),
                "title": "关于改善城市环境的建议",
                "content": f"{IDEA}（{self.run}-{client}-{n}）",
                "topic": rng.choice(self.topic_ids),
                "unit": rng.choice(self.unit_ids),
                "identity_type": "public",
                "name": "",
                "phone": f"199{client:03d}{n:05d}",
                "consent": "on",
                "website": "",
            }
            try:
                answer = session.post(
                    self.base + "/submit/",
                    data=form,
                    headers={**headers, "Referer": f"https://{HOST_NAME}/submit/"},
                    allow_redirects=False,
                    timeout=30,
                )
                location = answer.headers.get("Location", "")
                if answer.status_code != 302 or "/submit/receipt/" not in location:
                    raise RuntimeError(f"POST /submit/ {answer.status_code} {location}")
            except Exception as exc:  # noqa: BLE001
                with self.lock:
                    self.post_failures.append(repr(exc))
                time.sleep(0.05)
                continue
            with self.lock:
                self.receipts.append((_receipt_of(location), time.monotonic()))
            self.stop.wait(self.pause)


def _choices(pg) -> tuple[list[int], list[int]]:
    with psycopg2.connect(pg.url) as conn, conn.cursor() as cursor:
        cursor.execute("SELECT id FROM units_unit WHERE is_active AND kind <> 'city' LIMIT 20")
        units = [row[0] for row in cursor.fetchall()]
        cursor.execute("SELECT id FROM suggestions_topic WHERE is_active")
        topics = [row[0] for row in cursor.fetchall()]
    conn.close()
    return units, topics


def _stored(url: str) -> list[str]:
    with psycopg2.connect(url) as conn, conn.cursor() as cursor:
        cursor.execute("SELECT receipt FROM suggestions_suggestion")
        rows = [row[0] for row in cursor.fetchall()]
    conn.close()
    return rows


def test_nginx_routes_around_a_killed_node_and_every_receipt_has_its_row(cluster):
    urllib3.disable_warnings()
    node1, node2 = cluster["nodes"]
    log = cluster["folder"] / "access.log"
    units, topics = _choices(cluster["pg"])
    before = set(_stored(cluster["pg"].url))

    with Citizens(cluster["base"], units, topics) as citizens:
        citizens.wait_for_receipts(20)
        node1.crash()
        killed_at, receipts_at_kill = time.monotonic(), len(citizens.receipts)
        time.sleep(6)
        receipts_while_down = len(citizens.receipts) - receipts_at_kill
        node1.start()  # back: ready before nginx tries it again
        restarted_at = len(log.read_text().splitlines())
        time.sleep(12)  # > fail_timeout: nginx gives node 1 live traffic again

    issued = [receipt for receipt, _ in citizens.receipts]
    stored = [r for r in _stored(cluster["pg"].url) if r not in before]
    failures = citizens.post_failures
    assert receipts_while_down > 0, (
        f"nothing was accepted while node 1 was down: {len(issued)} receipts,"
        f" GET failures {citizens.get_failures[:3]}, POST failures {failures[:3]}"
    )
    assert len(issued) == len(set(issued)), "a receipt was given twice"
    assert len(stored) == len(set(stored))
    assert set(issued) <= set(stored), f"receipts without a row: {set(issued) - set(stored)}"
    # A POST node 1 had received when it died is not replayed: its client saw an error,
    # and its row exists only if the commit came first.
    assert len(set(stored) - set(issued)) <= len(failures)
    assert len(failures) <= 4, failures  # at most the requests in flight on node 1
    # A read whose response had started when its node died cannot be retried by nginx
    # (the client already has part of it); every other read is retried on the other node.
    in_flight = [
        f for f in citizens.get_failures if "IncompleteRead" in f or "Connection broken" in f
    ]
    assert citizens.get_failures == in_flight, citizens.get_failures
    assert len(in_flight) <= 4, in_flight  # at most the requests in flight on node 1
    after = [line.split()[0] for line in log.read_text().splitlines()[restarted_at:]]
    assert node1.bind in after, "node 1 got no traffic after its restart"
    assert node2.bind in after
    print(  # noqa: T201 (the figures of the run, shown with -s)
        f"\nreceipts {len(issued)}, while node 1 was down {receipts_while_down},"
        f" failed POSTs {len(failures)}, killed at {killed_at:.0f}"
    )


def test_backup_while_submissions_flow_restores_every_committed_receipt(cluster):
    urllib3.disable_warnings()
    pg = cluster["pg"]
    units, topics = _choices(pg)
    backups = cluster["folder"] / "backups"
    with Citizens(cluster["base"], units, topics) as citizens:
        citizens.wait_for_receipts(20)
        dump_started = time.monotonic()
        result = subprocess.run(
            [DEPLOY / "bin" / "backup"],
            env={
                "PATH": "/usr/bin:/bin",
                "DATABASE_URL": pg.url,
                "BACKUP_DIR": str(backups),
                "MEDIA_DIR": str(cluster["folder"] / "no-media"),
            },
            capture_output=True,
            text=True,
            timeout=300,
        )
        dump_finished = time.monotonic()
        citizens.wait_for_receipts(20)  # submissions go on after the dump
    assert result.returncode == 0, result.stderr
    (dump,) = backups.glob("portal-*.dump")

    restored_url = pg.url_on("127.0.0.1", "restored")
    sh("createdb", "-h", "127.0.0.1", "-p", pg.port, "-U", "postgres", "restored")
    restore = sh("pg_restore", "--no-owner", "--dbname", restored_url, dump, check=False)
    assert restore.returncode == 0, restore.stderr
    restored = _stored(restored_url)
    live = set(_stored(pg.url))

    assert len(restored) == len(set(restored))
    assert set(restored) <= live  # nothing in the dump that the database never had
    committed_before = {r for r, at in citizens.receipts if at < dump_started}
    assert committed_before, "no submission finished before the dump"
    assert committed_before <= set(restored), committed_before - set(restored)
    after = {r for r, at in citizens.receipts if at > dump_finished}
    late = {r: round(at - dump_finished, 3) for r, at in citizens.receipts if r in after}
    print(
        f"\ndump {dump_finished - dump_started:.2f} s; in dump and answered after it:",
        {r: t for r, t in late.items() if r in set(restored)},
    )
    assert after - set(restored)  # a snapshot: ideas stored after it are not in it
    with psycopg2.connect(restored_url) as conn, conn.cursor() as cur:
        # Receipt numbers handed out after a restore never collide with restored ones.
        cur.execute(
            "SELECT count(*) FROM suggestions_suggestion s JOIN suggestions_campaign c"
            " ON c.id = s.campaign_id WHERE s.sequence > c.last_sequence"
        )
        assert cur.fetchone() == (0,)
    conn.close()


TASK_RECEIVED = re.compile(r"Task ([\w.]+)\[([0-9a-f-]{36})\] received")
TASK_SUCCEEDED = re.compile(r"Task ([\w.]+)\[([0-9a-f-]{36})\] succeeded")


def _tasks(pattern, text: str) -> set[str]:
    return {task_id for _name, task_id in pattern.findall(text)}


def _in_flight(log: str) -> set[str]:
    """Tasks a worker received and has not finished."""
    return _tasks(TASK_RECEIVED, log) - _tasks(TASK_SUCCEEDED, log)


def _query(url: str, sql: str, params=()) -> list[tuple]:
    with psycopg2.connect(url) as conn, conn.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    conn.close()
    return rows


def _campaign_id(pg) -> int:
    return _query(pg.url, "SELECT id FROM suggestions_campaign WHERE slug = 'jc2021'")[0][0]


def _submit_some(base: str, units: list[int], topics: list[int], count: int) -> list[str]:
    """`count` ideas through nginx, one after the other; their receipts."""
    with Citizens(base, units, topics, clients=1) as citizens:
        citizens.wait_for_receipts(count)
    return [receipt for receipt, _ in citizens.receipts]


def test_a_killed_worker_nodes_tasks_are_redone_by_the_other_exactly_once(cluster):
    """Worker node 1 dies (SIGKILL, pool and all) while it holds tallies and duplicate
    checks; worker node 2 runs them after the visibility timeout; none is done twice."""
    urllib3.disable_warnings()
    pg, (worker1, worker2) = cluster["pg"], cluster["workers"]
    units, topics = _choices(pg)
    campaign = _campaign_id(pg)
    broker = Celery(broker=cluster["redis"].url)
    # The earlier scenarios left hundreds of duplicate checks queued. One check also
    # handles every earlier unchecked idea of its campaign, so the backlog is dropped and
    # the newest idea's check queued instead: the workers start this scenario idle.
    redis.Redis.from_url(cluster["redis"].url).delete("celery")
    newest = _query(pg.url, "SELECT max(id) FROM suggestions_suggestion")[0][0]
    broker.send_task(SUGGESTION_RECEIVED, args=[newest])
    unchecked_any = "SELECT 1 FROM suggestions_suggestion WHERE duplicate_of_id IS NULL LIMIT 1"
    assert wait_for(lambda: not _query(pg.url, unchecked_any), timeout=60)
    assert wait_for(
        lambda: not _in_flight(worker1.log()) and not _in_flight(worker2.log()), timeout=30
    )
    worker2_seen = len(worker2.log())

    # Hold what each task waits for before it can COMMIT: the duplicate checks' advisory
    # lock of this campaign, and the TallyRun table (a tally's last INSERT).
    holder = psycopg2.connect(pg.url)
    cursor = holder.cursor()
    cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [DUPLICATE_LOCK_SPACE, campaign])
    cursor.execute("LOCK TABLE suggestions_tallyrun IN EXCLUSIVE MODE")
    try:
        receipts = _submit_some(cluster["base"], units, topics, 6)  # 6 duplicate checks
        run_keys = [f"cluster-{secrets.token_hex(4)}-{n}" for n in range(4)]
        for key in run_keys:
            broker.send_task(
                "suggestions.tally_campaign",
                args=[campaign],
                kwargs={"run_key": key},
                queue="tallies",
            )
        # Each worker runs two tasks at once and prefetches no more: 2 + 2 held (all
        # wait for the locks), the rest waits in Redis.
        assert wait_for(lambda: len(_in_flight(worker1.log())) >= 2, timeout=30)
        assert wait_for(lambda: _in_flight(worker2.log()[worker2_seen:]), timeout=30)
        held_by_worker1 = _in_flight(worker1.log())
        worker1.crash()
        killed_at = time.monotonic()
    finally:
        holder.rollback()
        holder.close()
        broker.close()

    assert not _tasks(TASK_SUCCEEDED, worker1.log()) & held_by_worker1
    # Worker 2 finishes its own, the waiting ones, and worker 1's once they are visible again.
    assert wait_for(
        lambda: held_by_worker1 <= _tasks(TASK_SUCCEEDED, worker2.log()[worker2_seen:]),
        timeout=VISIBILITY_TIMEOUT + 40,
    )
    redone_after = time.monotonic() - killed_at
    ids = [
        row[0]
        for row in _query(
            pg.url, "SELECT id FROM suggestions_suggestion WHERE receipt = ANY(%s)", [receipts]
        )
    ]
    assert len(ids) == len(receipts)
    unchecked = (
        "SELECT 1 FROM suggestions_suggestion WHERE id = ANY(%s) AND duplicate_of_id IS NULL"
    )
    assert wait_for(lambda: not _query(pg.url, unchecked, [ids]), timeout=30)
    log2 = worker2.log()[worker2_seen:]
    assert "Traceback" not in log2 and " raised " not in log2, log2[-3000:]
    # Once in the database: at most one run per key (a run older than a newer
    # cutoff is not stored, by design), one signature and one set of bands per idea.
    runs = _query(
        pg.url,
        "SELECT run_key, count(*) FROM suggestions_tallyrun WHERE run_key = ANY(%s) GROUP BY 1",
        [run_keys],
    )
    assert runs and all(count == 1 for _key, count in runs), runs
    assert (
        _query(
            pg.url,
            "SELECT suggestion_id FROM suggestions_duplicatesignature WHERE suggestion_id = ANY(%s)"
            " GROUP BY 1 HAVING count(*) > 1",
            [ids],
        )
        == []
    )
    # On PostgreSQL an idea's index keys live in its signature row (docs/duplicates.md,
    # "Storage"): each idea has its keys, none written twice.
    keys = _query(
        pg.url,
        "SELECT suggestion_id, cardinality(keys),"
        " (SELECT count(DISTINCT k) FROM unnest(keys) AS k)"
        " FROM suggestions_duplicatesignature WHERE suggestion_id = ANY(%s)",
        [ids],
    )
    assert len(keys) == len(ids), keys
    assert all(total == distinct > 0 for _i, total, distinct in keys), keys
    # Checks on two nodes kept the band key cap between them (a campaign's checks take
    # turns): no band key (the keys below the sentence keys' tag) is stored by more ideas.
    crowded = _query(
        pg.url,
        "SELECT campaign_id, k, count(*) FROM suggestions_duplicatesignature, unnest(keys) AS k"
        " WHERE k < %s GROUP BY 1, 2 HAVING count(*) > %s",
        [_SENTENCE_TAG, DuplicateConfig().band_key_cap],
    )
    assert crowded == [], crowded
    print(  # noqa: T201
        f"\nworker 1 held {len(held_by_worker1)} tasks; worker 2 had redone them"
        f" {redone_after:.1f} s after the kill (visibility timeout {VISIBILITY_TIMEOUT} s)"
    )
    worker1.start()  # the node comes back and consumes again


def _node_session() -> requests.Session:
    session = requests.Session()
    session.trust_env = False
    session.verify = False
    # As nginx sends it: the public name, HTTPS at the proxy.
    session.headers.update(
        {"Host": HOST_NAME, "Origin": f"https://{HOST_NAME}", "X-Forwarded-Proto": "https"}
    )
    return session


def _submit_to(session, url: str, *, unit: int, topic: int, tag: str) -> requests.Response:
    page = session.get(url + "/submit/", timeout=10)
    assert page.status_code == 200, page.status_code
    form = {
        "csrfmiddlewaretoken": CSRF_FIELD.search(page.text).group(1),
        "title": "关于改善城市环境的建议",
        "content": f"{IDEA}（{tag}）",
        "topic": topic,
        "unit": unit,
        "identity_type": "public",
        "name": "",
        "phone": f"198{random.randint(0, 99_999_999):08d}",  # noqa: S311
        "consent": "on",
        "website": "",
    }
    # The CSRF cookie is Secure: a client does not send it over this plain-HTTP hop by
    # itself (nginx's clients send it over HTTPS, nginx passes it on).
    cookie = f"csrftoken={page.cookies['csrftoken']}"
    return session.post(
        url + "/submit/",
        data=form,
        headers={"Referer": f"https://{HOST_NAME}/submit/", "Cookie": cookie},
        allow_redirects=False,
        timeout=10,
    )


def test_a_unit_retired_on_one_node_is_refused_by_the_other_within_the_cache_time(cluster):
    urllib3.disable_warnings()
    pg, (node1, node2) = cluster["pg"], cluster["nodes"]
    units, topics = _choices(pg)
    unit = units[-1]
    session = _node_session()
    # Node 2's processes have the unit in their cache (two gunicorn workers: ask a few times).
    for n in range(4):
        answer = _submit_to(session, node2.url, unit=unit, topic=topics[0], tag=f"before-{n}")
        assert answer.status_code == 302, answer.status_code

    # On node 1, what the admin's save does (ModelAdmin.save_model: the model's save()).
    retire = subprocess.run(
        ["ip", "netns", "exec", node1.namespace, sys.executable, "manage.py", "shell", "-c"]
        + [
            f"from units.models import Unit; u = Unit.objects.get(pk={unit});"
            " u.is_active = False; u.save()"
        ],
        cwd=PROJECT_DIR,
        env=node1.env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert retire.returncode == 0, retire.stderr
    retired_at = time.monotonic()
    accepted_after = 0
    while True:
        answer = _submit_to(session, node2.url, unit=unit, topic=topics[0], tag="after")
        if answer.status_code != 302:
            break
        accepted_after += 1
        assert time.monotonic() - retired_at < CHOICES_CACHE_SECONDS + 2, "still accepted"
        time.sleep(0.2)
    refused_after = time.monotonic() - retired_at
    assert answer.status_code == 400
    assert "请选择有效的建议单位" in answer.text
    # Once the cache time has passed, every process of node 2 refuses it and its form
    # no longer offers it (each process's cache expires on its own clock).
    time.sleep(max(0.0, retired_at + CHOICES_CACHE_SECONDS + 0.5 - time.monotonic()))
    for n in range(4):
        answer = _submit_to(session, node2.url, unit=unit, topic=topics[0], tag=f"late-{n}")
        assert answer.status_code == 400
        page = session.get(node2.url + "/submit/").text
        offered = re.search(r'<select name="unit".*?</select>', page, re.S).group(0)
        assert f'<option value="{unit}"' not in offered
    print(  # noqa: T201
        f"\nretired unit refused by node 2 after {refused_after:.1f} s"
        f" ({accepted_after} accepted meanwhile; cache {CHOICES_CACHE_SECONDS} s)"
    )


class FromAddress(requests.adapters.HTTPAdapter):
    """Connections from a given local address: a client on another host."""

    def __init__(self, address: str):
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args, **kwargs):
        kwargs["source_address"] = (self.address, 0)
        super().init_poolmanager(*args, **kwargs)


def _lookups(base: str, address: str, count: int) -> list[int]:
    session = requests.Session()
    session.trust_env = False
    session.verify = False
    session.mount("https://", FromAddress(address))
    headers = {"Host": HOST_NAME, "Origin": f"https://{HOST_NAME}"}
    page = session.get(base + "/lookup/", headers=headers, timeout=10)
    token = CSRF_FIELD.search(page.text).group(1)
    statuses = []
    for _ in range(count):
        answer = session.post(
            base + "/lookup/",
            data={"csrfmiddlewaretoken": token, "receipt": "JC2021-000000", "phone_last4": "0000"},
            headers={**headers, "Referer": f"https://{HOST_NAME}/lookup/"},
            timeout=10,
        )
        statuses.append(answer.status_code)
    return statuses


def test_the_rate_limit_counts_one_client_across_both_nodes(cluster):
    urllib3.disable_warnings()
    network, log = cluster["network"], cluster["folder"] / "access.log"
    # A fixed hour window: not across its boundary.
    if 3600 - time.time() % 3600 < 30:
        time.sleep(3600 - time.time() % 3600 + 1)
    seen = len(log.read_text().splitlines())
    first = _lookups(cluster["base"], network.host_ip, LOOKUPS_PER_HOUR + 3)
    lines = [line.split() for line in log.read_text().splitlines()[seen:]]
    served = {f[0] for f in lines if f[2] == "POST" and f[-1] == network.host_ip}
    assert {n.bind for n in cluster["nodes"]} <= served, served  # both nodes counted
    assert 429 not in first[:LOOKUPS_PER_HOUR], first
    assert first[LOOKUPS_PER_HOUR:] == [429] * 3, first
    # Another client behind the same nginx has a count of its own: the nodes count the
    # address nginx passes (X-Real-IP), not nginx's own.
    other = _lookups(cluster["base"], network.other_client_ip, 3)
    assert 429 not in other, other


def test_submissions_go_on_while_redis_restarts_and_nothing_accepted_is_lost(cluster):
    urllib3.disable_warnings()
    pg, redis_server = cluster["pg"], cluster["redis"]
    units, topics = _choices(pg)
    before = set(_stored(pg.url))
    with Citizens(cluster["base"], units, topics, clients=2) as citizens:
        citizens.wait_for_receipts(10)
        redis_server.stop()
        at_stop = len(citizens.receipts)
        time.sleep(4)
        while_down = len(citizens.receipts) - at_stop
        redis_server.start()
        # Each web process skips the broker for INTAKE_BROKER_BACKOFF_SECONDS after a
        # failed publish; then the ideas' checks are queued again.
        time.sleep(BROKER_BACKOFF + 1)
        citizens.wait_for_receipts(10)
    issued = [receipt for receipt, _ in citizens.receipts]
    stored = [r for r in _stored(pg.url) if r not in before]
    assert while_down > 0, (citizens.get_failures[:3], citizens.post_failures[:3])
    assert citizens.post_failures == [], citizens.post_failures[:5]
    assert len(issued) == len(set(issued))
    assert set(issued) <= set(stored), set(issued) - set(stored)
    assert len(stored) == len(set(stored))
    # Their follow-up: the checks queued before the restart are gone with Redis, those
    # of ideas taken while it was down were never queued. Each duplicate check also
    # checks every earlier unchecked idea of its campaign, so the checks of the ideas
    # taken after the restart catch up the rest (beat's catch-up entry does it as well
    # when no idea follows).
    unchecked = (
        "SELECT 1 FROM suggestions_suggestion WHERE receipt = ANY(%s) AND duplicate_of_id IS NULL"
    )
    left = lambda: _query(pg.url, unchecked, [issued])  # noqa: E731
    # A worker whose broker connection drops while it holds an unacknowledged task may
    # exit (kombu restores the message on the closed connection: "Unrecoverable error");
    # in production systemd starts it again, and so does this loop.
    restarted = []

    def caught_up():
        restarted.extend(w.name for w in cluster["workers"] if w.restart_if_exited())
        return not left()

    assert wait_for(caught_up, timeout=90), (
        f"{len(left())} of {len(issued)} ideas still unchecked; worker logs end:\n"
        + "\n---\n".join(worker.log()[-2000:] for worker in cluster["workers"])
    )
    print(  # noqa: T201
        f"\nreceipts {len(issued)}, {while_down} while Redis was down;"
        f" worker nodes restarted as systemd would: {restarted or 'none'}"
    )
