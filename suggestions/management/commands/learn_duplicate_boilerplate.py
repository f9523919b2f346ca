"""Learn a campaign's boilerplate sentences for the near-duplicate grouping (docs/duplicates.md)."""

import time

from django.core.management.base import BaseCommand
from tqdm import tqdm

from suggestions.duplicates.boilerplate import campaign_learn_boilerplate
from suggestions.duplicates.rebuild import campaign_rebuild_duplicates
from suggestions.management.commands._campaign import add_campaign_argument, campaign_by_slug
from suggestions.models import Suggestion


class Command(BaseCommand):
    help = (
        "Learn the sentences so many of a campaign's ideas share that they say nothing about "
        "them (templates, forms); the grouping leaves them out. When the list changes, the "
        "campaign's groups are rebuilt (find_duplicates) unless --no-rebuild is given."
    )

    def add_arguments(self, parser):
        add_campaign_argument(parser)
        parser.add_argument(
            "--dry-run", action="store_true", help="show what would be learned; store nothing"
        )
        parser.add_argument(
            "--no-rebuild",
            action="store_true",
            help="store the list without rebuilding the groups (run find_duplicates later)",
        )

    def handle(self, *args, campaign, dry_run, no_rebuild, **options):
        target = campaign_by_slug(campaign)
        total = Suggestion.objects.filter(campaign=target).count()
        with tqdm(total=total, unit="idea", file=self.stderr, mininterval=1) as bar:
            result = campaign_learn_boilerplate(
                campaign=target, store=not dry_run, progress=bar.update
            )
        self.stdout.write(
            f"{result.ideas} ideas, {result.distinct} distinct texts; a sentence is boilerplate "
            f"when at least {result.threshold} distinct ideas hold it."
        )
        for sentence, holders in result.sentences:
            self.stdout.write(f"{holders:8d}  {sentence}")
        self.stdout.write(
            f"{len(result.bigrams)} 2-grams used by at least {result.common_threshold} distinct "
            "ideas weigh as common words from now on: "
            + " ".join(f"{bigram}({count})" for bigram, count in result.bigrams[:40])
            + (" …" if len(result.bigrams) > 40 else "")
        )
        summary = (
            f"{len(result.sentences)} boilerplate sentences and {len(result.bigrams)} common "
            f"2-grams ({result.added} new, {result.removed} no longer learned)"
        )
        if dry_run:
            self.stdout.write(self.style.SUCCESS(f"{summary}; nothing stored (--dry-run)."))
            return
        self.stdout.write(self.style.SUCCESS(f"{summary} stored; new checks use them."))
        if not result.changed:
            self.stdout.write("The list did not change: the groups need no rebuild.")
            return
        if no_rebuild:
            self.stdout.write(
                self.style.WARNING(
                    "Groups made before do not follow the new list until they are rebuilt: "
                    f"run manage.py find_duplicates --campaign {target.slug}."
                )
            )
            return
        started = time.perf_counter()
        self.stdout.write("The list changed: rebuilding the groups with it.")

        def progress(message):
            self.stdout.write(f"[{time.perf_counter() - started:6.1f}s] {message}")
            self.stdout.flush()

        rebuilt = campaign_rebuild_duplicates(campaign=target, progress=progress)
        self.stdout.write(
            self.style.SUCCESS(
                f"{rebuilt.ideas} ideas -> {rebuilt.groups} groups "
                f"({rebuilt.grouped_ideas} ideas grouped under an earlier one); "
                f"{rebuilt.merge_proposals} merge proposals pending; "
                f"{rebuilt.decisions_replayed} decisions replayed."
            )
        )
