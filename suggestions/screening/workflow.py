"""The screening workflow: every status change of an idea happens here.

    collected ──stage 1──> shortlisted ──stage 2──> excellent
        │                      │
        └──stage 1──> set_aside <──stage 2

Stage 1 belongs to screeners of the idea's unit (or a parent unit), stage 2 to
city reviewers; administrators may do either. A step back needs a reason and a
role above the one that took the decision being undone. Every change writes one
append-only StatusChange row in the same transaction as the status update.

Unit reporting (报送): once a unit (or the reporting unit above it, e.g. a
town's county) has reported its stage 1 for a campaign, stage-1 decisions on its
ideas are frozen until a city administrator reopens the report.

Outcomes (excellent, set aside) are announced to the submitter by a Celery task
queued after the commit (suggestions.screening.notifications picks the channel).

Undo (撤销): a separate, narrow rule. The person who took a decision may take it
back within UNDO_SECONDS, as long as it is still the idea's last status change
(nobody else has acted since) and was not itself an undo. The undo is a new
history row (via=ActionVia.UNDO); nothing is rewritten. Every other step back
keeps its higher-role rule above.

Adoption (大家干): rating an idea excellent opens its 待研究 implementation record in the
same transaction (suggestions.implementation.workflow); taking the rating back drops that
record while nothing was decided on it, and is refused once the city has decided on its
adoption (the adoption is reopened first, where the implementation workflow allows it).

Concurrency: the status column is updated with a condition on the status the
actor saw, so of two staff acting at once exactly one wins and the other is told
who changed it and when; history therefore never skips a stage.
"""

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Count, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from jincheng_portal.metrics import decisions_counted
from suggestions.common import rules
from suggestions.common.broker import task_publish
from suggestions.common.rules import Actor
from suggestions.implementation.workflow import (
    implementations_decided,
    implementations_open_rated,
    implementations_withdraw,
)
from suggestions.models import (
    ActionVia,
    Campaign,
    ImplementationStatus,
    Score,
    Status,
    StatusChange,
    Suggestion,
    UnitReport,
)
from units.models import Unit

logger = logging.getLogger(__name__)

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
# Decisions that belong to (or undo) a unit's stage 1: frozen once the unit reported.
STAGE_1_DECISIONS = {(C, S), (C, X), (S, C), (X, C)}
# Outcomes the submitter is told about.
NOTIFIED_OUTCOMES = {E, X}
# Celery task that announces outcomes (suggestions.screening.tasks).
OUTCOME_NOTIFY_TASK = "suggestions.outcome_notify"
SCORE_CRITERIA = ("feasibility", "innovation", "benefit", "cost", "replicability")
# How long the author of a decision may take it back (suggestion_undo).
UNDO_SECONDS = 10
# Outcome notices wait until a decision can no longer be undone (the send re-reads the status).
OUTCOME_NOTICE_DELAY_SECONDS = UNDO_SECONDS + 5


class TransitionRefused(Exception):
    """A decision the workflow does not allow; the message is for the user."""


class AlreadyChanged(TransitionRefused):
    """Someone else changed the idea between reading and deciding."""


def allowed_targets(
    actor: Actor, suggestion: Suggestion, *, frozen: bool | None = None
) -> list[str]:
    """The states this actor could move the idea to now (for buttons and menus).

    ``frozen`` is the idea's 报送 freeze when the caller has already read it
    (unit_is_frozen), so a page does not read it twice."""
    if frozen is None:
        frozen = suggestion.pk in _frozen_ids([suggestion])
    decided = _adoption_decided([suggestion], lock=False)
    return [
        to
        for (frm, to) in TRANSITIONS
        if frm == suggestion.status
        and _refusal(
            actor,
            suggestion,
            to,
            reason="-",
            frozen=frozen,
            adoption=decided.get(suggestion.pk),
        )
        is None
    ]


