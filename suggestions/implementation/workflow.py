"""The adoption and implementation workflow (大家干): every change of an Implementation.

    pending 待研究 ──adopt──> adopted 采纳 ──assign──> assigned 已交办
       │  ├──reference──> reference 参考             │  progress / complete
       │  └──not_adopt──> not_adopted 暂不采纳        v
       └<──reopen── (reference, not_adopted)       in_progress 推进中 <──send_back──┐
                                                     │ complete                     │
                                                     v                              │
                                                 completed 已落实（待确认） ──────────┘
                                                     │ confirm
                                                     v
                                                 confirmed 已落实

The city (reviewers and administrators) decides adoption, assigns a lead unit
(承办单位) with a due date, confirms or sends back a completion and approves the
official reply; staff of the lead unit with the update permission post progress and
report completion; leaders and co-units read. The rules are named predicates in
suggestions.common.rules.

Same shape as the screening workflow: one declarative table (TRANSITIONS), refusals
computed by one function (_refusal), the row changed by a conditional UPDATE on the
status and version the actor saw, one append-only ImplementationChange row in the same
transaction, and notices to the submitter queued after the commit. The version makes
two progress updates at once (same status) collide too: one wins, the other is told.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from suggestions.common import rules
from suggestions.common.broker import task_publish
from suggestions.common.rules import Actor
from suggestions.common.time import local_date
from suggestions.models import (
    ActionVia,
    Implementation,
    ImplementationAction,
    ImplementationChange,
    ImplementationStatus,
    Status,
    Suggestion,
)
from units.models import Unit

logger = logging.getLogger(__name__)

St = ImplementationStatus
Act = ImplementationAction
P, A, R, N = St.PENDING, St.ADOPTED, St.REFERENCE, St.NOT_ADOPTED
# W: working on it (推进中).
G, W, D, K = St.ASSIGNED, St.IN_PROGRESS, St.COMPLETED, St.CONFIRMED

CITY = "city"  # city reviewers and administrators
LEAD = "lead"  # staff of the lead unit with the update permission, administrators
ADMIN = "admin"  # administrators only


@dataclass(frozen=True)
class Step:
    sources: frozenset[str]
    target: str | None  # None: the status stays as it is
    who: str
    needs_note: bool = False
    public: bool = True  # the history row's default public flag (timeline on /lookup/)


TRANSITIONS: dict[str, Step] = {
    Act.ADOPT: Step(frozenset({P}), A, CITY),
    Act.REFERENCE: Step(frozenset({P}), R, CITY),
    Act.NOT_ADOPT: Step(frozenset({P}), N, CITY, needs_note=True),
    Act.REOPEN: Step(frozenset({R, N}), P, ADMIN, needs_note=True, public=False),
    Act.ASSIGN: Step(frozenset({A}), G, CITY),
    Act.PROGRESS: Step(frozenset({G, W}), W, LEAD, needs_note=True),
    Act.COMPLETE: Step(frozenset({G, W}), D, LEAD, needs_note=True),
    Act.CONFIRM: Step(frozenset({D}), K, CITY),
    Act.SEND_BACK: Step(frozenset({D}), W, CITY, needs_note=True, public=False),
    # Not a status change: the approved official reply (any decided state).
    Act.REPLY: Step(frozenset({A, R, N, G, W, D, K}), None, CITY, needs_note=True, public=False),
}
# Changes the submitter is told about (adoption, completion confirmed, reply published).
NOTIFIED_ACTIONS = {Act.ADOPT, Act.CONFIRM, Act.REPLY}
# Celery task that sends them (suggestions.implementation.tasks).
NOTIFY_TASK = "suggestions.implementation_notify"

_NOTE_MISSING = {
    Act.NOT_ADOPT: gettext_lazy("暂不采纳需要填写理由。"),
    Act.REOPEN: gettext_lazy("重新研究需要填写理由。"),
    Act.PROGRESS: gettext_lazy("请填写进展情况。"),
    Act.COMPLETE: gettext_lazy("报告办结需要填写办结说明。"),
    Act.SEND_BACK: gettext_lazy("退回继续办理需要填写理由。"),
    Act.REPLY: gettext_lazy("请填写答复内容。"),
}
_NOT_ALLOWED = {
    CITY: gettext_lazy("只有市级评审员或管理员可以进行此操作。"),
    LEAD: gettext_lazy("只有承办单位的工作人员可以更新落实进展。"),
    ADMIN: gettext_lazy("只有管理员可以重新研究已作出的采纳决定。"),
}


class TransitionRefused(Exception):
    """A step the workflow does not allow; the message is for the user."""


class AlreadyChanged(TransitionRefused):
    """Someone else changed the implementation between reading and acting."""


@dataclass(frozen=True)
class Inputs:
    """What a step carries besides the actor (validated by _refusal)."""

    note: str = ""
    reason: str = ""  # why the percentage goes down
    percent: int | None = None
    lead_unit: Unit | None = None
    co_units: tuple[Unit, ...] = ()
    due_date: date | None = None


def allowed_actions(actor: Actor, implementation: Implementation) -> list[str]:
    """The actions this actor could take now (for buttons and menus)."""
    return [
        action for action in TRANSITIONS if _refusal(actor, implementation, action, None) is None
    ]


def _who_allows(actor: Actor, implementation: Implementation, who: str) -> bool:
    return {
        CITY: lambda: rules.can_decide_adoption(actor),
        LEAD: lambda: rules.can_update_implementation(actor, implementation.lead_unit_id),
        ADMIN: lambda: actor.is_admin,
    }[who]()


def _refusal(
    actor: Actor, implementation: Implementation, action: str, inputs: Inputs | None
) -> str | None:
    """Why this step is refused, or None when it is allowed (inputs None: who and when only)."""
    step = TRANSITIONS.get(action)
    status = implementation.status
    if step is None or status not in step.sources:
        return _("当前状态“%(status)s”下不能“%(action)s”。") % {
            "status": St(status).label,
            "action": Act(action).label if action in Act.values else action,
        }
    if not _who_allows(actor, implementation, step.who):
        return str(_NOT_ALLOWED[step.who])
    if inputs is None:
        return None
    if step.needs_note and not inputs.note.strip():
        return str(_NOTE_MISSING[action])
    if action in (Act.ADOPT, Act.REFERENCE, Act.NOT_ADOPT, Act.REOPEN):
        idea_status = (
            Suggestion.objects.filter(pk=implementation.suggestion_id)
            .values_list("status", flat=True)
            .first()
        )
        if idea_status != Status.EXCELLENT:
            return _("只有优秀金点子才能作出采纳决定。")
    if action == Act.ASSIGN:
        return _assignment_refusal(inputs)
    if action == Act.PROGRESS:
        percent = inputs.percent
        if percent is None or isinstance(percent, bool) or not isinstance(percent, int):
            return _("请填写进度（0 到 100 的整数）。")
        if not 0 <= percent <= 100:
            return _("进度须为 0 到 100 之间的整数。")
        if percent < implementation.percent and not inputs.reason.strip():
            return _("进度从 %(old)s%% 调低到 %(new)s%% 需要说明原因。") % {
                "old": implementation.percent,
                "new": percent,
            }
    return None


def _assignment_refusal(inputs: Inputs) -> str | None:
    lead = inputs.lead_unit
    if lead is None:
        return _("请选择承办单位。")
    if not Unit.objects.filter(pk=lead.pk, is_active=True).exists():
        return _("承办单位“%(unit)s”已停用，不能交办。") % {"unit": lead.name}
    co_ids = {u.pk for u in inputs.co_units}
    if lead.pk in co_ids:
        return _("承办单位不能同时是协办单位。")
    inactive = Unit.objects.filter(pk__in=co_ids, is_active=False).values_list("name", flat=True)
    if inactive:
        return _("协办单位“%(unit)s”已停用。") % {"unit": "、".join(inactive)}
    if inputs.due_date is None:
        return _("请填写办结期限。")
    if inputs.due_date < local_date(timezone.now()):
        return _("办结期限不能早于今天。")
    return None


# --------------------------------------------------------------------------- services


def implementation_ensure(*, suggestion: Suggestion) -> Implementation:
    """The implementation record of an excellent idea (created 待研究 if missing)."""
    implementation, _created = Implementation.objects.get_or_create(
        suggestion=suggestion, defaults={"campaign_id": suggestion.campaign_id}
    )
    return implementation


def implementations_open(*, campaign_id: int | None = None) -> int:
    """Create the missing 待研究 records of excellent ideas: the daily task's catch-up (the
    screening workflow opens each record when it rates the idea); the unique idea column
    makes a repeat or a concurrent run harmless. Returns how many."""
    missing = Suggestion.objects.excellent().filter(implementation__isnull=True)
    if campaign_id is not None:
        missing = missing.filter(campaign_id=campaign_id)
    rows = [
        Implementation(suggestion_id=pk, campaign_id=campaign)
        for pk, campaign in missing.values_list("pk", "campaign_id")
    ]
    Implementation.objects.bulk_create(rows, ignore_conflicts=True, batch_size=1000)
    return len(rows)


def implementations_open_rated(*, ideas: Iterable[Suggestion]) -> None:
    """Open the 待研究 record of ideas just rated excellent: called by the screening workflow
    inside the rating's transaction (one INSERT; a record already there is kept)."""
    Implementation.objects.bulk_create(
        [Implementation(suggestion_id=idea.pk, campaign_id=idea.campaign_id) for idea in ideas],
        ignore_conflicts=True,
    )


