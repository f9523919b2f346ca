"""Random POSTs to every public URL never produce a server error.

The URLs are discovered from the URL configuration (every pattern without
parameters outside the staff admin, plus the admin login), so forms added later
are fuzzed too. Field names are the ones the portal's forms use plus random ones;
values include XSS payloads, huge strings, NUL bytes and non-BMP characters.
"""

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytestmark = pytest.mark.django_db

KNOWN_FIELDS = [
    "username",
    "password",
    "language",
    "next",
    "title",
    "content",
    "name",
    "phone",
    "unit",
    "topic",
    "identity_type",
    "channel",
    "publish_consent",
    "receipt",
    "reason",
    "campaign",
    "q",
    "page",
    "csrfmiddlewaretoken",
]
PAYLOADS = [
    "<svg onload=alert(1)>",
    '"><img src=x onerror=alert(1)>',
    "' OR 1=1 --",
    "../../etc/passwd",
    "\x00",
    "１３８１２３４５６７８",
    "𠮷" * 50,
    "a" * 100_000,
    "13812345678",
    "-1",
    "99999999999999999999999",
    "",
]


def _public_paths() -> list[str]:
    paths = []

    def walk(patterns, prefix, namespace):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                ns = pattern.namespace or namespace
                if ns == "admin":
                    continue  # staff only; its login page is added below
                walk(pattern.url_patterns, prefix + str(pattern.pattern), ns)
            elif isinstance(pattern, URLPattern):
                route = prefix + str(pattern.pattern)
                if "<" not in route and "(" not in route and "^" not in route:
                    paths.append("/" + route)

    walk(get_resolver().url_patterns, "", None)
    return sorted(set(paths) | {"/admin/login/"})


PUBLIC_PATHS = _public_paths()

values = st.one_of(
    st.sampled_from(PAYLOADS),
    st.text(max_size=300),
    st.integers().map(str),
)
form_data = st.dictionaries(
    keys=st.one_of(st.sampled_from(KNOWN_FIELDS), st.text(min_size=1, max_size=20)),
    values=st.one_of(values, st.lists(values, max_size=3)),
    max_size=12,
)


def test_the_discovery_finds_the_public_forms():
    assert {"/", "/submit/", "/privacy/", "/i18n/setlang/", "/admin/login/"} <= set(PUBLIC_PATHS)


@pytest.mark.slow
@pytest.mark.parametrize("path", PUBLIC_PATHS)
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=form_data)
def test_random_posts_never_cause_a_server_error(campaign, path, data):
    # Client() re-raises any exception a view lets escape, so a crash fails with
    # its traceback; a response is checked for 5xx on top.
    for client in (Client(), Client(enforce_csrf_checks=True)):
        response = client.post(path, data)
        assert response.status_code < 500, (path, data, response.status_code)
