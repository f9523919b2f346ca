"""deploy/: the nginx site, the systemd units, the env template and the helper scripts."""

import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import psycopg2
import pytest
from django.conf import settings

from tests.conftest import test_database_url
from tests.hardening.conftest import PROJECT_DIR

DEPLOY = PROJECT_DIR / "deploy"
SITE = DEPLOY / "nginx" / "jincheng-portal.conf"
UNITS = DEPLOY / "systemd"
ENV_TEMPLATE = UNITS / "portal.env.example"


def _env_template() -> dict[str, str]:
    pairs = {}
    for line in ENV_TEMPLATE.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            pairs[key.strip()] = value.strip()
    return pairs


def _size(value: str) -> int:
    number, unit = re.fullmatch(r"(\d+)([kKmMgG]?)", value).groups()
    return int(number) * {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}[unit.lower()]


def nginx_config(folder: Path, site_text: str | None = None) -> Path:
    """A main nginx.conf around the site, with a throw-away certificate, in `folder`."""
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"]
        + ["-subj", "/CN=portal.example.cn", "-keyout", folder / "key.pem"]
        + ["-out", folder / "cert.pem"],
        check=True,
        capture_output=True,
    )
    site = (site_text or SITE.read_text()).replace(
        "/etc/ssl/jincheng/fullchain.pem", str(folder / "cert.pem")
    )
    site = site.replace("/etc/ssl/jincheng/privkey.pem", str(folder / "key.pem"))
    (folder / "site.conf").write_text(site)
    (folder / "body").mkdir(exist_ok=True)
    main = folder / "nginx.conf"
    main.write_text(
        f"pid {folder}/nginx.pid;\nerror_log {folder}/error.log;\nevents {{}}\n"
        "http {\n  include /etc/nginx/mime.types;\n"
        f"  access_log {folder}/access.log;\n"
        f"  client_body_temp_path {folder}/body;\n  proxy_temp_path {folder}/body;\n"
        f"  include {folder}/site.conf;\n}}\n"
    )
    return main


# --- nginx ------------------------------------------------------------------------