def _adoption_decided(suggestions: list[Suggestion], lock: bool = True) -> dict[int, str]:
    """Excellent ideas among these whose adoption was decided: id -> implementation status
    (records locked, for a decision inside its transaction; lock=False for buttons)."""
    ids = [s.pk for s in suggestions if s.status == E]
    return implementations_decided(suggestion_ids=ids, lock=lock) if ids else {}


def _refusal(
    actor: Actor,
    suggestion: Suggestion,
    to_status: str,
    reason: str,
    frozen: bool = False,
    adoption: str | None = None,
) -> str | None:
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
    if frozen and (frm, to_status) in STAGE_1_DECISIONS:
        # Applies to administrators too: they reopen the report first, on the record.
        return _("该单位已报送初筛结果，初筛决定已锁定；如需修改请由市级管理员退回报送。")
    allowed = {
        STAGE_1: lambda: rules.can_decide_stage1(actor, suggestion),
        STAGE_2: lambda: rules.can_decide_stage2(actor),
        BACK_REVIEWER: lambda: rules.can_undo_stage1(actor),
        BACK_ADMIN: lambda: rules.can_undo_stage2(actor),
    }[rule]
    if allowed():
        if frm == E and adoption is not None:
            return _adoption_decided_refusal(adoption)
        return None
    return {
        STAGE_1: _("只有本单位的初筛员可以初筛这条金点子。"),
        STAGE_2: _("只有市级评审员可以进行第二阶段评审。"),
        BACK_REVIEWER: _("退回上一阶段需要市级评审员或管理员。"),
        BACK_ADMIN: _("撤销优秀金点子评定需要管理员。"),
    }[rule]


@dataclass
class BulkResult:
    changed: list[StatusChange] = field(default_factory=list)
    refused: list[tuple[Suggestion, TransitionRefused]] = field(default_factory=list)


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


@decisions_counted  # Prometheus counter by transition, counted on commit
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
    suggestions = list(suggestions)
    with transaction.atomic():
        frozen = _frozen_ids(suggestions)
        decided = _adoption_decided(suggestions)
        candidates = []
        for suggestion in suggestions:
            why = _refusal(
                actor,
                suggestion,
                to_status,
                reason,
                frozen=suggestion.pk in frozen,
                adoption=decided.get(suggestion.pk),
            )
            if why is None:
                candidates.append(suggestion)
            else:
                result.refused.append((suggestion, TransitionRefused(why)))
        by_status: dict[str, list[Suggestion]] = {}
        for suggestion in candidates:
            by_status.setdefault(suggestion.status, []).append(suggestion)
        for from_status, group in by_status.items():
            ids = [s.pk for s in group]
            if len(ids) == 1:
                # One idea (the desk's usual case): the conditional UPDATE alone says
                # whether it was still in the state the actor saw (PostgreSQL re-checks
                # the WHERE after waiting for a concurrent writer), one statement less.
                changed = (
                    Suggestion.objects.filter(pk=ids[0], status=from_status).update(
                        status=to_status, status_changed_at=now, status_changed_by=actor.user
                    )
                    == 1
                )
                still = set(ids) if changed else set()
            else:
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
        _implementation_follow(result.changed)
        if to_status in NOTIFIED_OUTCOMES and result.changed:
            change_ids = [c.pk for c in result.changed]
            transaction.on_commit(lambda: _queue_outcome_notifications(change_ids))
    return result


def _implementation_follow(changes: list[StatusChange]) -> None:
    """Open the 待研究 record of ideas now excellent, drop it for ideas no longer excellent
    (same transaction as the status change, so the two can never disagree)."""
    became = [c.suggestion for c in changes if c.to_status == E]
    left = [c.suggestion.pk for c in changes if c.from_status == E and c.to_status != E]
    if became:
        implementations_open_rated(ideas=became)
    if left:
        implementations_withdraw(suggestion_ids=left)


def _adoption_decided_refusal(adoption: str) -> str:
    return _(
        "这条金点子已有采纳决定（“%(status)s”），不能撤销优秀评定；"
        "如需改变，请先由管理员在落实台账中重新研究。"
    ) % {"status": ImplementationStatus(adoption).label}


