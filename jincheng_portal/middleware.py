"""Staff session lifetime: logged out after an idle spell and after a fixed maximum.

Django's own SESSION_COOKIE_AGE gives one of the two (with SESSION_SAVE_EVERY_REQUEST,
the idle one, at the price of a session write per request); the absolute limit needs
the login time, which Django does not keep. Both timestamps live in the session.
"""

import time

from django.conf import settings
from django.contrib.auth import logout

LOGIN_AT_KEY = "_portal_login_at"
SEEN_AT_KEY = "_portal_seen_at"
# Writing the session on every request costs a database write per page; a
# minute's slack on a 30-minute idle limit is not worth that.
_SEEN_RESOLUTION = 60


class StaffSessionTimeoutMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = int(time.time())
            session = request.session
            login_at = session.setdefault(LOGIN_AT_KEY, now)
            seen_at = session.get(SEEN_AT_KEY, now)
            idle = now - seen_at > settings.STAFF_SESSION_IDLE_SECONDS
            too_old = now - login_at > settings.STAFF_SESSION_MAX_SECONDS
            if idle or too_old:
                # logout() flushes the session and makes request.user anonymous,
                # so the view answers as to a visitor (admin: the login page).
                logout(request)
            elif now - seen_at >= _SEEN_RESOLUTION or SEEN_AT_KEY not in session:
                session[SEEN_AT_KEY] = now
        return self.get_response(request)
