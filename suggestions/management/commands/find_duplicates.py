"""Recompute a campaign's duplicate groups from scratch (same groups as the incremental path)."""

import resource
import time

from django.core.management.base import BaseCommand

from suggestions.duplicates.rebuild import campaign_rebuild_duplicates
from suggestions.management.commands._campaign import add_campaign_argument, campaign_by_slug


class Command(BaseCommand):
    help = "Rebuild the near-duplicate groups of one campaign (screeners' decisions are replayed)."

    def add_arguments(self, parser):
        add_campaign_argument(parser)

    def handle(self, *args, campaign, **options):
        target = campaign_by_slug(campaign)
        started = time.perf_counter()

        def progress(message):
            self.stdout.write(f"[{time.perf_counter() - started:6.1f}s] {message}")
            self.stdout.flush()

        result = campaign_rebuild_duplicates(campaign=target, progress=progress)
        usage = resource.getrusage(resource.RUSAGE_SELF)
        peak_mb = usage.ru_maxrss / 1024
        cpu = usage.ru_utime + usage.ru_stime
        # The normalising worker processes' CPU. (Their ru_maxrss is no measure of them:
        # it counts the moment between fork and exec, a copy of this process.)
        workers = resource.getrusage(resource.RUSAGE_CHILDREN)
        workers_cpu = workers.ru_utime + workers.ru_stime
        helpers = f" + {workers_cpu:.1f}s in normalising processes" if workers_cpu else ""
        self.stdout.write(
            self.style.SUCCESS(
                f"{result.ideas} ideas -> {result.groups} groups "
                f"({result.grouped_ideas} ideas grouped under an earlier one); "
                f"{result.candidate_pairs} candidate pairs; "
                f"{result.merge_proposals} merge proposals pending; "
                f"{result.decisions_replayed} decisions replayed; "
                f"{time.perf_counter() - started:.1f}s ({cpu:.1f}s CPU in this process{helpers}), "
                f"peak memory {peak_mb:.0f} MB"
            )
        )
