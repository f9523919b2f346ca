"""Redis down: the cache misses instead of failing, and recovers when Redis is back.

Against a private redis-server the test starts and stops (never the shared 6379).
"""

import pytest
from django.core.cache import cache
from django.test import override_settings

pytestmark = pytest.mark.services


def _cache_settings(url):
    return {
        "default": {
            "BACKEND": "jincheng_portal.cache.ResilientRedisCache",
            "LOCATION": url,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }


def test_the_cache_misses_while_redis_is_down_and_works_again_after(private_redis):
    with override_settings(CACHES=_cache_settings(private_redis.url)):
        cache.set("figure", 42)
        assert cache.get("figure") == 42

        private_redis.stop()
        assert cache.get("figure") is None
        assert cache.get("figure", "default") == "default"
        cache.set("figure", 43)  # dropped, no error
        assert cache.add("other", 1) is False
        assert cache.get_many(["figure", "other"]) == {}
        assert cache.get_or_set("computed", lambda: "from the database") == "from the database"
        cache.delete("figure")
        cache.delete_many(["figure", "other"])

        private_redis.start()
        cache.set("figure", 44)
        assert cache.get("figure") == 44


@pytest.mark.django_db
def test_pages_load_while_the_cache_is_down(private_redis, client, campaign):
    with override_settings(CACHES=_cache_settings(private_redis.url)):
        private_redis.stop()
        pages = {
            "/": campaign.name,  # the campaign, read from the database instead
            "/privacy/": "个人信息保护说明",
            "/admin/login/": 'name="password"',
        }
        for path, content in pages.items():
            response = client.get(path)
            assert response.status_code == 200, path
            assert content in response.content.decode(), path


def test_production_settings_use_the_resilient_backend_with_redis():
    import os
    import subprocess
    import sys

    from tests.hardening.conftest import PROJECT_DIR

    code = "from django.conf import settings; print(settings.CACHES['default']['BACKEND'])"
    env = {**os.environ, "REDIS_URL": "redis://127.0.0.1:1/0"}
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.stdout.strip().splitlines()[-1] == "jincheng_portal.cache.ResilientRedisCache"
