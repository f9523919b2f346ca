"""Reads of the near-duplicate groups that the desk, the bulk workflow and tallies need."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from suggestions.common.scoping import Partition, suggestions_partition, visible_unit_ids
from suggestions.models import (
    Campaign,
    DuplicateMergeProposal,
    DuplicateSignature,
    MergeProposalStatus,
    Suggestion,
)
from units.roles import visible_units

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser


def with_group_size(queryset: QuerySet[Suggestion]) -> QuerySet[Suggestion]:
    """Annotate ``dup_group_size``: ideas in the group an idea represents (0 for members)."""
    size = (
        Suggestion.objects.filter(duplicate_of=OuterRef("pk"))
        .order_by()
        .values("duplicate_of")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return queryset.annotate(dup_group_size=Coalesce(Subquery(size), Value(0)))


def duplicate_group_members(suggestion: Suggestion) -> QuerySet[Suggestion]:
    """The other ideas of this idea's group, oldest first."""
    if suggestion.duplicate_of_id is None:
        return Suggestion.objects.none()
    return (
        Suggestion.objects.filter(duplicate_of_id=suggestion.duplicate_of_id)
        .exclude(pk=suggestion.pk)
        .select_related("unit")
        .order_by("pk")
    )


def duplicate_group_for(
    *, suggestion: Suggestion, user: AbstractBaseUser, limit: int = 200
) -> Partition:
    """The other ideas of the group as ``user`` may see them: the ideas of the user's units
    in full, only the number of the others (the group may span several units)."""
    return suggestions_partition(
        user=user, queryset=duplicate_group_members(suggestion), limit=limit
    )


def duplicate_group_ids(*, representative_ids: Iterable[int], user: AbstractBaseUser) -> list[int]:
    """Expand representatives to every idea of their groups that the user may see.

    For the bulk workflow: apply one decision to a whole group. The workflow still
    judges each idea (stage-1 decisions stay limited to the screener's units).
    """
    representative_ids = list(representative_ids)
    return list(
        Suggestion.objects.filter(
            Q(pk__in=representative_ids) | Q(duplicate_of_id__in=representative_ids),
            unit__in=visible_units(user),
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def duplicate_groups_per_unit(*, campaign: Campaign) -> dict[int, int]:
    """Distinct idea groups per unit (for tallies): unit id -> number of groups."""
    rows = (
        Suggestion.objects.filter(campaign=campaign, duplicate_of__isnull=False)
        .values("unit_id")
        .annotate(groups=Count("duplicate_of", distinct=True))
    )
    unchecked = (
        Suggestion.objects.filter(campaign=campaign, duplicate_of__isnull=True)
        .values("unit_id")
        .annotate(n=Count("pk"))
    )
    result = {row["unit_id"]: row["groups"] for row in rows}
    for row in unchecked:  # not yet checked: each counts as its own group for now
        result[row["unit_id"]] = result.get(row["unit_id"], 0) + row["n"]
    return result


def duplicates_unchecked_count() -> int:
    return Suggestion.objects.filter(duplicate_of__isnull=True).count()


def merge_proposals_for(
    *, user: AbstractBaseUser, via: Suggestion | None = None
) -> QuerySet[DuplicateMergeProposal]:
    """Pending proposals to bring two groups together that ``user`` may see and decide.

    Only proposals whose idea and both groups (as they are now) lie wholly in the user's
    units: a screener never sees another unit's idea, here or in the groups' lists. Groups
    already brought together (by a screener's merge or a rebuild) are left out.
    """
    proposals = (
        DuplicateMergeProposal.objects.filter(status=MergeProposalStatus.PENDING)
        .exclude(first__duplicate_of_id=F("second__duplicate_of_id"))
        .select_related("via__unit", "first__duplicate_of__unit", "second__duplicate_of__unit")
        .order_by("pk")
    )
    if via is not None:
        proposals = proposals.filter(via=via)
    ids = visible_unit_ids(user)
    if ids is not None:
        foreign = Suggestion.objects.filter(
            Q(pk=OuterRef("via_id"))
            | Q(duplicate_of_id=OuterRef("first__duplicate_of_id"))
            | Q(duplicate_of_id=OuterRef("second__duplicate_of_id"))
        ).exclude(unit_id__in=ids)
        proposals = proposals.filter(~Exists(foreign))
    return proposals


def semantic_matches(ids: Iterable[int]) -> set[int]:
    """Those of the ideas that joined their group through the semantic stage."""
    return set(
        DuplicateSignature.objects.filter(
            suggestion_id__in=list(ids), semantic_match=True
        ).values_list("suggestion_id", flat=True)
    )
