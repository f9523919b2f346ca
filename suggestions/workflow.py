"""The screening workflow: every status change of an idea happens here.

    collected ──stage 1──> shortlisted ──stage 2──> excellent
        │                      │
        └──stage 1──> set_aside <──stage 2

Stage 1 belongs to screeners of the idea's unit (or a parent unit), stage 2 to
city reviewers; administrators may do either. A step back needs a reason and a
role above the one that took the decision being undone. Every change writes one
append-only StatusChange row in the same transaction as the status update.

Concurrency: the status column is updated with a condition on the status the
actor saw, so of two staff acting at once exactly one wins and the other is told
who changed it and when; history therefore never skips a stage.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from suggestions.models import ActionVia, Status, StatusChange, Suggestion
from units.roles import is_city_admin, is_city_reviewer, screened_units

C, S, E, X = Status.COLLECTED, Status.SHORTLISTED, Status.EXCELLENT, Status.SET_ASIDE

STAGE_1 = "stage1"
STAGE_2 = "stage2"
BACK_REVIEWER = "back_reviewer"  # undo a stage-1 decision: reviewer or administrator
BACK_ADMIN = "back_admin"  # undo a stage-2 decision: administrator only

# (from, to) -> who may do it
TRANSITIONS: dict[tuple[str, str], str] = {
    (C, S): STAGE_1,
    (C, X): STAGE_1,
    (S, E): STAGE_2,
    (S, X): STAGE_2,
    (S, C): BACK_REVIEWER,
    (X, C): BACK_REVIEWER,
    (E, S): BACK_ADMIN,
}
NEEDS_REASON = {(C, X), (S, X), (S, C), (X, C), (E, S)}


class TransitionRefused(Exception):
    """A decision the workflow does not allow; the message is for the user."""


class AlreadyChanged(TransitionRefused):
    """Someone else changed the idea between reading and deciding."""


@dataclass
class Actor:
    """What the workflow needs to know about a staff member, read once per request."""

    user: object
    is_admin: bool
    is_reviewer: bool
    can_stage1: bool
    can_stage2: bool
    screened_unit_ids: frozenset[int]

    @classmethod
    def of(cls, user) -> "Actor":
        active = bool(user and user.is_authenticated and user.is_active)
        return cls(
            user=user,
            is_admin=active and is_city_admin(user),
            is_reviewer=active and is_city_reviewer(user),
            can_stage1=active and user.has_perm("suggestions.screen_stage1"),
            can_stage2=active and user.has_perm("suggestions.screen_stage2"),
            screened_unit_ids=frozenset(screened_units(user).values_list("pk", flat=True))
            if active
            else frozenset(),
        )


def allowed_targets(actor: Actor, suggestion: Suggestion) -> list[str]:
    """The states this actor could move the idea to now (for buttons and menus)."""
    return [
        to
        for (frm, to) in TRANSITIONS
        if frm == suggestion.status and _refusal(actor, suggestion, to, reason="-") is None
    ]


def _refusal(actor: Actor, suggestion: Suggestion, to_status: str, reason: str) -> str | None:
    """Why this transition is refused, or None when it is allowed."""
    frm = suggestion.status
    rule = TRANSITIONS.get((frm, to_status))
    if rule is None:
        return _("不能从“%(from)s”改为“%(to)s”。") % {
            "from": Status(frm).label,
            "to": Status(to_status).label,
        }
    if (frm, to_status) in NEEDS_REASON and not reason.strip():
        return _("改为“%(to)s”需要填写理由。") % {"to": Status(to_status).label}
    if actor.is_admin:
        return None
    if rule == STAGE_1:
        if actor.can_stage1 and suggestion.unit_id in actor.screened_unit_ids:
            return None
        return _("只有本单位的初筛员可以初筛这条金点子。")
    if rule == STAGE_2:
        if actor.can_stage2:
            return None
        return _("只有市级评审员可以进行第二阶段评审。")
    if rule == BACK_REVIEWER:
        if actor.is_reviewer:
            return None
        return _("退回上一阶段需要市级评审员或管理员。")
    return _("撤销优秀金点子评定需要管理员。")


@dataclass
class BulkResult:
    changed: list[StatusChange] = field(default_factory=list)
    refused: list[tuple[Suggestion, str]] = field(default_factory=list)


def suggestion_transition(
    *,
    suggestion: Suggestion,
    to_status: str,
    actor: Actor,
    reason: str = "",
    via: str = ActionVia.ADMIN,
) -> StatusChange:
    """Move one idea to a new state, from the state the actor saw (suggestion.status)."""
    result = suggestions_transition(
        suggestions=[suggestion], to_status=to_status, actor=actor, reason=reason, via=via
    )
    if result.refused:
        raise result.refused[0][1]
    return result.changed[0]


def suggestions_transition(
    *,
    suggestions: Iterable[Suggestion],
    to_status: str,
    actor: Actor,
    reason: str = "",
    via: str = ActionVia.BULK,
) -> BulkResult:
    """Move many ideas at once; each is judged on its own, refusals are reported."""
    result = BulkResult()
    now = timezone.now()
    with transaction.atomic():
        candidates = []
        for suggestion in suggestions:
            why = _refusal(actor, suggestion, to_status, reason)
            if why is None:
                candidates.append(suggestion)
            else:
                result.refused.append((suggestion, TransitionRefused(why)))
        by_status: dict[str, list[Suggestion]] = {}
        for suggestion in candidates:
            by_status.setdefault(suggestion.status, []).append(suggestion)
        for from_status, group in by_status.items():
            ids = [s.pk for s in group]
            # Lock the rows still in the state the actor saw; any other row was
            # changed by someone else in the meantime.
            still = set(
                Suggestion.objects.select_for_update()
                .filter(pk__in=ids, status=from_status)
                .values_list("pk", flat=True)
            )
            Suggestion.objects.filter(pk__in=still).update(
                status=to_status, status_changed_at=now, status_changed_by=actor.user
            )
            for suggestion in group:
                if suggestion.pk in still:
                    suggestion.status = to_status
                    suggestion.status_changed_at = now
                    suggestion.status_changed_by = actor.user
                    result.changed.append(
                        StatusChange(
                            suggestion=suggestion,
                            actor=actor.user,
                            at=now,
                            from_status=from_status,
                            to_status=to_status,
                            reason=reason,
                            via=via,
                        )
                    )
                else:
                    result.refused.append((suggestion, _already_changed(suggestion.pk)))
        StatusChange.objects.bulk_create(result.changed)
    return result


def _already_changed(pk: int) -> AlreadyChanged:
    current = Suggestion.objects.select_related("status_changed_by").get(pk=pk)
    local = timezone.localtime(current.status_changed_at) if current.status_changed_at else None
    return AlreadyChanged(
        _("这条金点子已被 %(who)s 于 %(when)s 改为“%(status)s”，请刷新后再操作。")
        % {
            "who": current.status_changed_by or _("他人"),
            "when": local.strftime("%Y-%m-%d %H:%M:%S") if local else "-",
            "status": current.get_status_display(),
        }
    )