def implementations_decided(*, suggestion_ids: Iterable[int], lock: bool = True) -> dict[int, str]:
    """Ideas whose adoption has been decided (record no longer 待研究): idea id -> status.

    Their excellent rating cannot be taken back: the city's decision, an assignment or a
    reply rests on it. Call inside the transaction that takes the rating back: the rows
    are locked, so an adoption racing with it either lands first (and is seen here) or
    waits and then finds its record gone. lock=False: a read for a page's buttons.
    """
    # Every record is locked, the 待研究 ones included: those are the ones an adoption
    # racing with the take-back would change.
    records = Implementation.objects.select_for_update() if lock else Implementation.objects
    rows = (
        records.filter(suggestion_id__in=list(suggestion_ids))
        .order_by("pk")
        .values_list("suggestion_id", "status")
    )
    return {idea: status for idea, status in rows if status != St.PENDING}


def implementations_withdraw(*, suggestion_ids: Iterable[int]) -> int:
    """The excellent rating of these ideas was taken back: drop their 待研究 records that
    carry no history (nothing was decided on them). A record with history (reopened
    before) is kept, append-only; it is reused if the idea is rated excellent again.
    Decided records never get here (implementations_decided refuses the step first)."""
    deleted, _by_model = (
        Implementation.objects.filter(
            suggestion_id__in=list(suggestion_ids), status=St.PENDING, history__isnull=True
        )
        .order_by()
        .delete()
    )
    return deleted


