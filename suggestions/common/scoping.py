"""Selectors: which ideas a staff member may see (the desk, exports and counts use these)."""

from django.db.models import Q, QuerySet

from suggestions.models import Implementation, StatusChange, Suggestion
from units.roles import sees_all_units, visible_units


def visible_unit_ids(user) -> list[int] | None:
    """None means every unit; otherwise the ids of the units the user may see (at most 153)."""
    if not (user and user.is_active and user.is_staff):
        return []
    if sees_all_units(user):
        return None
    return list(visible_units(user).values_list("pk", flat=True))


def suggestions_visible(*, user, queryset: QuerySet | None = None) -> QuerySet:
    queryset = Suggestion.objects.all() if queryset is None else queryset
    ids = visible_unit_ids(user)
    # An explicit id list (not a join on the unit path) keeps the plan simple and
    # the planner's row estimate, used by the paginator, accurate.
    return queryset if ids is None else queryset.filter(unit_id__in=ids)


def status_changes_visible(*, user, queryset: QuerySet | None = None) -> QuerySet:
    queryset = StatusChange.objects.all() if queryset is None else queryset
    ids = visible_unit_ids(user)
    return queryset if ids is None else queryset.filter(suggestion__unit_id__in=ids)


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
