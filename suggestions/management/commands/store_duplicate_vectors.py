"""Encode the sentence vectors a campaign's checked ideas lack (docs/duplicates-semantic.md)."""

from django.core.management.base import BaseCommand
from tqdm import tqdm

from suggestions.duplicates.services import campaign_store_missing_vectors
from suggestions.management.commands._campaign import add_campaign_argument, campaign_by_slug
from suggestions.models import DuplicateSignature


class Command(BaseCommand):
    help = (
        "Store the sentence vector of every checked idea of a campaign that has none (ideas "
        "loaded in bulk, or checked while DUPLICATES_SEMANTIC was off). Groups are unchanged; "
        "run find_duplicates afterwards to group with them."
    )

    def add_arguments(self, parser):
        add_campaign_argument(parser)

    def handle(self, *args, campaign, **options):
        target = campaign_by_slug(campaign)
        missing = DuplicateSignature.objects.filter(campaign=target, vector__isnull=True).count()
        with tqdm(total=missing, unit="idea", file=self.stderr, mininterval=1) as bar:
            stored = campaign_store_missing_vectors(campaign=target, progress=bar.update)
        left = missing - stored
        self.stdout.write(
            self.style.SUCCESS(
                f"{stored} sentence vectors stored; {left} ideas have nothing to encode."
            )
        )
