"""Screeners' decisions on near-duplicate groups: confirm, split off, merge.

Regrouping an idea is a stage-1 decision on it, so the stage-1 rule of
suggestions.common.rules applies; every decision is recorded (DuplicateDecision).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils.translation import gettext as _

from suggestions.common import rules
from suggestions.common.rules import Actor
from suggestions.duplicates.algorithm import (
    normalise,
    shingles,
    similarity,
)
from suggestions.duplicates.services import comparable_text, duplicate_config
from suggestions.models import (
    DuplicateAction,
    DuplicateDecision,
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
    config = duplicate_config()
    target_text = Suggestion.objects.values_list("content", flat=True).get(pk=target)
    target_shingles = shingles(normalise(comparable_text(target_text)), config)
    leaders = [s.pk for s in chosen if s.duplicate_of_id == s.pk]
    Suggestion.objects.filter(duplicate_of_id__in=leaders).update(duplicate_of_id=target)
    for suggestion in chosen:
        sim = similarity(shingles(normalise(comparable_text(suggestion.content)), config),
                         target_shingles)  # fmt: skip
        Suggestion.objects.filter(pk=suggestion.pk).update(
            duplicate_of_id=target, duplicate_similarity=round(sim, 4)
        )
        suggestion.duplicate_of_id = target
