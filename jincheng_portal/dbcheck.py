"""Is the database reachable? Used at start-up so a missing database is reported
in one clear line instead of a traceback per worker and a restart loop."""

import logging
import time

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.utils import Error as DatabaseError

log = logging.getLogger(__name__)


def database_describe(alias: str = DEFAULT_DB_ALIAS) -> str:
    """Where the database is, without the password."""
    db = connections[alias].settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"SQLite {db['NAME']}"
    return f"PostgreSQL {db.get('HOST') or 'localhost'}:{db.get('PORT') or 5432}/{db['NAME']}"


def database_wait(*, timeout: float, interval: float = 1.0, alias: str = DEFAULT_DB_ALIAS) -> bool:
    """Try to connect until it works or `timeout` seconds have passed. Returns success."""
    deadline = time.monotonic() + timeout
    where = database_describe(alias)
    attempt = 0
    while True:
        attempt += 1
        connection = connections[alias]
        try:
            connection.ensure_connection()
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
            if attempt > 1:
                log.warning("Database %s is reachable after %d attempts.", where, attempt)
            return True
        except DatabaseError as exc:
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            if time.monotonic() + interval > deadline:
                log.error("Database %s is unreachable: %s", where, reason)
                return False
            log.warning("Waiting for database %s (attempt %d): %s", where, attempt, reason)
            time.sleep(interval)
        finally:
            # Never hand a connection across a fork (gunicorn's master runs this).
            connection.close()
