"""An over-long username at the admin login: a refused login, not a 500 (PostgreSQL found it)."""

import pytest
from axes.models import AccessAttempt
from django.test import Client


@pytest.mark.django_db
def test_a_username_longer_than_the_attempt_column_is_refused_cleanly():
    client = Client(raise_request_exception=False)
    username = "名" * 300

    response = client.post("/admin/login/", {"username": username, "password": "wrong-password"})

    assert response.status_code == 200  # the login form again, with its error
    attempt = AccessAttempt.objects.get()
    assert attempt.username == username[:255]