def implementation_act(
    *,
    implementation: Implementation,
    action: str,
    actor: Actor,
    inputs: Inputs = Inputs(),  # noqa: B008 (a frozen dataclass: immutable)
    public: bool | None = None,
    via: str = ActionVia.ADMIN,
) -> ImplementationChange:
    """Take one step, from the status and version the actor saw (on ``implementation``).

    Raises TransitionRefused (nothing stored) or AlreadyChanged (someone else acted first).
    """
    why = _refusal(actor, implementation, action, inputs)
    if why is not None:
        raise TransitionRefused(why)
    step = TRANSITIONS[action]
    now = timezone.now()
    seen_status, seen_version = implementation.status, implementation.version
    to_status = step.target or seen_status
    values: dict = {
        "status": to_status,
        "version": F("version") + 1,
        "status_changed_at": now,
        "status_changed_by": actor.user,
    }
    percent = None
    if action == Act.ASSIGN:
        values.update(
            lead_unit=inputs.lead_unit,
            due_date=inputs.due_date,
            assigned_at=now,
            last_progress_at=now,  # "no update for N days" counts from the assignment
        )
    elif action == Act.PROGRESS:
        percent = inputs.percent
        values.update(percent=percent, last_progress_at=now)
    elif action == Act.COMPLETE:
        percent = 100
        values.update(percent=100, last_progress_at=now)
    elif action == Act.REOPEN:
        values.update(reply_public=False)
    elif action == Act.REPLY:
        values.update(
            reply_text=inputs.note.strip(),
            reply_approved_by=actor.user,
            reply_approved_at=now,
            reply_public=True if public is None else public,
        )
    note = inputs.note.strip()
    if action == Act.PROGRESS and inputs.reason.strip() and percent < implementation.percent:
        note = f"{note}\n{_('调低进度原因')}：{inputs.reason.strip()}"
    with transaction.atomic():
        changed = Implementation.objects.filter(
            pk=implementation.pk, status=seen_status, version=seen_version
        ).update(**values)
        if not changed:
            raise _already_changed(implementation.pk)
        if action == Act.ASSIGN:
            implementation.co_units.set(inputs.co_units)
        change = ImplementationChange.objects.create(
            implementation=implementation,
            actor=actor.user,
            at=now,
            action=action,
            from_status=seen_status,
            to_status=to_status,
            # The reply text lives on the implementation; the history records that it was approved.
            note="" if action == Act.REPLY else note,
            percent=percent,
            lead_unit=inputs.lead_unit if action == Act.ASSIGN else None,
            due_date=inputs.due_date if action == Act.ASSIGN else None,
            public=step.public if public is None or action == Act.REPLY else public,
            via=via,
        )
        if action in NOTIFIED_ACTIONS:
            change_id = change.pk
            transaction.on_commit(lambda: _queue_notice(change_id))
    implementation.refresh_from_db()
    return change


