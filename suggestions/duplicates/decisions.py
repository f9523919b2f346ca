"""Screeners' decisions on near-duplicate groups: confirm, split off, merge.

Regrouping an idea is a stage-1 decision on it, so the stage-1 rule of
suggestions.common.rules applies; every decision is recorded (DuplicateDecision).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from suggestions.common import rules
from suggestions.common.rules import Actor
from suggestions.duplicates.algorithm import similarity
from suggestions.duplicates.services import compared_shingles, duplicate_config
from suggestions.models import (
    DuplicateAction,
    DuplicateDecision,
    DuplicateMergeProposal,
    MergeProposalStatus,
    Suggestion,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser


class DuplicateDecisionRefused(Exception):
    """A group change the actor may not make; the message is for the user."""


def _refuse_foreign(user: AbstractBaseUser, suggestions: Iterable[Suggestion]) -> None:
    """Regrouping an idea is a stage-1 decision on it: the same rule applies."""
    actor = Actor.of(user)
    foreign = [s for s in suggestions if not rules.can_decide_stage1(actor, s)]
    if foreign:
        raise DuplicateDecisionRefused(
            _("其中 %(count)d 条金点子不属于您负责的单位，不能调整其重复组。")
            % {"count": len(foreign)}
        )


def _refuse_unchecked(suggestion: Suggestion) -> None:
    if suggestion.duplicate_of_id is None:
        raise DuplicateDecisionRefused(_("这条金点子尚未完成查重，请稍后再试。"))


def duplicate_group_confirm(
    *, suggestion: Suggestion, user: AbstractBaseUser, note: str = ""
) -> DuplicateDecision:
    """A screener agrees with the idea's current group (recorded, nothing moves)."""
    with transaction.atomic():
        suggestion = Suggestion.objects.select_for_update().get(pk=suggestion.pk)
        _refuse_unchecked(suggestion)
        _refuse_foreign(user, [suggestion])
        return DuplicateDecision.objects.create(
            suggestion=suggestion,
            action=DuplicateAction.CONFIRM,
            from_representative_id=suggestion.duplicate_of_id,
            to_representative_id=suggestion.duplicate_of_id,
            actor=user,
            note=note,
        )


def duplicate_group_split(
    *, suggestion: Suggestion, user: AbstractBaseUser, note: str = ""
) -> DuplicateDecision:
    """Take an idea out of its group; it becomes a group of its own.

    When the idea is the representative, the earliest remaining member leads the rest,
    so every member changes: all of them must be in the screener's units.
    """
    with transaction.atomic():
        suggestion = Suggestion.objects.select_for_update().get(pk=suggestion.pk)
        _refuse_unchecked(suggestion)
        members = list(
            Suggestion.objects.select_for_update()
            .filter(duplicate_of_id=suggestion.duplicate_of_id)
            .exclude(pk=suggestion.duplicate_of_id)
        )
        if suggestion.duplicate_of_id == suggestion.pk and not members:
            raise DuplicateDecisionRefused(_("这条金点子没有重复项，无需拆分。"))
        moving = [suggestion]
        if suggestion.duplicate_of_id == suggestion.pk:
            moving += members
        _refuse_foreign(user, moving)
        before = suggestion.duplicate_of_id
        _apply_split(suggestion)
        return DuplicateDecision.objects.create(
            suggestion=suggestion,
            action=DuplicateAction.SPLIT,
            from_representative_id=before,
            to_representative_id=suggestion.pk,
            actor=user,
            note=note,
        )


def _apply_split(suggestion: Suggestion) -> None:
    if suggestion.duplicate_of_id == suggestion.pk:
        rest = Suggestion.objects.filter(duplicate_of_id=suggestion.pk).exclude(pk=suggestion.pk)
        heir = rest.order_by("pk").values_list("pk", flat=True).first()
        if heir is not None:
            rest.update(duplicate_of_id=heir)
            Suggestion.objects.filter(pk=heir).update(duplicate_similarity=None)
    Suggestion.objects.filter(pk=suggestion.pk).update(
        duplicate_of_id=suggestion.pk, duplicate_similarity=None
    )
    suggestion.duplicate_of_id = suggestion.pk
    suggestion.duplicate_similarity = None


def duplicates_merge(
    *, suggestions: Iterable[Suggestion], into: Suggestion, user: AbstractBaseUser, note: str = ""
) -> list[DuplicateDecision]:
    """Put ideas (with their own groups) into the group of ``into``; its representative stays.

    The target group is not changed, so it may belong to another unit; every idea that
    moves must be in the screener's units.
    """
    with transaction.atomic():
        into = Suggestion.objects.select_for_update().get(pk=into.pk)
        _refuse_unchecked(into)
        target = into.duplicate_of_id
        chosen = list(
            Suggestion.objects.select_for_update().filter(
                pk__in=[s.pk for s in suggestions], campaign_id=into.campaign_id
            )
        )
        chosen = [s for s in chosen if s.duplicate_of_id != target]
        if not chosen:
            raise DuplicateDecisionRefused(_("所选金点子已在该重复组中。"))
        for suggestion in chosen:
            _refuse_unchecked(suggestion)
        moving = _with_members(chosen)
        _refuse_foreign(user, moving)
        decisions = [
            DuplicateDecision(
                suggestion=suggestion,
                action=DuplicateAction.MERGE,
                from_representative_id=suggestion.duplicate_of_id,
                to_representative_id=target,
                actor=user,
                note=note,
            )
            for suggestion in chosen
        ]
        _apply_merge(chosen, target)
        return DuplicateDecision.objects.bulk_create(decisions)


