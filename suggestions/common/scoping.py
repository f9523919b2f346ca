"""Selectors: which units and ideas a staff member sees.

Every staff page that shows an idea goes through here: the desk's lists and exports
(``suggestions_visible``), the history (``status_changes_visible``), and pages that show
*other* ideas next to one the user may open (a duplicate group, a group decision):
``suggestions_partition`` and ``suggestion_visible_flag``. A screener sees the ideas of
their units; of other units' ideas only how many there are. The city roles see all.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import BooleanField, Case, Q, QuerySet, Value, When

from suggestions.models import Implementation, StatusChange, Suggestion
from units.roles import screened_unit_ids, sees_all_units

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser


def visible_unit_ids(user: AbstractBaseUser | AnonymousUser) -> list[int] | None:
    """None means every unit; otherwise the ids of the units the user may see (at most 153)."""
    if not (user and user.is_active and user.is_staff):
        return []
    if sees_all_units(user):
        return None
    return sorted(screened_unit_ids(user))


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


@dataclass(frozen=True)
class Partition:
    """Ideas a user may see in full, and how many more exist outside the user's units."""

    shown: list[Suggestion]
    hidden: int


def suggestions_partition(*, user, queryset: QuerySet, limit: int = 200) -> Partition:
    """Split ideas related to one the user opened (e.g. its duplicate group).

    Only the count of the others leaves this function: no receipt, unit, contact or title.
    Without a user (``None``) every idea counts as hidden.
    """
    ids = visible_unit_ids(user)
    if ids is None:
        return Partition(shown=list(queryset[:limit]), hidden=0)
    shown = list(queryset.filter(unit_id__in=ids)[:limit])
    hidden = queryset.exclude(unit_id__in=ids).order_by().count()
    return Partition(shown=shown, hidden=hidden)


def suggestion_visible_flag(*, user, path: str) -> Case | Value:
    """An annotation: True when the idea at ``path`` (e.g. "to_representative") may be shown.

    For records that point at an idea other than the one on the page.
    """
    ids = visible_unit_ids(user)
    if ids is None:
        return Value(True, output_field=BooleanField())
    return Case(
        When(Q(**{f"{path}__unit_id__in": ids}), then=Value(True)),
        default=Value(False),
        output_field=BooleanField(),
    )


def implementations_visible(*, user, queryset: QuerySet | None = None) -> QuerySet:
    """City roles see every implementation; unit staff see the ideas assigned to their units
    as lead or co-unit (even ideas of other units) and those of their own units' ideas."""
    queryset = Implementation.objects.all() if queryset is None else queryset
    ids = visible_unit_ids(user)
    if ids is None:
        return queryset
    # A subquery, not a join on co_units, so an idea never appears twice.
    co = Implementation.objects.filter(co_units__in=ids).values("pk")
    return queryset.filter(Q(lead_unit_id__in=ids) | Q(suggestion__unit_id__in=ids) | Q(pk__in=co))