def _queue_outcome_notifications(change_ids: list[int]) -> None:
    """Publish after the commit; a broker outage never undoes or fails a decision
    (the catch-up task resends what was not queued)."""
    task_publish(
        OUTCOME_NOTIFY_TASK,
        args=[change_ids],
        what=f"outcome notices for {len(change_ids)} changes",
        countdown=OUTCOME_NOTICE_DELAY_SECONDS,
    )


def _frozen_ids(suggestions: list[Suggestion]) -> set[int]:
    """Ideas whose unit, or a unit above it, has reported its stage 1 (two small queries)."""
    if not suggestions:
        return set()
    campaign_ids = {s.campaign_id for s in suggestions}
    reported = set(
        UnitReport.objects.reported()
        .filter(campaign_id__in=campaign_ids)
        .values_list("campaign_id", "unit__path")
    )
    if not reported:
        return set()
    paths = dict(
        Unit.objects.filter(pk__in={s.unit_id for s in suggestions}).values_list("pk", "path")
    )
    frozen = set()
    for s in suggestions:
        path = paths.get(s.unit_id, "")
        if any(c == s.campaign_id and path.startswith(p) for c, p in reported):
            frozen.add(s.pk)
    return frozen


def unit_is_frozen(*, campaign: Campaign, unit: Unit) -> bool:
    """True when the unit or a unit above it has reported its stage 1 for the campaign."""
    return any(
        unit.path.startswith(path)
        for path in UnitReport.objects.reported()
        .filter(campaign=campaign)
        .values_list("unit__path", flat=True)
    )


# --- undo: one's own last decision, within seconds -----------------------------


def undo_refusal(*, actor: Actor, suggestion: Suggestion, last: StatusChange | None, now=None):
    """Why ``actor`` may not undo ``last`` (the idea's newest history row), or None."""
    now = now or timezone.now()
    if last is None or not last.from_status or last.via == ActionVia.UNDO:
        return _("没有可以撤销的决定。")
    if actor.user is None or last.actor_id != getattr(actor.user, "pk", None):
        return _("只能撤销自己刚做的决定。")
    if (now - last.at).total_seconds() > UNDO_SECONDS:
        return _("撤销时限（%(n)d 秒）已过；如需修改请走退回流程。") % {"n": UNDO_SECONDS}
    if suggestion.status != last.to_status:
        return _already_changed(suggestion.pk).args[0]
    # The author must still be allowed the decision being taken back (role, unit, 报送 freeze).
    before = Suggestion(
        pk=suggestion.pk,
        status=last.from_status,
        unit_id=suggestion.unit_id,
        campaign_id=suggestion.campaign_id,
    )
    frozen = suggestion.pk in _frozen_ids([before])
    why = _refusal(actor, before, last.to_status, reason="-", frozen=frozen)
    if why is None and suggestion.status == E:
        # Taking back a rating of excellent: refused once the adoption was decided.
        # Locked when called by suggestion_undo (in its transaction), a plain read otherwise.
        locked = transaction.get_connection().in_atomic_block
        adoption = _adoption_decided([suggestion], lock=locked).get(suggestion.pk)
        if adoption is not None:
            return _adoption_decided_refusal(adoption)
    return why


def suggestion_undo(*, suggestion: Suggestion, actor: Actor) -> StatusChange:
    """Take back the actor's own last decision on this idea (see the module docstring)."""
    with transaction.atomic():
        current = Suggestion.objects.select_for_update().get(pk=suggestion.pk)
        last = StatusChange.objects.filter(suggestion=current).order_by("-at", "-pk").first()
        now = timezone.now()
        why = undo_refusal(actor=actor, suggestion=current, last=last, now=now)
        if why is not None:
            raise TransitionRefused(why)
        Suggestion.objects.filter(pk=current.pk).update(
            status=last.from_status, status_changed_at=now, status_changed_by=actor.user
        )
        change = StatusChange.objects.create(
            suggestion=current,
            actor=actor.user,
            at=now,
            from_status=last.to_status,
            to_status=last.from_status,
            reason=_("撤销本人 %(seconds)d 秒内的决定") % {"seconds": UNDO_SECONDS},
            via=ActionVia.UNDO,
        )
        _implementation_follow([change])
    suggestion.status = last.from_status
    suggestion.status_changed_at = now
    suggestion.status_changed_by = actor.user
    return change