def implementation_adopt(
    *, implementation: Implementation, actor: Actor, note: str = "", via: str = ActionVia.ADMIN
) -> ImplementationChange:
    return implementation_act(
        implementation=implementation,
        action=Act.ADOPT,
        actor=actor,
        inputs=Inputs(note=note),
        via=via,
    )


def implementation_reference(
    *, implementation: Implementation, actor: Actor, note: str = "", via: str = ActionVia.ADMIN
) -> ImplementationChange:
    return implementation_act(
        implementation=implementation,
        action=Act.REFERENCE,
        actor=actor,
        inputs=Inputs(note=note),
        via=via,
    )


def implementation_not_adopt(
    *, implementation: Implementation, actor: Actor, reason: str, via: str = ActionVia.ADMIN
) -> ImplementationChange:
    return implementation_act(
        implementation=implementation,
        action=Act.NOT_ADOPT,
        actor=actor,
        inputs=Inputs(note=reason),
        via=via,
    )


def implementation_reopen(
    *, implementation: Implementation, actor: Actor, reason: str, via: str = ActionVia.ADMIN
) -> ImplementationChange:
    return implementation_act(
        implementation=implementation,
        action=Act.REOPEN,
        actor=actor,
        inputs=Inputs(note=reason),
        via=via,
    )


def implementation_assign(
    *,
    implementation: Implementation,
    actor: Actor,
    lead_unit: Unit | None,
    due_date: date | None,
    co_units=(),
    note: str = "",
    via: str = ActionVia.ADMIN,
) -> ImplementationChange:
    return implementation_act(
        implementation=implementation,
        action=Act.ASSIGN,
        actor=actor,
        inputs=Inputs(note=note, lead_unit=lead_unit, co_units=tuple(co_units), due_date=due_date),
        via=via,
    )


def implementation_progress(
    *,
    implementation: Implementation,
    actor: Actor,
    percent: int | None,
    note: str,
    reason: str = "",
    public: bool = True,
    via: str = ActionVia.ADMIN,
) -> ImplementationChange:
    return implementation_act(
        implementation=implementation,
        action=Act.PROGRESS,
        actor=actor,
        inputs=Inputs(note=note, reason=reason, percent=percent),
        public=public,
        via=via,
    )


def implementation_complete(
    *,
    implementation: Implementation,
    actor: Actor,
    note: str,
    public: bool = True,
    via: str = ActionVia.ADMIN,
) -> ImplementationChange:
    return implementation_act(
        implementation=implementation,
        action=Act.COMPLETE,
        actor=actor,
        inputs=Inputs(note=note),
        public=public,
        via=via,
    )


def implementation_confirm(
    *, implementation: Implementation, actor: Actor, note: str = "", via: str = ActionVia.ADMIN
) -> ImplementationChange:
    return implementation_act(
        implementation=implementation,
        action=Act.CONFIRM,
        actor=actor,
        inputs=Inputs(note=note),
        via=via,
    )


def implementation_send_back(
    *, implementation: Implementation, actor: Actor, reason: str, via: str = ActionVia.ADMIN
) -> ImplementationChange:
    return implementation_act(
        implementation=implementation,
        action=Act.SEND_BACK,
        actor=actor,
        inputs=Inputs(note=reason),
        via=via,
    )


def implementation_reply_publish(
    *,
    implementation: Implementation,
    actor: Actor,
    text: str,
    public: bool = True,
    via: str = ActionVia.ADMIN,
) -> ImplementationChange:
    """The city approves the official reply (答复); public: shown on /lookup/."""
    return implementation_act(
        implementation=implementation,
        action=Act.REPLY,
        actor=actor,
        inputs=Inputs(note=text),
        public=public,
        via=via,
    )


# --------------------------------------------------------------------------- helpers


def _queue_notice(change_id: int) -> None:
    """Publish after the commit; a broker outage never undoes a step (the catch-up resends)."""
    task_publish(NOTIFY_TASK, args=[[change_id]], what=f"implementation notice {change_id}")


def _already_changed(pk: int) -> AlreadyChanged:
    current = Implementation.objects.select_related("status_changed_by").filter(pk=pk).first()
    if current is None:  # withdrawn with the idea's excellent rating meanwhile
        return AlreadyChanged(_("这条金点子的优秀评定已被撤销，请刷新后再操作。"))
    local = timezone.localtime(current.status_changed_at) if current.status_changed_at else None
    return AlreadyChanged(
        _(
            "这条金点子的落实情况已被 %(who)s 于 %(when)s 更新（当前“%(status)s”，进度 "
            "%(percent)s%%），请刷新后再操作。"
        )
        % {
            "who": current.status_changed_by or _("他人"),
            "when": local.strftime("%Y-%m-%d %H:%M:%S") if local else "-",
            "status": current.get_status_display(),
            "percent": current.percent,
        }
    )
