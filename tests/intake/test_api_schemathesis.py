"""Property-based calls generated from the OpenAPI schema: the API never answers 5xx."""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from jincheng_portal.wsgi import application
from suggestions.intake.channels import channel_key_create

schema = schemathesis.openapi.from_wsgi("/api/schema/", application)


@pytest.fixture
def in_process_wsgi():
    # Like Django's test client: keep the test's connection open across the
    # WSGI app's request_started/request_finished signals.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def api_key(db, campaign, units, topic, in_process_wsgi):
    _key, raw = channel_key_create(name="schemathesis")
    return raw


@pytest.mark.slow
@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_the_api_never_answers_with_a_server_error(case, api_key):
    case.headers = {**(case.headers or {}), "Authorization": f"Bearer {api_key}"}
    response = case.call()
    case.validate_response(response, checks=[not_a_server_error])
    content_type = {k.lower(): v for k, v in response.headers.items()}["content-type"]
    assert "application/json" in str(content_type)  # the one JSON error shape, never HTML
