"""A page that truly needs inline code gets it through the per-request nonce."""

import re

from django.http import HttpResponse
from django.template import engines
from django.test import override_settings
from django.urls import path

_PAGE = engines["django"].from_string(
    '<script nonce="{{ request.csp_nonce }}">window.ready = true;</script>'
)


def _inline_view(request):
    return HttpResponse(_PAGE.render({}, request))


def _plain_view(request):
    return HttpResponse("<p>no inline code</p>")


urlpatterns = [path("inline/", _inline_view), path("plain/", _plain_view)]


@override_settings(ROOT_URLCONF=__name__)
def test_the_nonce_in_the_page_is_the_one_in_the_header(client):
    response = client.get("/inline/")

    nonce = re.search(r'nonce="([^"]+)"', response.content.decode()).group(1)
    script_src = re.search(r"script-src ([^;]+)", response["Content-Security-Policy"]).group(1)
    assert f"'nonce-{nonce}'" in script_src.split()
    assert "'unsafe-inline'" not in script_src
    # A fresh nonce per response.
    assert f"'nonce-{nonce}'" not in client.get("/inline/")["Content-Security-Policy"]


@override_settings(ROOT_URLCONF=__name__)
def test_pages_without_inline_code_carry_no_nonce(client):
    assert "nonce-" not in client.get("/plain/")["Content-Security-Policy"]
