"""Security headers and cookies, read from real responses of gunicorn in production mode."""

import re

import pytest
import requests
from django.contrib.auth import get_user_model

from tests.conftest import real_password_hash

pytestmark = [pytest.mark.services, pytest.mark.slow]  # collectstatic and gunicorn: ~10 s

ONE_YEAR = 31536000


def _csp(response) -> dict[str, list[str]]:
    header = response.headers["Content-Security-Policy"]
    directives = {}
    for part in header.split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


@pytest.mark.parametrize(
    ("path", "status"), [("/", 200), ("/admin/login/", 200), ("/no-such-page/", 404)]
)
def test_every_page_carries_the_security_headers(production_server, path, status):
    response = production_server.get(path, allow_redirects=False)

    assert response.status_code == status
    headers = response.headers
    assert headers["Strict-Transport-Security"] == (
        f"max-age={ONE_YEAR}; includeSubDomains; preload"
    )
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin"
    csp = _csp(response)
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["default-src"] == ["'self'"]
    assert csp["object-src"] == ["'none'"]
    assert "'unsafe-inline'" not in csp["script-src"]
    assert "'unsafe-eval'" not in csp["script-src"]
    assert "'unsafe-inline'" not in csp.get("style-src", [])


def test_plain_http_is_redirected_to_https(production_server):
    response = requests.get(production_server.url + "/", allow_redirects=False, timeout=10)

    assert response.status_code == 301
    assert response.headers["Location"].startswith("https://")


def test_error_pages_show_no_traceback_and_no_debug_page(production_server):
    response = production_server.get("/no-such-page/")

    assert response.status_code == 404
    assert "Traceback" not in response.text
    assert "URLconf" not in response.text  # Django's debug 404 lists the URL patterns


def test_pages_contain_no_inline_script_or_style(production_server):
    for path in ["/", "/admin/login/", "/privacy/"]:
        html = production_server.get(path).text
        for tag in re.findall(r"<script\b[^>]*>", html):
            assert "src=" in tag or "application/json" in tag, (path, tag)
        assert not re.search(r"\son[a-z]+\s*=", html), path
        assert "javascript:" not in html, path


@pytest.mark.django_db(transaction=True)
def test_cookies_are_secure_httponly_and_samesite(production_server):
    # gunicorn checks the password with production's hashers, not the tests' fast one.
    get_user_model().objects.create(
        username="cookie-check", password=real_password_hash("correct-horse-battery"), is_staff=True
    )
    login_page = production_server.get("/admin/login/")
    csrf_cookies = login_page.raw.headers.getlist("Set-Cookie")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login_page.text).group(1)

    # Secure cookies are not sent back over the test's plain HTTP: send it by hand,
    # as the browser would over HTTPS.
    response = requests.post(
        production_server.url + "/admin/login/?next=/admin/",
        data={
            "username": "cookie-check",
            "password": "correct-horse-battery",
            "csrfmiddlewaretoken": token,
        },
        headers={
            "X-Forwarded-Proto": "https",
            "Referer": f"https://127.0.0.1:{production_server.port}/admin/login/",
            "Host": f"127.0.0.1:{production_server.port}",
            "Cookie": f"csrftoken={login_page.cookies['csrftoken']}",
        },
        allow_redirects=False,
        timeout=10,
    )

    assert response.status_code == 302, response.text[:300]
    set_cookies = response.raw.headers.getlist("Set-Cookie") + csrf_cookies
    names = {cookie.split("=", 1)[0] for cookie in set_cookies}
    assert {"sessionid", "csrftoken"} <= names
    for cookie in set_cookies:
        attributes = [part.strip().lower() for part in cookie.split(";")]
        assert "secure" in attributes, cookie
        assert "httponly" in attributes, cookie
        assert "samesite=lax" in attributes, cookie
