"""/healthz and /readyz: what a load balancer and the deploy procedure rely on."""

import json
import subprocess
import sys

import psycopg2
import pytest
from django.db.migrations.recorder import MigrationRecorder
from django.test import override_settings

from jincheng_portal import health
from suggestions.models import SigningKeyProof
from tests.deploy.conftest import Node, free_port, production_env
from tests.hardening.conftest import PROJECT_DIR


@pytest.fixture(autouse=True)
def _fresh_migration_plan():
    health.migrations_cache_clear()
    health.key_check_cache_clear()
    health._last_ready = None  # each test starts with no state logged yet
    yield
    health.migrations_cache_clear()
    health.key_check_cache_clear()


def test_healthz_answers_alive_without_touching_the_database(client):
    # No db fixture: pytest-django makes any database access here an error.
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "alive"}
    assert response["Cache-Control"] == "no-store"


@override_settings(ALLOWED_HOSTS=["portal.example.cn"], SECURE_SSL_REDIRECT=True)
def test_probes_answer_any_host_over_plain_http(client, db):
    # nginx and load balancers ask for the node by its address, over plain HTTP.
    for path in ("/healthz", "/readyz", "/healthz/"):
        response = client.get(path, HTTP_HOST="10.0.0.11:8000")
        assert response.status_code == 200, (path, response.content)
    # Every other page still refuses an unknown host and redirects to HTTPS.
    assert client.get("/", HTTP_HOST="10.0.0.11:8000").status_code == 400
    assert client.get("/", HTTP_HOST="portal.example.cn").status_code == 301


def test_probes_accept_only_reads(client, db):
    assert client.post("/readyz").status_code == 405


def test_readyz_is_ready_on_a_migrated_database(client, db):
    response = client.get("/readyz")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "ready"
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["migrations"] == "ok"
    assert body["checks"]["secret_key"] == "ok"


def _ready(client) -> tuple[int, str]:
    health.key_check_cache_clear()  # another node, in effect: a process of its own
    response = client.get("/readyz")
    return response.status_code, response.json()["checks"]["secret_key"]


KEYS = [f"key-{n}-" + "x" * 50 for n in range(4)]


def test_readyz_refuses_a_node_with_another_secret_key(client, db, caplog):
    with override_settings(SECRET_KEY=KEYS[0]):
        assert _ready(client) == (200, "ok")  # the first node records its key
    with override_settings(SECRET_KEY=KEYS[1]):
        status, reason = _ready(client)
        assert status == 503
        assert "SECRET_KEY" in reason
        assert health._key_fingerprint(KEYS[1]) in reason  # which key, never the key
        assert KEYS[1] not in json.dumps(client.get("/readyz").json())
        assert "Not ready: SECRET_KEY" in caplog.text
    with override_settings(SECRET_KEY=KEYS[0]):
        assert _ready(client) == (200, "ok")
    assert SigningKeyProof.objects.count() == 1  # a refused node records nothing


def test_readyz_keeps_old_and_rotated_nodes_ready_during_a_key_rotation(client, db):
    old, new, newer = KEYS[0], KEYS[1], KEYS[2]
    with override_settings(SECRET_KEY=old):
        assert _ready(client)[0] == 200
    with override_settings(SECRET_KEY=new, SECRET_KEY_FALLBACKS=[old]):
        assert _ready(client)[0] == 200  # verified through the fallback, records `new`
    with override_settings(SECRET_KEY=old):
        assert _ready(client)[0] == 200  # a node not yet restarted
    with override_settings(SECRET_KEY=new):
        assert _ready(client)[0] == 200  # the fallback removed at the end
    with override_settings(SECRET_KEY=newer, SECRET_KEY_FALLBACKS=[new]):
        assert _ready(client)[0] == 200  # the next rotation
    with override_settings(SECRET_KEY=old):
        assert _ready(client)[0] == 503  # two keys ago: a stale env file
    with override_settings(SECRET_KEY=KEYS[3], SECRET_KEY_FALLBACKS=[old]):
        assert _ready(client)[0] == 503  # its fallback is no longer the deployment's


def test_readyz_names_an_unapplied_migration(client, db):
    MigrationRecorder.Migration.objects.filter(
        app="suggestions", name="0012_search_bigrams_cost"
    ).delete()

    response = client.get("/readyz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unready"
    assert "suggestions.0012_search_bigrams_cost" in body["reason"]
    assert "migrate" in body["reason"]


def test_readyz_caches_the_migration_plan_between_polls(client, db, django_assert_max_num_queries):
    client.get("/readyz")
    with django_assert_max_num_queries(1):  # SELECT 1 only
        assert client.get("/readyz").status_code == 200


def test_readyz_is_unready_while_redis_is_unreachable(client, db, caplog):
    closed = f"redis://127.0.0.1:{free_port()}/0"
    with override_settings(REDIS_URL=closed):
        for _ in range(3):
            response = client.get("/readyz")
            assert response.status_code == 503
        assert response.json()["checks"]["redis"].startswith("redis unreachable")
    # Polled every second: said once as a warning, not an ERROR per poll.
    assert not [r for r in caplog.records if r.name == "django.request"]
    said = [r for r in caplog.records if r.name == "jincheng_portal.health"]
    # (the first probe of the test database also records its signing key, at INFO)
    assert [r.levelname for r in said if not r.getMessage().startswith("Signing key")] == [
        "WARNING"
    ]
    with override_settings(REDIS_URL=closed, READYZ_REDIS_REQUIRED=False):
        response = client.get("/readyz")
        assert response.status_code == 200
        assert response.json()["checks"]["redis"].startswith("degraded")


def test_readyz_is_unready_without_the_static_manifest(client, db, tmp_path):
    manifest = "whitenoise.storage.CompressedManifestStaticFilesStorage"
    storages = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": manifest},
    }
    with override_settings(DEBUG=False, STATIC_ROOT=tmp_path, STORAGES=storages):
        response = client.get("/readyz")
        assert response.status_code == 503
        assert "staticfiles.json" in response.json()["reason"]
        (tmp_path / "staticfiles.json").write_text("{}")
        assert client.get("/readyz").status_code == 200


