from django.core.management.base import BaseCommand

from suggestions.common.schedules import schedules_ensure


class Command(BaseCommand):
    help = "Create the portal's Celery beat entries (idempotent; keeps admins' edits)."

    def handle(self, *args, **options):
        for task in schedules_ensure():
            self.stdout.write(f"{task.name}: {task.task} ({task.schedule})")
