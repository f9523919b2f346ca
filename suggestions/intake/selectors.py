"""What a citizen may read about their own idea, found by receipt + last four phone digits."""

import hmac
from datetime import date

from django.utils.translation import gettext as _

from suggestions.common.time import local_date
from suggestions.implementation.selectors import implementation_public
from suggestions.models import Status as S
from suggestions.models import StatusChange, Suggestion

# Everything the lookup shows, and the phone to check the digits against; nothing else.
_LOOKUP_FIELDS = (
    "pk",
    "receipt",
    "status",
    "public_note",
    "phone",
    "title",
    "received_at",
    "unit__name",
)


def _step(label: str, day: date | None, state: str) -> dict:
    # state: "done" (reached), "current" (where it stands), "todo" (not yet), "final-…"
    return {"label": label, "date": day, "state": state}


def public_timeline(*, status: str, received: date, reached: dict[str, date]) -> list[dict]:
    """已收集 → 初选入围 → 优秀金点子 / 未入选, each with the day it was (last) reached.

    ``reached`` maps a status to the day of the latest change into it. Only labels and
    days: never who decided, never the internal reason.
    """
    steps = [_step(S.COLLECTED.label, received, "done")]
    if status == S.COLLECTED:
        steps.append(_step(_("初选（所选单位）"), None, "todo"))
        steps.append(_step(_("市级评审"), None, "todo"))
    elif status == S.SHORTLISTED:
        steps.append(_step(S.SHORTLISTED.label, reached.get(S.SHORTLISTED), "done"))
        steps.append(_step(_("市级评审"), None, "todo"))
    elif status == S.EXCELLENT:
        steps.append(_step(S.SHORTLISTED.label, reached.get(S.SHORTLISTED), "done"))
        steps.append(_step(S.EXCELLENT.label, reached.get(S.EXCELLENT), "final-excellent"))
    else:  # set aside, after stage 1 or after stage 2
        if S.SHORTLISTED in reached:
            steps.append(_step(S.SHORTLISTED.label, reached[S.SHORTLISTED], "done"))
        steps.append(_step(S.SET_ASIDE.label, reached.get(S.SET_ASIDE), "final-set-aside"))
    return steps


def suggestion_public_status(*, receipt: str, phone_last4: str) -> dict | None:
    """The idea's public facts when the receipt and the phone's last four digits match.

    None when nothing matches; the digits are compared in constant time. Title, unit and
    received day, the stage and its public timeline, the public note and (for excellent
    ideas) adoption and implementation. No contact data, no staff names.
    """
    found = (
        Suggestion.objects.filter(receipt=receipt)
        .select_related("unit")
        .only(*_LOOKUP_FIELDS)
        .first()
    )
    last4 = found.phone[-4:] if found is not None and found.phone else "----"
    if found is None or not hmac.compare_digest(last4, phone_last4):
        return None
    reached: dict[str, date] = {}
    for to_status, at in (
        StatusChange.objects.filter(suggestion_id=found.pk)
        .order_by("at", "id")
        .values_list("to_status", "at")
    ):
        reached[to_status] = local_date(at)  # later rows overwrite: the latest change counts
    received = local_date(found.received_at)
    return {
        "receipt": found.receipt,
        "title": found.title,
        "unit": found.unit.name,
        "received": received,
        "stage": found.get_status_display(),
        "status": found.status,
        "public_note": found.public_note,
        "timeline": public_timeline(status=found.status, received=received, reached=reached),
        # Adoption, implementation and the official reply (大家干), when decided.
        "implementation": implementation_public(suggestion_id=found.pk),
    }


def suggestion_receipt_facts(*, receipt: str) -> dict | None:
    """What the receipt page repeats back to the submitter: title, unit and time received.

    The page is reached only through the signed token the submission redirected to, so
    only the submitter (or whoever they share the link with) reads it.
    """
    return (
        Suggestion.objects.filter(receipt=receipt)
        .values("receipt", "title", "unit__name", "received_at")
        .first()
    )