def test_nginx_accepts_the_site_config(tmp_path):
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(nginx).exists():
        pytest.skip("nginx is not installed (apt-get install nginx): config not validated")
    if not shutil.which("openssl"):
        pytest.skip("openssl is not installed: no throw-away certificate for nginx -t")
    main = nginx_config(tmp_path)
    result = subprocess.run(
        [nginx, "-t", "-c", str(main), "-p", str(tmp_path)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr


def test_nginx_body_limit_matches_the_import_limit():
    (limit,) = re.findall(r"^\s*client_max_body_size\s+(\S+);", SITE.read_text(), re.M)
    size = _size(limit)
    # The whole request: the file up to INTAKE_IMPORT_MAX_BYTES plus its multipart envelope,
    # so the app (not nginx) refuses a file that is a little too big, with its own message.
    assert settings.INTAKE_IMPORT_MAX_BYTES < size <= settings.INTAKE_IMPORT_MAX_BYTES + 2 * 1024**2
    assert _env_template()["INTAKE_IMPORT_MAX_BYTES"] == str(settings.INTAKE_IMPORT_MAX_BYTES)


def test_nginx_passes_what_the_app_reads_for_the_client_and_scheme():
    site = SITE.read_text()
    env = _env_template()
    assert "proxy_set_header X-Real-IP $remote_addr;" in site
    assert env["INTAKE_CLIENT_IP_META"] == "HTTP_X_REAL_IP"
    assert "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;" in site
    assert env["TRUSTED_PROXY_HOPS"] == "1"  # nginx appends exactly one address
    assert "proxy_set_header X-Forwarded-Proto $scheme;" in site
    assert "proxy_set_header Host $host;" in site


def test_nginx_fails_over_only_idempotent_requests_between_health_checked_nodes():
    site = SITE.read_text()
    servers = re.findall(r"^\s*server\s+(\S+)\s+max_fails=\d+\s+fail_timeout=\d+s;", site, re.M)
    assert len(servers) >= 2
    (next_upstream,) = re.findall(r"^\s*proxy_next_upstream\s+([^;]+);", site, re.M)
    assert "http_503" in next_upstream  # a node without its database answers 503
    assert "non_idempotent" not in next_upstream  # never replay a received POST


# --- systemd ------------------------------------------------------------------------


def _units_for_verify(folder: Path) -> list[Path]:
    """The units with the install paths pointed at this checkout, for systemd-analyze."""
    env = folder / "portal.env"
    env.write_text(ENV_TEMPLATE.read_text())
    paths = []
    for unit in sorted(UNITS.glob("jincheng-*")):
        text = unit.read_text().replace("/srv/jincheng/app", str(PROJECT_DIR))
        text = text.replace("/etc/jincheng/portal.env", str(env))
        text = re.sub(r"^(User|Group)=jincheng$", r"\1=root", text, flags=re.M)
        (folder / unit.name).write_text(text)
        paths.append(folder / unit.name)
    return paths


def test_systemd_units_verify(tmp_path):
    analyze = shutil.which("systemd-analyze")
    if not analyze:
        pytest.skip("systemd-analyze is not installed: units not verified")
    units = _units_for_verify(tmp_path)
    result = subprocess.run(
        [analyze, "verify", *[f"./{u.name}" for u in units]],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert "Unknown" not in result.stderr, result.stderr


def test_every_variable_the_units_use_is_in_the_env_template():
    used = set()
    for unit in UNITS.glob("jincheng-*.service"):
        used |= set(re.findall(r"\$\{(\w+)\}", unit.read_text()))
    assert used, "the units take their addresses and sizes from the env file"
    assert used <= set(_env_template())


def test_workers_consume_every_queue_and_beat_runs_guarded_with_the_database_scheduler():
    worker = (UNITS / "jincheng-worker@.service").read_text()
    (queues,) = re.findall(r"--queues (\S+)", worker)
    assert set(queues.split(",")) == {q.name for q in settings.CELERY_TASK_QUEUES}
    beat = (UNITS / "jincheng-beat.service").read_text()
    assert "deploy/bin/beat-singleton --" in beat
    assert "--scheduler django_celery_beat.schedulers:DatabaseScheduler" in beat
    assert "beat" not in worker.split("ExecStart=")[1].split("\n\n")[0].replace("worker", "")


# --- scripts ------------------------------------------------------------------------


class _Flaky(BaseHTTPRequestHandler):
    answers: list[int] = []

    def do_GET(self):
        status = self.answers.pop(0) if self.answers else 200
        body = b'{"status": "ready"}' if status == 200 else b'{"reason": "migrations"}'
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def _serve(answers):
    _Flaky.answers = list(answers)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Flaky)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def _wait_ready(url, timeout):
    return subprocess.run(
        [sys.executable, DEPLOY / "bin" / "wait-ready", url]
        + ["--timeout", str(timeout), "--interval", "0.1"],
        capture_output=True,
        text=True,
        timeout=30,
    )


def test_wait_ready_waits_through_503_until_ready():
    server = _serve([503, 503, 503])
    try:
        result = _wait_ready(f"http://127.0.0.1:{server.server_port}/readyz", 10)
    finally:
        server.shutdown()
    assert result.returncode == 0, result.stderr
    assert "ready" in result.stdout


def test_wait_ready_gives_up_and_says_why():
    server = _serve([503] * 1000)
    try:
        result = _wait_ready(f"http://127.0.0.1:{server.server_port}/readyz", 1)
    finally:
        server.shutdown()
    assert result.returncode == 1
    assert "503" in result.stderr and "migrations" in result.stderr


# --- beat: exactly one ------------------------------------------------------------------

_CHILD = "import os, sys, time; open(sys.argv[1] + '/' + str(os.getpid()), 'w'); time.sleep(600)"


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(") ")[1][0] != "Z"
    except FileNotFoundError:
        return False


@pytest.fixture
def postgres_url(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        url = test_database_url()
    if not url.startswith("postgres"):
        pytest.skip("the beat lock is a PostgreSQL advisory lock: needs DATABASE_URL=postgres://")
    return url


@pytest.mark.services
def test_only_one_beat_runs_and_the_standby_takes_over_after_a_sigkill(postgres_url, tmp_path):
    started = tmp_path / "started"
    started.mkdir()

    def wrapper(name):
        log = open(tmp_path / f"{name}.log", "w")  # noqa: SIM115 (closed with the process)
        return subprocess.Popen(
            [sys.executable, DEPLOY / "bin" / "beat-singleton", "--check-every", "0.5"]
            + ["--database-url", postgres_url, "--", sys.executable, "-c", _CHILD, started],
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    def children_alive():
        return [int(p.name) for p in started.iterdir() if _alive(int(p.name))]

    first = wrapper("first")
    second = None
    try:
        deadline = time.monotonic() + 15
        while not children_alive() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert len(children_alive()) == 1
        second = wrapper("second")
        deadline = time.monotonic() + 15
        while "standing by" not in (tmp_path / "second.log").read_text():
            assert time.monotonic() < deadline, (tmp_path / "second.log").read_text()
            time.sleep(0.1)
        time.sleep(1.5)
        assert len(list(started.iterdir())) == 1  # the standby started nothing

        first.send_signal(signal.SIGKILL)
        deadline = time.monotonic() + 20
        most = 0
        while time.monotonic() < deadline:
            alive = children_alive()
            most = max(most, len(alive))
            if len(list(started.iterdir())) == 2 and len(alive) == 1:
                break
            time.sleep(0.05)
        assert len(list(started.iterdir())) == 2, (tmp_path / "second.log").read_text()
        assert most == 1  # never two beats at once
        assert second.poll() is None
    finally:
        for process in (first, second):
            if process and process.poll() is None:
                process.terminate()
                process.wait(timeout=15)
    assert children_alive() == []  # SIGTERM reached the command


# --- backup ----------------------------------------------------------------------


@pytest.mark.services
def test_backup_script_writes_a_dump_that_restores(postgres_url, tmp_path):
    if not shutil.which("pg_dump"):
        pytest.skip("pg_dump is not installed (postgresql-client)")
    with psycopg2.connect(postgres_url) as conn, conn.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM django_migrations")
        (migrations,) = cursor.fetchone()
    conn.close()
    backups = tmp_path / "backups"
    result = subprocess.run(
        [DEPLOY / "bin" / "backup"],
        env={
            "PATH": "/usr/bin:/bin",
            "DATABASE_URL": postgres_url,
            "BACKUP_DIR": str(backups),
            "MEDIA_DIR": str(tmp_path / "no-media"),
        },
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    (dump,) = backups.glob("portal-*.dump")
    assert not list(backups.glob(".*part"))
    assert oct(dump.stat().st_mode & 0o777) == "0o600"

    base, _, _ = postgres_url.rpartition("/")
    name = f"jc_restore_{int(time.time())}"
    admin = psycopg2.connect(f"{base}/postgres")
    admin.autocommit = True
    admin.cursor().execute(f'CREATE DATABASE "{name}"')
    try:
        restore = subprocess.run(
            ["pg_restore", "--no-owner", "--dbname", f"{base}/{name}", dump],
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert restore.returncode == 0, restore.stderr
        with psycopg2.connect(f"{base}/{name}") as conn, conn.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM django_migrations")
            assert cursor.fetchone() == (migrations,)
        conn.close()
    finally:
        admin.cursor().execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()
