"""Citizens' contact data: masking for everyone, reveal (logged) for those allowed.

Staff without suggestions.view_contact only ever see masked values; the reveal
and the export with contact write a PersonalDataAccess row in the same request.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from suggestions.common.rules import can_view_contact
from suggestions.models import PersonalDataAccess, Suggestion

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser


def mask_phone(phone: str) -> str:
    """13812345678 -> 138****5678; anything short keeps only its last two digits."""
    phone = (phone or "").strip()
    if not phone:
        return ""
    if len(phone) >= 8:
        return f"{phone[:3]}{'*' * (len(phone) - 7)}{phone[-4:]}"
    if len(phone) <= 2:
        return "*" * len(phone)
    return "*" * (len(phone) - 2) + phone[-2:]


def mask_name(name: str) -> str:
    """张三 -> 张*, 欧阳娜娜 -> 欧***; the family name's first character stays."""
    name = (name or "").strip()
    if not name:
        return ""
    if len(name) == 1:
        return "*"
    return name[0] + "*" * (len(name) - 1)


def suggestion_contact_reveal(*, suggestion: Suggestion, user: AbstractBaseUser) -> dict[str, str]:
    """The full contact of one idea, logged; the caller has checked scope and permission."""
    if not can_view_contact(user):
        raise PermissionError("No permission to view contact data.")
    PersonalDataAccess.objects.create(
        user=user,
        action=PersonalDataAccess.Action.REVEAL,
        suggestion=suggestion,
        detail=suggestion.receipt,
    )
    return {"name": suggestion.name, "phone": suggestion.phone}


def contact_export_log(*, user: AbstractBaseUser, rows: int, detail: str = "") -> None:
    """One row per export that carried full contact data."""
    PersonalDataAccess.objects.create(
        user=user,
        action=PersonalDataAccess.Action.EXPORT,
        detail=(f"{rows} rows {detail}").strip()[:200],
    )
