from django.core.management.base import BaseCommand

from units.seeding import units_seed


class Command(BaseCommand):
    help = "Load Jincheng's units from units/data/jincheng-units.csv (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--force",
            action="store_true",
            help="Reset names, kinds and parents of existing units to the file's values.",
        )

    def handle(self, *args, force=False, **options):
        result = units_seed(force=force)
        self.stdout.write(
            f"Units: {result.created} created, {result.updated} updated, "
            f"{result.unchanged} unchanged."
        )