# --- 报送: unit reporting ----------------------------------------------------


def unit_report_submit(*, campaign: Campaign, unit: Unit, actor: Actor) -> UnitReport:
    """A reporting unit's screener (or an administrator) declares its stage 1 done."""
    if not unit.is_reporting:
        raise TransitionRefused(_("只有县（市、区）、开发区和市直单位报送，乡镇随所属县区报送。"))
    if not rules.can_report(actor, unit):
        raise TransitionRefused(_("只有本单位的初筛员可以报送本单位的初筛结果。"))
    with transaction.atomic():
        report, _created = UnitReport.objects.select_for_update().get_or_create(
            campaign=campaign, unit=unit
        )
        if report.reported_at is not None:
            raise TransitionRefused(_("该单位已报送，无需重复报送。"))
        report.reported_at = timezone.now()
        report.reported_by = actor.user
        report.save(update_fields=["reported_at", "reported_by"])
    return report


def unit_report_reopen(*, campaign: Campaign, unit: Unit, actor: Actor) -> UnitReport:
    """A city administrator reopens a unit's report so its stage 1 can change again."""
    if not rules.can_reopen_report(actor):
        raise TransitionRefused(_("只有市级管理员可以退回单位报送。"))
    with transaction.atomic():
        report = UnitReport.objects.select_for_update().filter(campaign=campaign, unit=unit).first()
        if report is None or report.reported_at is None:
            raise TransitionRefused(_("该单位尚未报送。"))
        report.reported_at = None
        report.reported_by = None
        report.reopened_at = timezone.now()
        report.reopened_by = actor.user
        report.save(update_fields=["reported_at", "reported_by", "reopened_at", "reopened_by"])
    return report


# --- stage 2: scoring ---------------------------------------------------------


def suggestion_score(*, suggestion: Suggestion, actor: Actor, marks: dict[str, int]) -> Score:
    """A city reviewer scores a shortlisted idea (one row per reviewer, re-scoring replaces it).

    Suggestion.score_mean/score_count are recomputed in the same transaction, under
    a lock on the idea, so two reviewers scoring at once cannot lose a mark.
    """
    if not rules.can_score(actor):
        raise TransitionRefused(_("只有市级评审员可以评分。"))
    if set(marks) != set(SCORE_CRITERIA):
        raise TransitionRefused(_("请为五项指标全部打分。"))
    for value in marks.values():
        if not isinstance(value, int) or not 1 <= value <= 5:
            raise TransitionRefused(_("每项评分须为 1 到 5 的整数。"))
    with transaction.atomic():
        current = Suggestion.objects.select_for_update().get(pk=suggestion.pk)
        if current.status != Status.SHORTLISTED:
            raise TransitionRefused(_("只能为初选入围的金点子评分。"))
        # One statement (INSERT … ON CONFLICT DO UPDATE): re-scoring replaces the row.
        (score,) = Score.objects.bulk_create(
            [Score(suggestion=current, reviewer=actor.user, scored_at=timezone.now(), **marks)],
            update_conflicts=True,
            unique_fields=["suggestion", "reviewer"],
            update_fields=[*SCORE_CRITERIA, "scored_at"],
        )
        agg = Score.objects.filter(suggestion=current).aggregate(
            count=Count("pk"), **{name: Sum(name) for name in SCORE_CRITERIA}
        )
        count = agg["count"]
        mean = sum(agg[name] for name in SCORE_CRITERIA) / (5 * count)
        Suggestion.objects.filter(pk=current.pk).update(score_mean=mean, score_count=count)
        suggestion.score_mean, suggestion.score_count = mean, count
    return score


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
