"""TOTP second factor for the admin: opt-in per account, required for administrators on demand."""

import io

import pytest
from django.core.management import call_command
from django.test import override_settings
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

pytestmark = pytest.mark.django_db
LOGIN = "/admin/login/?next=/admin/"
PASSWORD = "correct-horse-battery"


def _enrol(user) -> TOTPDevice:
    out = io.StringIO()
    call_command("totp_enrol", user.username, stdout=out)
    assert "otpauth://totp/" in out.getvalue()
    return TOTPDevice.objects.get(user=user)


def _code(device) -> str:
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


def test_an_account_without_an_authenticator_logs_in_with_its_password(client, personas):
    response = client.post(LOGIN, {"username": "reviewer", "password": PASSWORD})

    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200


def test_an_account_with_an_authenticator_needs_the_current_code(client, personas):
    device = _enrol(personas["reviewer"])

    without = client.post(LOGIN, {"username": "reviewer", "password": PASSWORD})
    assert without.status_code == 200
    assert "6 位动态验证码" in without.content.decode()
    wrong = client.post(
        LOGIN, {"username": "reviewer", "password": PASSWORD, "otp_token": "000000"}
    )
    assert wrong.status_code == 200
    assert client.get("/admin/").status_code == 302

    # Right after a wrong code even the right one is refused for a while (throttling)...
    throttled = client.post(
        LOGIN, {"username": "reviewer", "password": PASSWORD, "otp_token": _code(device)}
    )
    assert throttled.status_code == 200
    # ...which ends (here: reset, as the waiting time passing would).
    device.refresh_from_db()
    device.throttle_reset()
    right = client.post(
        LOGIN, {"username": "reviewer", "password": PASSWORD, "otp_token": _code(device)}
    )
    assert right.status_code == 302
    assert client.get("/admin/").status_code == 200


def test_a_code_cannot_be_replayed(client, personas):
    device = _enrol(personas["reviewer"])
    code = _code(device)
    first = client.post(LOGIN, {"username": "reviewer", "password": PASSWORD, "otp_token": code})
    assert first.status_code == 302
    client.logout()

    again = client.post(LOGIN, {"username": "reviewer", "password": PASSWORD, "otp_token": code})

    assert again.status_code == 200
    assert "动态验证码不正确" in again.content.decode()
    assert client.get("/admin/").status_code == 302  # not logged in


@override_settings(ADMIN_OTP_REQUIRED=True)
def test_when_required_an_administrator_without_an_authenticator_is_refused(client, personas):
    response = client.post(LOGIN, {"username": "admin", "password": PASSWORD})

    assert response.status_code == 200
    assert "必须绑定身份验证器" in response.content.decode()
    assert client.get("/admin/").status_code == 302


@override_settings(ADMIN_OTP_REQUIRED=True)
def test_when_required_a_password_only_admin_session_is_not_enough(client, personas):
    client.force_login(personas["admin"])  # e.g. a session from before the switch

    assert client.get("/admin/").status_code == 302


@override_settings(ADMIN_OTP_REQUIRED=True)
def test_when_required_a_verified_administrator_gets_in(client, personas):
    device = _enrol(personas["admin"])

    response = client.post(
        LOGIN, {"username": "admin", "password": PASSWORD, "otp_token": _code(device)}
    )

    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200


@override_settings(ADMIN_OTP_REQUIRED=True)
def test_when_required_other_staff_still_log_in_with_a_password(client, personas):
    response = client.post(LOGIN, {"username": "screener_chengqu", "password": PASSWORD})

    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200


def test_enrolment_refuses_to_silently_replace_a_device(personas):
    _enrol(personas["reviewer"])
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="already has an authenticator"):
        call_command("totp_enrol", "reviewer", stdout=io.StringIO())
    call_command("totp_enrol", "reviewer", "--replace", stdout=io.StringIO())
    assert TOTPDevice.objects.filter(user=personas["reviewer"]).count() == 1
