"""gunicorn settings read automatically from the project folder.

on_starting: before any worker boots, check the database once (waiting up to
DB_STARTUP_WAIT seconds). If it is unreachable, stop with one clear message and
exit status 3 instead of booting workers that fail on every request; the
supervisor (systemd, Docker) restarts it with its own back-off.
"""

import os
import sys

# A sync worker does not heartbeat while it handles one request, so the arbiter kills any
# request that runs longer than `timeout` (gunicorn's default is 30 s), mid-download. The
# longest request is the screening desk's .xlsx export of a whole unit: 173,262 rows (泽州县,
# the largest county) take ~12 s on the shared 2-core machine (README "Screening"), twice
# that under heavy load. 120 s leaves room for that, for a unit that grows, and for sending
# the ~17 MB file to a client (keep a buffering reverse proxy such as nginx in front so a
# slow client does not hold the worker), while a hung worker is still replaced in 2 minutes.
timeout = 120


def on_starting(server):
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jincheng_portal.settings")
    import django

    django.setup(set_prefix=False)
    from jincheng_portal.dbcheck import database_describe, database_wait

    wait = float(os.environ.get("DB_STARTUP_WAIT", "30"))
    if not database_wait(timeout=wait):
        server.log.error(
            "数据库不可用 / Database unavailable: %s did not accept connections within %g s; "
            "not starting. Check DATABASE_URL and that the server is running.",
            database_describe(),
            wait,
        )
        sys.exit(3)
    server.log.info("Database %s is reachable.", database_describe())


def post_worker_init(worker):
    # The app is loaded: move its long-lived objects (modules, URLconf, templates,
    # translations) out of the cyclic garbage collector's way, so a full collection
    # in the middle of a request scans only that request's objects instead of
    # pausing it for tens of milliseconds.
    import gc

    gc.freeze()