def _with_members(chosen: list[Suggestion]) -> list[Suggestion]:
    """The chosen ideas plus the members of those that are representatives."""
    leaders = [s.pk for s in chosen if s.duplicate_of_id == s.pk]
    extra = Suggestion.objects.filter(duplicate_of_id__in=leaders).exclude(
        pk__in=[s.pk for s in chosen]
    )
    return chosen + list(extra)


def _apply_merge(chosen: list[Suggestion], target: int) -> None:
    target_text, campaign_id = Suggestion.objects.values_list("content", "campaign_id").get(
        pk=target
    )
    config = duplicate_config(campaign_id)  # with the campaign's learned boilerplate
    target_shingles = compared_shingles(target_text, config)
    leaders = [s.pk for s in chosen if s.duplicate_of_id == s.pk]
    Suggestion.objects.filter(duplicate_of_id__in=leaders).update(duplicate_of_id=target)
    for suggestion in chosen:
        sim = similarity(compared_shingles(suggestion.content, config), target_shingles)
        Suggestion.objects.filter(pk=suggestion.pk).update(
            duplicate_of_id=target, duplicate_similarity=round(sim, 4)
        )
        suggestion.duplicate_of_id = target


def duplicate_group_set_representative(
    *, suggestion: Suggestion, user: AbstractBaseUser, note: str = ""
) -> DuplicateDecision:
    """Make an idea the representative of its group (the one shown when repeats are hidden).

    Every member's group link changes, so every member must be in the screener's units.
    """
    with transaction.atomic():
        suggestion = Suggestion.objects.select_for_update().get(pk=suggestion.pk)
        _refuse_unchecked(suggestion)
        before = suggestion.duplicate_of_id
        if before == suggestion.pk:
            raise DuplicateDecisionRefused(_("这条金点子已是其重复组的代表。"))
        members = list(Suggestion.objects.select_for_update().filter(duplicate_of_id=before))
        _refuse_foreign(user, members)
        _apply_represent(suggestion)
        return DuplicateDecision.objects.create(
            suggestion=suggestion,
            action=DuplicateAction.REPRESENT,
            from_representative_id=before,
            to_representative_id=suggestion.pk,
            actor=user,
            note=note,
        )


def _apply_represent(suggestion: Suggestion) -> None:
    """The idea leads its group; the others' similarity is now to it."""
    before = suggestion.duplicate_of_id
    if before is None or before == suggestion.pk:
        return
    config = duplicate_config(suggestion.campaign_id)  # with the campaign's learned boilerplate
    leader = compared_shingles(suggestion.content, config)
    for pk, content in (
        Suggestion.objects.filter(duplicate_of_id=before)
        .exclude(pk=suggestion.pk)
        .values_list("pk", "content")
    ):
        sim = similarity(compared_shingles(content, config), leader)
        Suggestion.objects.filter(pk=pk).update(
            duplicate_of_id=suggestion.pk, duplicate_similarity=round(sim, 4)
        )
    Suggestion.objects.filter(pk=suggestion.pk).update(
        duplicate_of_id=suggestion.pk, duplicate_similarity=None
    )
    suggestion.duplicate_of_id = suggestion.pk
    suggestion.duplicate_similarity = None


def merge_proposal_accept(
    *, proposal: DuplicateMergeProposal, user: AbstractBaseUser
) -> list[DuplicateDecision]:
    """Bring the proposal's two groups together (the first group's representative leads).

    The merge is an ordinary screener's merge (``duplicates_merge``): every idea that
    moves must be in the screener's units.
    """
    with transaction.atomic():
        proposal = _pending(proposal)
        first = Suggestion.objects.get(pk=proposal.first_id)
        second = Suggestion.objects.get(pk=proposal.second_id)
        decisions: list[DuplicateDecision] = []
        if first.duplicate_of_id != second.duplicate_of_id:
            leader = Suggestion.objects.get(pk=second.duplicate_of_id)
            _refuse_foreign(user, [first, *_with_members([leader])])
            decisions = duplicates_merge(
                suggestions=[leader], into=first, user=user, note=_("采纳合并建议")
            )
        _close(proposal, MergeProposalStatus.ACCEPTED, user)
        return decisions


def merge_proposal_reject(*, proposal: DuplicateMergeProposal, user: AbstractBaseUser) -> None:
    """Keep the two groups apart; the proposal is closed (nothing moves)."""
    with transaction.atomic():
        proposal = _pending(proposal)
        involved = [proposal.via_id, proposal.first_id, proposal.second_id]
        _refuse_foreign(user, Suggestion.objects.filter(pk__in=involved))
        _close(proposal, MergeProposalStatus.REJECTED, user)


def _pending(proposal: DuplicateMergeProposal) -> DuplicateMergeProposal:
    proposal = DuplicateMergeProposal.objects.select_for_update().get(pk=proposal.pk)
    if proposal.status != MergeProposalStatus.PENDING:
        raise DuplicateDecisionRefused(_("这条合并建议已处理过。"))
    return proposal


def _close(proposal: DuplicateMergeProposal, status: str, user: AbstractBaseUser) -> None:
    proposal.status = status
    proposal.decided_by = user
    proposal.decided_at = timezone.now()
    proposal.save(update_fields=["status", "decided_by", "decided_at"])
