import time

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from suggestions.demo.simulation import SEED, campaign_simulate, simulation_check
from suggestions.implementation.simulation import implementations_simulate


class Command(BaseCommand):
    help = (
        "Load a simulated campaign with the 2021 seed figures (154,069 ideas at scale 1);"
        " --scale multiplies it (6.49 ≈ 1,000,000 ideas)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--scale", type=float, default=1.0)
        parser.add_argument("--seed", type=int, default=2021)
        parser.add_argument("--campaign", default="jc2021", help="slug of an empty campaign")
        parser.add_argument("--check", action="store_true", help="verify status vs history after")

    def handle(self, *args, scale, seed, campaign, check, **options):
        if not 0 < scale <= 7:
            raise CommandError("--scale must be in (0, 7] (7 ≈ 1,080,000 ideas).")
        expected = round(SEED["units_collected"] * scale) + round(SEED["mini_program"] * scale)
        started = time.monotonic()
        with tqdm(total=expected, unit="idea", file=self.stderr, mininterval=1) as bar:
            try:
                result = campaign_simulate(
                    scale=scale, seed=seed, slug=campaign, progress=bar.update
                )
            except RuntimeError as exc:
                raise CommandError(str(exc)) from exc
        seconds = time.monotonic() - started
        self.stdout.write(
            f"{result.ideas} ideas and {result.history} history rows in {seconds:.1f} s"
            f" (campaign {result.campaign.slug}, scale {scale}, seed {seed})"
        )
        adoption = implementations_simulate(campaign=result.campaign, seed=seed)
        self.stdout.write(
            f"{adoption.implementations} excellent ideas with an adoption history"
            f" ({adoption.history} steps)"
        )
        if check:
            self.stdout.write(f"check: {simulation_check(campaign=result.campaign)}")
