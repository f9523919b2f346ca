"""Reads of the implementation workflow reused by pages, the desk and the API."""

from __future__ import annotations

from django.utils import timezone

from suggestions.common.time import local_date
from suggestions.models import Implementation, ImplementationAction, ImplementationStatus


def implementation_public(*, suggestion_id: int) -> dict | None:
    """What a citizen may read about an idea's adoption and implementation: the status,
    the lead unit, the approved public reply and the steps marked public. Never who on
    the staff acted, never contact data. None before any decision (待研究)."""
    impl = (
        Implementation.objects.filter(suggestion_id=suggestion_id)
        .select_related("lead_unit")
        .first()
    )
    if impl is None or impl.status == ImplementationStatus.PENDING:
        return None
    timeline = [
        {
            "date": local_date(row["at"]),
            "action": ImplementationAction(row["action"]).label,
            "status": ImplementationStatus(row["to_status"]).label,
            "percent": row["percent"],
            "note": row["note"],
        }
        for row in impl.history.filter(public=True)
        .order_by("at", "id")
        .values("at", "action", "to_status", "percent", "note")
    ]
    return {
        "status": impl.get_status_display(),
        "status_code": impl.status,
        "percent": impl.percent,
        "lead_unit": impl.lead_unit.name if impl.lead_unit else "",
        "due_date": impl.due_date,
        "reply": impl.reply_text if impl.reply_public else "",
        "reply_date": local_date(impl.reply_approved_at) if impl.reply_public else None,
        "timeline": timeline,
    }


def overdue_today():
    """Local today, the day a due date is compared with (a due date of today is not late)."""
    return local_date(timezone.now())
