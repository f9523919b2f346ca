"""关怀模式 (care mode): larger text, higher contrast and bigger tap targets for older readers.

The choice lives in a cookie (no account, no JavaScript): a plain link to ``care_mode_set``
turns it on or off and sends the reader back where they were. Templates read ``care_mode``
(from ``care_mode_context``) and put ``class="care"`` on <html>; static/css/care.css holds the
rules, keyed on ``html.care``.
"""

from django.http import HttpRequest, HttpResponseRedirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET

CARE_COOKIE = "care_mode"
# A year: the reader chose it once and should not have to choose again every visit.
CARE_COOKIE_MAX_AGE = 365 * 24 * 3600


def care_mode_on(request: HttpRequest) -> bool:
    return request.COOKIES.get(CARE_COOKIE) == "1"


def care_mode_context(request: HttpRequest) -> dict:
    return {"care_mode": care_mode_on(request)}


def _safe_next(request: HttpRequest) -> str:
    target = request.GET.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return "/"


@require_GET
def care_mode_set(request: HttpRequest):
    """``?on=1`` turns care mode on, ``?on=0`` off; idempotent, so a plain link is enough."""
    response = HttpResponseRedirect(_safe_next(request))
    if request.GET.get("on") == "1":
        response.set_cookie(
            CARE_COOKIE,
            "1",
            max_age=CARE_COOKIE_MAX_AGE,
            samesite="Lax",
            httponly=True,
            secure=request.is_secure(),
        )
    else:
        response.delete_cookie(CARE_COOKIE, samesite="Lax")
    return response
