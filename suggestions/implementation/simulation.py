"""A plausible adoption and implementation history for a simulated campaign's excellent
ideas, so the dashboard, the reports and the briefing show it at scale.

Roughly: a tenth still under study, a third adopted, the rest for reference or not
adopted; of the adopted, most assigned to the idea's own reporting unit (some to a city
department), most completed within 90 days, some in progress and some of those overdue.
Written in bulk (a few thousand rows at scale 1) with one history row per step, the same
chain the workflow would have written; repeatable with the same seed.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from suggestions.common.time import local_date
from suggestions.models import (
    ActionVia,
    Campaign,
    Implementation,
    ImplementationAction,
    ImplementationChange,
    ImplementationStatus,
    Status,
    Suggestion,
)
from units.models import REPORTING_KINDS, Unit, UnitKind

St, Act = ImplementationStatus, ImplementationAction
# Decision on an excellent idea: (status, weight).
DECISIONS = [(St.PENDING, 10), (St.ADOPTED, 32), (St.REFERENCE, 40), (St.NOT_ADOPTED, 18)]
# Where an adopted idea stands now: (status, weight).
PROGRESS = [
    (St.ADOPTED, 5),
    (St.ASSIGNED, 5),
    (St.IN_PROGRESS, 20),
    (St.COMPLETED, 10),
    (St.CONFIRMED, 60),
]
DUE_DAYS = 90


@dataclass
class ImplementationSimulation:
    implementations: int
    history: int


def _pick(rng: random.Random, weighted) -> str:
    return rng.choices([s for s, _w in weighted], [w for _s, w in weighted])[0]


def implementations_simulate(
    *, campaign: Campaign, seed: int = 2021, now: datetime | None = None
) -> ImplementationSimulation:
    """Give every excellent idea of the campaign without a record a simulated history."""
    rng = random.Random(seed)  # noqa: S311 (repeatable fake data, not secrets)
    now = now or timezone.now()
    units = {u.pk: u for u in Unit.objects.all()}
    by_code = {u.code: u for u in units.values()}
    departments = [u for u in units.values() if u.kind == UnitKind.DEPARTMENT and u.is_active]
    ideas = list(
        Suggestion.objects.filter(
            campaign=campaign, status=Status.EXCELLENT, implementation__isnull=True
        )
        .order_by("pk")
        .values_list("pk", "unit_id", "status_changed_at", "received_at")
    )
    records, steps_of = [], []
    for pk, unit_id, excellent_at, received_at in ideas:
        at = min((excellent_at or received_at) + timedelta(days=rng.randint(3, 20)), now)
        record = Implementation(suggestion_id=pk, campaign_id=campaign.pk, created_at=at)
        steps: list[tuple] = []  # (action, from, to, at, note, percent, public)
        decision = _pick(rng, DECISIONS)
        if decision == St.PENDING:
            records.append(record)
            steps_of.append(steps)
            continue
        note = {St.NOT_ADOPTED: "暂不具备实施条件", St.REFERENCE: "作为相关工作参考"}.get(
            decision, "列入年度重点工作"
        )
        action = {St.ADOPTED: Act.ADOPT, St.REFERENCE: Act.REFERENCE}.get(decision, Act.NOT_ADOPT)
        steps.append((action, St.PENDING, decision, at, note, None, True))
        state = decision
        if decision == St.ADOPTED:
            target = _pick(rng, PROGRESS)
            if target != St.ADOPTED:
                lead = _lead_unit(rng, units[unit_id], by_code, departments)
                if target in (St.ASSIGNED, St.IN_PROGRESS):
                    # Still open today: assigned 10–150 days ago, so some are past due.
                    assigned = now - timedelta(days=rng.randint(10, 150))
                else:
                    assigned = min(at + timedelta(days=rng.randint(1, 7)), now)
                due = local_date(assigned) + timedelta(days=DUE_DAYS)
                record.lead_unit, record.due_date = lead, due
                record.assigned_at = record.last_progress_at = assigned
                steps.append((Act.ASSIGN, St.ADOPTED, St.ASSIGNED, assigned, "", None, True))
                state, at = St.ASSIGNED, assigned
                if target != St.ASSIGNED:
                    percent = rng.choice([20, 30, 40, 50, 60, 70, 80])
                    at = min(at + timedelta(days=rng.randint(5, 40)), now)
                    steps.append(
                        (Act.PROGRESS, state, St.IN_PROGRESS, at, "按计划推进", percent, True)
                    )
                    state, record.percent, record.last_progress_at = St.IN_PROGRESS, percent, at
                if target in (St.COMPLETED, St.CONFIRMED):
                    at = min(at + timedelta(days=rng.randint(5, 45)), now)
                    steps.append((Act.COMPLETE, state, St.COMPLETED, at, "已办结", 100, True))
                    state, record.percent, record.last_progress_at = St.COMPLETED, 100, at
                if target == St.CONFIRMED:
                    at = min(at + timedelta(days=rng.randint(1, 10)), now)
                    steps.append((Act.CONFIRM, state, St.CONFIRMED, at, "", None, True))
                    state = St.CONFIRMED
        record.status = state
        record.version = len(steps)
        record.status_changed_at = steps[-1][3]
        records.append(record)
        steps_of.append(steps)
    with transaction.atomic():
        Implementation.objects.bulk_create(records, batch_size=1000)
        history = [
            ImplementationChange(
                implementation=record,
                at=at,
                action=action,
                from_status=frm,
                to_status=to,
                note=note,
                percent=percent,
                lead_unit=record.lead_unit if action == Act.ASSIGN else None,
                due_date=record.due_date if action == Act.ASSIGN else None,
                public=public,
                via=ActionVia.SYSTEM,
            )
            for record, steps in zip(records, steps_of, strict=True)
            for action, frm, to, at, note, percent, public in steps
        ]
        ImplementationChange.objects.bulk_create(history, batch_size=1000)
    return ImplementationSimulation(implementations=len(records), history=len(history))


def _lead_unit(rng: random.Random, unit: Unit, by_code: dict, departments: list) -> Unit:
    """The idea's reporting unit (a town's county), or now and then a city department."""
    if departments and rng.random() < 0.2:
        return rng.choice(departments)
    for code in reversed(unit.path.strip("/").split("/")):
        found = by_code.get(code)
        if found is not None and found.kind in REPORTING_KINDS and found.is_active:
            return found
    return rng.choice(departments) if departments else unit
