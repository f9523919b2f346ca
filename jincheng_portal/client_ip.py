"""The client's address as seen by the outermost trusted proxy.

X-Forwarded-For is a list the client can prepend to at will; only the entries
added by our own proxies are trustworthy. With TRUSTED_PROXY_HOPS = N, the N-th
address from the right is the client; with 0 (no proxy) it is REMOTE_ADDR.
"""

from django.conf import settings


def client_ip(request) -> str | None:
    hops = settings.TRUSTED_PROXY_HOPS
    if hops > 0:
        forwarded = [
            part.strip()
            for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if part.strip()
        ]
        if len(forwarded) >= hops:
            return forwarded[-hops]
    return request.META.get("REMOTE_ADDR")
