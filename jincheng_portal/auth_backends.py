"""django-axes' backend, minus the refusal to authenticate without a request.

AxesStandaloneBackend raises when `request` is None, which breaks Django's test
client `client.login()` and any script that calls authenticate() directly. Every
web login (admin, DRF) passes the request, so skipping the lockout check only when
there is none leaves nothing reachable from the network unthrottled.
"""

from axes.backends import AxesStandaloneBackend


class PortalAxesBackend(AxesStandaloneBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None  # not a web login: let ModelBackend decide
        return super().authenticate(request, username=username, password=password, **kwargs)


def axes_username(request, credentials: dict | None = None) -> str:
    """The username axes records, cut to its AccessAttempt column (255 characters).

    axes stores the typed username as is; a longer one made PostgreSQL refuse the
    insert (DataError, a 500 on the admin login) where SQLite silently kept it.
    """
    if credentials:
        typed = credentials.get("username")
    else:
        typed = request.POST.get("username") if request is not None else None
    return (str(typed) if typed is not None else "")[:255]
