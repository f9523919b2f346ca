"""Celery task hub: autodiscovery imports this module, which imports each capability's tasks.

Task names are explicit (``@shared_task(name=...)``) and stable: beat entries in the
database and messages already queued refer to them.
"""

from suggestions.implementation import tasks as implementation_tasks  # noqa: F401
from suggestions.intake import tasks as intake_tasks  # noqa: F401
from suggestions.privacy import tasks as privacy_tasks  # noqa: F401
from suggestions.screening import tasks as screening_tasks  # noqa: F401
from suggestions.tallies import tasks as tallies_tasks  # noqa: F401
