"""Two web nodes in network namespaces behind nginx, one PostgreSQL and one Redis.

The hosts are real network namespaces on a bridge (ip netns + veth, root only):
    10.231.N.1   this host: nginx (TLS, the site config of deploy/), PostgreSQL, Redis
    10.231.N.11  web node 1: gunicorn, DEBUG off
    10.231.N.12  web node 2: gunicorn, DEBUG off
Citizens submit the real form through nginx while node 1 is SIGKILLed (master and
workers at once, like a host dying) and brought back. Then: every receipt a citizen
got has its row, once; no receipt twice across the nodes; reads failed only when their
response had started on node 1 as it died (nginx retried the rest on node 2); node 1
serves again after its restart. A backup drill dumps the database while submissions
flow and restores it into a new one.
Namespaces, the bridge and every process are removed at the end.
"""

import base64
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
import requests
import urllib3

from tests.deploy.conftest import PROJECT_DIR, Node, production_env
from tests.deploy.test_deploy_files import DEPLOY, SITE, nginx_config
from tests.hardening.conftest import PrivatePostgres, free_port

pytestmark = [pytest.mark.services, pytest.mark.slow]

HOST_NAME = "portal.example.cn"
IDEA = "建议在老城区增加口袋公园和健身步道，方便居民就近锻炼"
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def _need_root_tools():
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        # It brings its own PostgreSQL; once per CI run is enough (the PostgreSQL pass).
        pytest.skip("runs in the PostgreSQL pass only (DATABASE_URL=postgres://...)")
    if os.geteuid() != 0:
        pytest.skip("network namespaces need root (ip netns); run as root or in CI")
    for tool in ("ip", "nginx", "openssl", "redis-server", "pg_dump"):
        if not (shutil.which(tool) or Path(f"/usr/sbin/{tool}").exists()):
            pytest.skip(f"{tool} is not installed")


def sh(*args, check=True):
    return subprocess.run([str(a) for a in args], check=check, capture_output=True, text=True)


class Network:
    """A bridge on this host and one namespace per web node."""

    def __init__(self):
        self.tag = secrets.token_hex(2)
        self.subnet = random.randint(1, 250)  # noqa: S311
        self.host_ip = f"10.231.{self.subnet}.1"
        self.bridge = f"jc{self.tag}br"
        self.namespaces: list[str] = []

    def up(self):
        sh("ip", "link", "add", self.bridge, "type", "bridge")
        sh("ip", "addr", "add", f"{self.host_ip}/24", "dev", self.bridge)
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
    pg = redis_process = nginx = None
    nodes: list[NodeInNamespace] = []
    try:
        network.up()
        pg = ClusterPostgres(network)
        pg.init()
        redis_port = free_port()
        redis_process = subprocess.Popen(
            ["redis-server", "--port", str(redis_port), "--bind", f"127.0.0.1 {network.host_ip}"]
            + ["--save", "", "--appendonly", "no", "--protected-mode", "no"]
            + ["--dir", str(folder)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        env = production_env(
            DATABASE_URL=pg.url_on(network.host_ip),
            REDIS_URL=f"redis://{network.host_ip}:{redis_port}/0",
            STATIC_ROOT=str(static_root),
            ALLOWED_HOSTS=HOST_NAME,
            TRUSTED_PROXY_HOPS="1",
            INTAKE_CLIENT_IP_META="HTTP_X_REAL_IP",
            INTAKE_RATE_PER_IP_PER_HOUR="1000000",
            INTAKE_RATE_PER_PHONE_PER_DAY="1000",
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
        for node in nodes:
            node.start()

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
            "log_format upstream '$upstream_addr $status $request_method $request_uri';\n"
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
        yield {"base": base, "nodes": nodes, "pg": pg, "folder": folder, "network": network}
    finally:
        if nginx:
            nginx.terminate()
            nginx.wait(timeout=15)
        for node in nodes:
            node.stop()
        if redis_process:
            redis_process.terminate()
            redis_process.wait(timeout=10)
        if pg:
            pg.destroy()
        network.down()


class Citizens:
    """Threads submitting the real form through nginx, each with its own session."""

    def __init__(self, base: str, unit_ids: list[int], topic_ids: list[int], clients: int = 4):
        self.base, self.unit_ids, self.topic_ids = base, unit_ids, topic_ids
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
