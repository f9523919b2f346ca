from django.core.management.base import BaseCommand

from suggestions.schedules import tally_schedules_ensure


class Command(BaseCommand):
    help = "Create the Celery beat entries of the tallies and daily reports (idempotent)."

    def handle(self, *args, **options):
        for task in tally_schedules_ensure():
            self.stdout.write(f"{task.name}: {task.task} ({task.schedule})")
