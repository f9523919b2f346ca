"""Error pages that say what happened in plain Chinese and nothing else.

handler500 runs inside Django's exception handling, so sys.exc_info() still holds
the error: a lost database becomes a 503 "please try again" page instead of a 500.
Neither page is rendered with request context: no user, no session, no form data,
nothing that needs the database.
"""

import logging
import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.template import loader

log = logging.getLogger(__name__)

DATABASE_ERRORS = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = 30


def _render(template_name: str, status: int, fallback: str) -> HttpResponse:
    try:
        body = loader.get_template(template_name).render()
    except Exception:  # the error page must never raise in its turn
        log.exception("Could not render %s", template_name)
        body = fallback
    return HttpResponse(body, status=status, content_type="text/html; charset=utf-8")


def server_error(request, *args, **kwargs):
    error = sys.exc_info()[1]
    if isinstance(error, DATABASE_ERRORS):
        return service_unavailable(request)
    return _render("500.html", 500, "<h1>服务器内部错误 Server error</h1>")


def service_unavailable(request, *args, **kwargs):
    response = _render("503.html", 503, "<h1>服务暂时不可用 Service unavailable</h1>")
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
