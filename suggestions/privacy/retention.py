"""Personal-data retention: contact details are kept only as long as the campaign needs them.

Two ways an idea loses its submitter's name and phone number while the idea itself
stays for the statistics:
- retention: PERSONAL_DATA_RETENTION_DAYS after its campaign closes (a daily task
  and `manage.py anonymise_expired`), in one UPDATE;
- a citizen's deletion request, handled by staff (recorded in PersonalDataAccess).

Logs carry counts, ids and receipts only, never the data being erased.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.db.models import CharField, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone

from suggestions.common.rules import can_administer
from suggestions.models import PersonalDataAccess, Suggestion

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser
    from django.db.models import QuerySet

log = logging.getLogger(__name__)

# The fingerprint (intake's hash of phone + content) is derived from the phone
# number, so it goes too; a unique placeholder keeps any uniqueness rule happy.
_ANON_FINGERPRINT = Concat(Value("anonymised:"), Cast("pk", output_field=CharField()))


def _contact_erased(now: datetime) -> dict:
    return {"name": "", "phone": "", "fingerprint": _ANON_FINGERPRINT, "anonymised_at": now}


def suggestions_past_retention(*, now: datetime | None = None) -> QuerySet[Suggestion]:
    """Ideas whose campaign closed more than the retention period ago, not yet anonymised."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.PERSONAL_DATA_RETENTION_DAYS)
    return Suggestion.objects.filter(campaign__closes_at__lt=cutoff, anonymised_at__isnull=True)


def suggestions_anonymise_expired(*, now: datetime | None = None, dry_run: bool = False) -> int:
    """Erase name and phone of every idea past retention; returns how many. Safe to rerun."""
    now = now or timezone.now()
    expired = suggestions_past_retention(now=now)
    if dry_run:
        count = expired.count()
        log.info("Retention dry run: %d ideas are past retention", count)
        return count
    # One UPDATE: a city campaign has tens of thousands of ideas.
    count = expired.update(**_contact_erased(now))
    log.info(
        "Retention: anonymised contact data of %d ideas (retention %d days after closing)",
        count,
        settings.PERSONAL_DATA_RETENTION_DAYS,
    )
    return count


@dataclass(frozen=True)
class ErasureResult:
    suggestion: Suggestion
    already_anonymised: bool


class ErasureRefused(Exception):
    pass


@transaction.atomic
def suggestion_erase_contact(
    *, suggestion_id: int, user: AbstractBaseUser, reason: str = ""
) -> ErasureResult:
    """A citizen asked for their contact data to be deleted: erase it now and record who did it."""
    if not can_administer(user):
        raise ErasureRefused("Only city administrators handle deletion requests.")
    suggestion = Suggestion.objects.select_for_update().get(pk=suggestion_id)
    already = suggestion.anonymised_at is not None and not (suggestion.name or suggestion.phone)
    if not already:
        now = timezone.now()
        Suggestion.objects.filter(pk=suggestion.pk).update(**_contact_erased(now))
        suggestion.refresh_from_db()
    PersonalDataAccess.objects.create(
        user=user,
        action=PersonalDataAccess.Action.ERASE,
        suggestion=suggestion,
        detail=(reason or "citizen deletion request")[:200],
    )
    log.info(
        "Erasure request: contact data of idea %s erased by user %s%s",
        suggestion.receipt,
        user.pk,
        " (already anonymised)" if already else "",
    )
    return ErasureResult(suggestion=suggestion, already_anonymised=already)
