"""Staff logins: lockout with cool-off, session lifetime, deactivation, passwords, admin path."""

import logging
import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import override_settings
from django.utils import timezone

from jincheng_portal.middleware import LOGIN_AT_KEY, SEEN_AT_KEY

pytestmark = pytest.mark.django_db
PROJECT_DIR = Path(__file__).resolve().parent.parent.parent
LOGIN = "/admin/login/?next=/admin/"


def _login(client, username, password):
    return client.post(LOGIN, {"username": username, "password": password})


def _is_logged_in(client) -> bool:
    response = client.get("/admin/")
    return response.status_code == 200


# --- lockout -----------------------------------------------------------------


def test_five_wrong_passwords_lock_the_account_from_that_address_even_with_the_right_one(
    client, personas, caplog
):
    caplog.set_level(logging.INFO)
    for _ in range(4):
        assert _login(client, "reviewer", "wrong-password-1").status_code == 200
    locked = _login(client, "reviewer", "wrong-password-1")

    assert locked.status_code == 429
    page = locked.content.decode()
    # The page says what is locked: this account from this address, not the account.
    assert "登录已暂时锁定" in page and "该账号从您当前的网络地址" in page
    assert "从其他网络地址仍可正常登录" in page
    assert _login(client, "reviewer", "correct-horse-battery").status_code == 429
    assert not _is_logged_in(client)
    # Logged, without the password.
    messages = " ".join(r.getMessage() for r in caplog.records if r.name.startswith("axes"))
    assert 'Locking out {username: "reviewer"' in messages
    assert "wrong-password-1" not in messages


def test_the_lock_ends_after_the_cool_off(client, personas):
    for _ in range(5):
        _login(client, "reviewer", "wrong-password-1")
    assert _login(client, "reviewer", "correct-horse-battery").status_code == 429

    # Fifteen minutes later (the attempts are dated back rather than the clock moved).
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))

    assert _login(client, "reviewer", "correct-horse-battery").status_code == 302
    assert _is_logged_in(client)


def test_a_guesser_cannot_lock_a_staff_member_out_of_their_own_address(client, personas):
    for _ in range(5):
        client.post(LOGIN, {"username": "leader", "password": "nope"}, REMOTE_ADDR="10.0.0.66")
    assert (
        client.post(
            LOGIN,
            {"username": "leader", "password": "correct-horse-battery"},
            REMOTE_ADDR="10.0.0.66",
        ).status_code
        == 429
    )

    # The leader, at their own desk: the account itself is not locked.
    response = client.post(
        LOGIN,
        {"username": "leader", "password": "correct-horse-battery"},
        REMOTE_ADDR="10.9.9.9",
    )
    assert response.status_code == 302
    assert _is_logged_in(client)


def test_an_address_is_not_locked_for_the_other_accounts(client, personas):
    for _ in range(5):
        client.post(LOGIN, {"username": "leader", "password": "nope"}, REMOTE_ADDR="10.0.0.7")

    response = client.post(
        LOGIN,
        {"username": "reviewer", "password": "correct-horse-battery"},
        REMOTE_ADDR="10.0.0.7",
    )
    assert response.status_code == 302


@override_settings(TRUSTED_PROXY_HOPS=1)
def test_behind_the_proxy_one_client_does_not_lock_out_the_others(client, personas):
    for _ in range(5):
        client.post(
            LOGIN,
            {"username": "reviewer", "password": "nope"},
            HTTP_X_FORWARDED_FOR="203.0.113.7",
        )

    # Same proxy address (REMOTE_ADDR), another client, same account: not locked.
    other = client.post(
        LOGIN,
        {"username": "reviewer", "password": "correct-horse-battery"},
        HTTP_X_FORWARDED_FOR="198.51.100.2",
    )
    assert other.status_code == 302
    # The guessing client stays locked for that account.
    client.logout()
    again = client.post(
        LOGIN,
        {"username": "reviewer", "password": "correct-horse-battery"},
        HTTP_X_FORWARDED_FOR="203.0.113.7",
    )
    assert again.status_code == 429


# --- session lifetime --------------------------------------------------------


def _age_session(client, *, login_ago=0, seen_ago=0):
    session = client.session
    now = int(time.time())
    session[LOGIN_AT_KEY] = now - login_ago
    session[SEEN_AT_KEY] = now - seen_ago
    session.save()


def test_a_staff_session_survives_29_idle_minutes(client, personas):
    client.force_login(personas["reviewer"])
    assert _is_logged_in(client)

    _age_session(client, login_ago=3600, seen_ago=29 * 60)

    assert _is_logged_in(client)


def test_a_staff_session_ends_after_31_idle_minutes(client, personas):
    client.force_login(personas["reviewer"])
    assert _is_logged_in(client)

    _age_session(client, login_ago=3600, seen_ago=31 * 60)

    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
    assert not _is_logged_in(client)


def test_a_busy_staff_session_still_ends_after_12_hours(client, personas):
    client.force_login(personas["reviewer"])

    _age_session(client, login_ago=12 * 3600 + 60, seen_ago=10)

    assert not _is_logged_in(client)


def test_activity_keeps_the_session_alive(client, personas):
    client.force_login(personas["reviewer"])
    _age_session(client, login_ago=3600, seen_ago=20 * 60)

    assert _is_logged_in(client)  # this request refreshes "last seen"
    assert time.time() - client.session[SEEN_AT_KEY] < 5


def test_the_session_cookie_itself_expires_after_12_hours(settings):
    assert settings.SESSION_COOKIE_AGE == 12 * 3600


def test_a_deactivated_account_loses_its_live_session_at_once(client, personas):
    user = personas["screener_chengqu"]
    client.force_login(user)
    assert _is_logged_in(client)

    user.is_active = False
    user.save(update_fields=["is_active"])

    assert not _is_logged_in(client)
    assert client.get("/admin/suggestions/campaign/").status_code == 302


# --- passwords -----------------------------------------------------------------


@pytest.mark.parametrize(
    "password",
    [
        "short-pw1",  # 9 characters
        "password123",  # on the common-password list
        "qwertyuiop",  # common
        "4829163750",  # entirely numeric
    ],
)
def test_weak_passwords_are_refused(password):
    with pytest.raises(ValidationError):
        validate_password(password)


@pytest.mark.parametrize(
    "password",
    [
        "jincheng river in spring",  # a long lowercase passphrase: no composition rules
        "taihangshan",  # 11 lowercase letters
    ],
)
def test_long_passwords_pass_without_composition_rules(password):
    assert validate_password(password) is None  # a refused password raises ValidationError


# --- admin path ------------------------------------------------------------------


def _reverse_admin(**env):
    base = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    code = "from django.urls import reverse; print(reverse('admin:index'))"
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=PROJECT_DIR,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


def test_admin_is_at_admin_by_default(client):
    assert client.get("/admin/login/").status_code == 200
    assert _reverse_admin() == "/admin/"


def test_admin_path_is_configurable():
    assert _reverse_admin(ADMIN_PATH="staff-desk-7f3/") == "/staff-desk-7f3/"


def test_the_test_clients_login_still_works_with_the_lockout_backend(client, personas):
    # Other test suites log in with client.login(); axes' own backend refuses that.
    assert client.login(username="reviewer", password="correct-horse-battery")
    assert _is_logged_in(client)


def test_a_locked_account_cannot_log_in_through_the_web_even_if_scripts_can(client, personas):
    for _ in range(5):
        _login(client, "reviewer", "wrong-password-1")

    assert _login(client, "reviewer", "correct-horse-battery").status_code == 429
