"""Selectors: which ideas a staff member may see (the desk, exports and counts use these)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from suggestions.models import StatusChange, Suggestion
from units.roles import sees_all_units, visible_units

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
    from django.db.models import QuerySet


def visible_unit_ids(user: AbstractBaseUser | AnonymousUser) -> list[int] | None:
    """None means every unit; otherwise the ids of the units the user may see (at most 153)."""
    if not (user and user.is_active and user.is_staff):
        return []
    if sees_all_units(user):
        return None
    return list(visible_units(user).values_list("pk", flat=True))


def suggestions_visible(
    *, user: AbstractBaseUser | AnonymousUser, queryset: QuerySet[Suggestion] | None = None
) -> QuerySet[Suggestion]:
    queryset = Suggestion.objects.all() if queryset is None else queryset
    ids = visible_unit_ids(user)
    # An explicit id list (not a join on the unit path) keeps the plan simple and
    # the planner's row estimate, used by the paginator, accurate.
    return queryset if ids is None else queryset.filter(unit_id__in=ids)


def status_changes_visible(
    *, user: AbstractBaseUser | AnonymousUser, queryset: QuerySet[StatusChange] | None = None
) -> QuerySet[StatusChange]:
    queryset = StatusChange.objects.all() if queryset is None else queryset
    ids = visible_unit_ids(user)
    return queryset if ids is None else queryset.filter(suggestion__unit_id__in=ids)
