from django.conf import settings
from django.core.management.base import BaseCommand

from suggestions.privacy.retention import suggestions_anonymise_expired


class Command(BaseCommand):
    help = "Erase name and phone of ideas whose campaign closed more than the retention period ago."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="only count them")

    def handle(self, *args, dry_run=False, **options):
        count = suggestions_anonymise_expired(dry_run=dry_run)
        days = settings.PERSONAL_DATA_RETENTION_DAYS
        verb = "would be anonymised" if dry_run else "anonymised"
        self.stdout.write(f"{count} ideas {verb} (retention: {days} days after closing).")
