import sys

from django.core.management.base import BaseCommand

from jincheng_portal.dbcheck import database_describe, database_wait


class Command(BaseCommand):
    help = "Wait until the database accepts connections; exit 1 with a clear message if not."

    def add_arguments(self, parser):
        parser.add_argument("--timeout", type=float, default=30.0, help="seconds (default 30)")
        parser.add_argument("--interval", type=float, default=1.0, help="seconds between tries")

    def handle(self, *args, timeout, interval, **options):
        if database_wait(timeout=timeout, interval=interval):
            self.stdout.write(f"Database {database_describe()} is reachable.")
            return
        self.stderr.write(
            f"数据库不可用 / Database unavailable: {database_describe()} did not accept "
            f"connections within {timeout:g} s. Check DATABASE_URL and that the server is running."
        )
        sys.exit(1)
