from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from suggestions.demo.accounts import demo_seed


class Command(BaseCommand):
    help = "Create the demo campaign and one account per role (DEBUG only)."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("seed_demo only runs with DEBUG on; demo passwords are public.")
        accounts = demo_seed()
        self.stdout.write(f"Demo accounts (password: {settings.PORTAL_DEMO_PASSWORD}):")
        for username, description in accounts:
            self.stdout.write(f"  {username:<18} {description}")