_PROBE = """
import django, json
django.setup()
from django.test import Client
response = Client().get("/readyz")
print(json.dumps({"status": response.status_code, "body": response.json()}))
"""


def test_readyz_answers_503_when_the_database_is_unreachable():
    env = {
        **production_env(),
        "DEBUG": "1",
        "DJANGO_SETTINGS_MODULE": "jincheng_portal.settings",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:{free_port()}/nowhere",
    }
    env.pop("REDIS_URL", None)
    result = subprocess.run(
        [sys.executable, "-c", _PROBE],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout.strip().splitlines()[-1])
    assert answer["status"] == 503
    assert answer["body"]["checks"]["database"].startswith("database unreachable")
    assert answer["body"]["checks"]["migrations"] == "skipped"
    assert "Not ready: database unreachable" in result.stderr  # said once in the log


@pytest.mark.services
def test_production_node_goes_unready_when_its_database_stops_and_back(
    private_postgres, static_root, tmp_path
):
    """A real node (gunicorn, DEBUG off) on a PostgreSQL of its own that stops and comes back."""
    migrate = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
        cwd=PROJECT_DIR,
        env=production_env(DATABASE_URL=private_postgres.url),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert migrate.returncode == 0, migrate.stderr
    env = production_env(
        DATABASE_URL=private_postgres.url, STATIC_ROOT=str(static_root), DB_CONNECT_TIMEOUT="2"
    )
    node = Node(env=env, log_path=tmp_path / "node.log").start()
    try:
        assert node.get("/readyz").json()["checks"] == {
            "database": "ok",
            "migrations": "ok",
            "secret_key": "ok",
            "redis": "ok" if env.get("REDIS_URL") else "skipped",
            "static": "ok",
        }
        private_postgres.stop()
        response = node.wait(lambda r: r.status_code == 503)
        assert response.json()["reason"].startswith("database unreachable")
        assert node.get("/healthz").status_code == 200  # alive, only not ready
        private_postgres.start()
        node.wait(lambda r: r.status_code == 200)
        assert "Not ready: database unreachable" in node.log()
    finally:
        node.stop()


@pytest.mark.services
def test_production_node_with_another_key_or_a_missing_migration_is_never_ready(
    private_postgres, static_root, tmp_path
):
    """gunicorn nodes (DEBUG off) on one database: the second has another SECRET_KEY, the
    third runs where a migration is not applied. Neither becomes ready; each says why."""
    url = private_postgres.url
    migrate = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
        cwd=PROJECT_DIR,
        env=production_env(DATABASE_URL=url),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert migrate.returncode == 0, migrate.stderr
    with psycopg2.connect(url) as conn, conn.cursor() as cursor:
        cursor.execute("DELETE FROM suggestions_signingkeyproof")  # an earlier node's key
    conn.close()
    env = production_env(DATABASE_URL=url, STATIC_ROOT=str(static_root))
    first = Node(env=env, log_path=tmp_path / "first.log")
    other = Node(
        env={**env, "SECRET_KEY": "another" + env["SECRET_KEY"]}, log_path=tmp_path / "other.log"
    )
    late = Node(env=env, log_path=tmp_path / "late.log")
    try:
        first.start()
        other.start(wait_ready=False)
        answer = other.wait(lambda r: r.status_code == 503).json()
        assert answer["status"] == "unready"
        assert answer["reason"].startswith("SECRET_KEY (fingerprint ")
        assert "Not ready: SECRET_KEY (fingerprint" in other.log()
        assert first.get("/readyz").status_code == 200

        with psycopg2.connect(url) as conn, conn.cursor() as cursor:
            cursor.execute(
                "DELETE FROM django_migrations WHERE id = (SELECT max(id) FROM django_migrations"
                " WHERE app = 'suggestions') RETURNING name"
            )
            (latest,) = cursor.fetchone()
        conn.close()
        late.start(wait_ready=False)
        answer = late.wait(lambda r: r.status_code == 503).json()
        assert f"suggestions.{latest}" in answer["reason"]
        assert answer["checks"]["secret_key"] == "skipped"
        assert f"Not ready: 1 unapplied migration(s): suggestions.{latest}" in late.log()
    finally:
        for node in (first, other, late):
            node.stop()
