import time

from django.core.management.base import BaseCommand, CommandError

from suggestions.models import Campaign
from suggestions.tallies.aggregation import tally_run


class Command(BaseCommand):
    help = "Snapshot the figures of active campaigns now (what the 10-minute beat entry does)."

    def add_arguments(self, parser):
        parser.add_argument("--campaign", help="slug of one campaign (default: every active one)")

    def handle(self, *args, campaign=None, **options):
        campaigns = Campaign.objects.filter(is_active=True)
        if campaign:
            campaigns = Campaign.objects.filter(slug=campaign)
            if not campaigns.exists():
                raise CommandError(f"No campaign with slug {campaign!r}.")
        todo = list(campaigns)
        for number, item in enumerate(todo, start=1):
            self.stdout.write(f"[{number}/{len(todo)}] {item.slug}: tallying…", ending="")
            self.stdout.flush()
            started = time.monotonic()
            result = tally_run(campaign_id=item.pk)
            seconds = time.monotonic() - started
            verb = "written" if result.written else "skipped (a newer run exists)"
            self.stdout.write(
                f" {verb}: {result.run.rows_written} rows,"
                f" as of {result.run.cutoff:%Y-%m-%d %H:%M:%S}, {seconds:.2f} s"
            )
