"""Personal data housekeeping: thin Celery tasks, safe to run twice."""

from celery import shared_task

from suggestions.privacy.retention import suggestions_anonymise_expired


@shared_task(name="suggestions.anonymise_expired")
def anonymise_expired() -> int:
    # Idempotent: a rerun (or a redelivery after a lost worker) finds nothing left.
    return suggestions_anonymise_expired()
