import pytest
from django.conf import settings

from jincheng_portal.celery import app
from jincheng_portal.probes import ping


@pytest.mark.slow
@pytest.mark.services
def test_a_task_round_trips_through_the_configured_broker_and_a_real_worker(celery_worker):
    expected_transport = "redis" if settings.REDIS_URL else "filesystem"
    assert app.connection_for_write().transport_cls == expected_transport

    result = ping.delay()

    assert result.get(timeout=60) == "pong"
