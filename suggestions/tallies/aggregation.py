"""The one aggregation module: every figure the dashboard, reports and showcase show.

Writing (tally_run): a few grouped SQL queries per run, rolled up through the unit
hierarchy in Python over the grouped rows (never over ideas), upserted in one
transaction. Reading (tallies_live and friends): the latest snapshot plus the
change since its cutoff, read from the few rows received or decided after it.

Consistency. A snapshot describes one moment, the cutoff, a little in the past
(TALLY_SETTLE_SECONDS) so that every write transaction stamped before the cutoff
has committed when the tally reads. The reads run in one REPEATABLE READ
transaction on PostgreSQL (one serialised transaction on SQLite): the state at
the cutoff is the current state minus the changes after the cutoff, read from
the same database snapshot, so snapshot + live change always equals the ideas'
current states. Received counts as the day's "collected"; StatusChange rows give
every other transition (a history row from "" is intake's own record of the
receipt and is not counted twice).
"""

from __future__ import annotations

import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Case, Count, F, IntegerField, Q, Subquery, Value, When
from django.db.models.functions import TruncDate
from django.utils import timezone

from suggestions.common.time import LOCAL_TZ, local_date, local_day_start
from suggestions.models import (
    ADOPTED_STATES,
    Campaign,
    Dimension,
    ImplementationStatus,
    Status,
    StatusChange,
    Suggestion,
    Tally,
    TallyRun,
    UnitReport,
    repeat_q,
    representative_q,
)
from units.models import REPORTING_KINDS, Unit

if TYPE_CHECKING:
    from collections.abc import Collection, Mapping

# Dimension -> the idea's field it groups by ("all" groups by nothing).
DIMENSION_FIELDS: dict[str, str | None] = {
    Dimension.ALL: None,
    Dimension.CHANNEL: "channel",
    Dimension.TOPIC: "topic_id",
    Dimension.IDENTITY: "identity_type",
}
# What every tally query groups ideas by: the unit and each dimension's field…
GROUPING = ("unit_id", *(name for name in DIMENSION_FIELDS.values() if name))
# …and the same fields reached from a decision.
HISTORY_GROUPING = tuple(f"suggestion__{name}" for name in GROUPING)
# Plain strings, not the enum members: they are dict keys next to values read from the database.
STATES = tuple(
    s.value for s in (Status.COLLECTED, Status.SHORTLISTED, Status.EXCELLENT, Status.SET_ASIDE)
)
# StatusChange.to_status -> the day column it counts in (receipt is "day_received").
DAY_COLUMNS = {
    Status.SHORTLISTED.value: "day_shortlisted",
    Status.EXCELLENT.value: "day_excellent",
    Status.SET_ASIDE.value: "day_set_aside",
}
STATE_FIELDS = ["total", "collected", "shortlisted", "excellent", "set_aside"]
DAY_FIELDS = ["day_received", "day_shortlisted", "day_excellent", "day_set_aside"]

Key = tuple  # (unit_id, day, dimension, key)


def settle_seconds() -> int:
    return int(getattr(settings, "TALLY_SETTLE_SECONDS", 30))


# --------------------------------------------------------------------------- units


@dataclass
class UnitTree:
    """Units with their ancestors, read once: roll-ups happen over grouped rows in memory."""

    units: dict[int, dict]
    ancestors: dict[int, list[int]]  # unit id -> [root, …, itself]

    @classmethod
    def load(cls) -> UnitTree:
        units = {
            row["id"]: row
            for row in Unit.objects.values(
                "id", "code", "name", "kind", "parent_id", "path", "sort_order"
            )
        }
        by_code = {row["code"]: row["id"] for row in units.values()}
        ancestors = {
            uid: [by_code[code] for code in row["path"].strip("/").split("/") if code in by_code]
            for uid, row in units.items()
        }
        return cls(units=units, ancestors=ancestors)

    def children(self, unit_id: int | None) -> list[int]:
        found = [uid for uid, row in self.units.items() if row["parent_id"] == unit_id]
        return sorted(
            found, key=lambda uid: (self.units[uid]["sort_order"], self.units[uid]["code"])
        )

    def subtree(self, unit_id: int) -> set[int]:
        return {uid for uid, chain in self.ancestors.items() if unit_id in chain}

    def root_id(self) -> int | None:
        roots = self.children(None)
        return roots[0] if roots else None


def _roll_up(leaf: dict[Key, Counter], tree: UnitTree) -> dict[Key, Counter]:
    """Add each unit's grouped figures to the unit and to every unit above it."""
    rolled: dict[Key, Counter] = defaultdict(Counter)
    for (unit_id, *rest), counts in leaf.items():
        for ancestor in tree.ancestors.get(unit_id, [unit_id]):
            rolled[(ancestor, *rest)].update(counts)
    return rolled


# --------------------------------------------------------------------------- queries


def _key_of(row: dict, dimension: str, prefix: str = "") -> str:
    name = DIMENSION_FIELDS[dimension]
    return "" if name is None else str(row[prefix + name])


def tally_querysets(*, campaign_id: int, cutoff: datetime, since_day: date | None) -> dict:
    """The grouped queries a tally is built on (named, so bench/tally can time them bare)."""
    ideas = Suggestion.objects.filter(campaign_id=campaign_id)
    history = StatusChange.objects.filter(suggestion__campaign_id=campaign_id).exclude(
        from_status=""
    )
    window = Q(received_at__lte=cutoff)
    hwindow = Q(at__lte=cutoff)
    if since_day is not None:
        window &= Q(received_at__gte=local_day_start(since_day))
        hwindow &= Q(at__gte=local_day_start(since_day))
    queries = {
        # One scan for every dimension's state counts (fanned out in memory) and for
        # the idea groups: is_rep marks a group's representative or an unchecked idea.
        "state": ideas.annotate(
            is_rep=Case(
                When(representative_q(), then=Value(1)),
                default=Value(0),
                output_field=IntegerField(),
            )
        )
        .values(*GROUPING, "status", "is_rep")
        .annotate(n=Count("id"))
        .order_by(),
        # Members of a group filed under another unit than their representative.
        "group_members": ideas.filter(repeat_q())
        .exclude(duplicate_of__unit_id=F("unit_id"))
        .values_list("unit_id", "duplicate_of_id", "duplicate_of__unit_id"),
    }
    # Per-day transitions, grouped by every dimension at once and fanned out in memory.
    queries["received_by_day"] = (
        ideas.filter(window)
        .annotate(day=TruncDate("received_at", tzinfo=LOCAL_TZ))
        .values(*GROUPING, "day")
        .annotate(n=Count("id"))
        .order_by()
    )
    queries["decided_by_day"] = (
        history.filter(hwindow, to_status__in=list(DAY_COLUMNS))
        .annotate(day=TruncDate("at", tzinfo=LOCAL_TZ))
        .values(*HISTORY_GROUPING, "day", "to_status")
        .annotate(n=Count("id"))
        .order_by()
    )
    # Changes after the cutoff, taken back off the current state (cheap: few rows).
    queries["received_after"] = (
        ideas.filter(received_at__gt=cutoff).values(*GROUPING).annotate(n=Count("id")).order_by()
    )
    queries["decided_after"] = (
        history.filter(at__gt=cutoff)
        .values(*HISTORY_GROUPING, "from_status", "to_status")
        .annotate(n=Count("id"))
        .order_by()
    )
    return queries


def _apply_change(
    target: dict[Key, Counter],
    *,
    received: list[dict],
    decided: list[dict],
    day: date | None,
    sign: int,
    dims: Mapping[str, str | None] = DIMENSION_FIELDS,
) -> None:
    """Add (sign=1) or take back (sign=-1) receipts and decisions, per dimension."""
    for row in received:
        for dim in dims:
            counts = target[(row["unit_id"], day, dim, _key_of(row, dim))]
            counts["total"] += sign * row["n"]
            counts[Status.COLLECTED.value] += sign * row["n"]
    for row in decided:
        for dim in dims:
            counts = target[
                (row["suggestion__unit_id"], day, dim, _key_of(row, dim, "suggestion__"))
            ]
            counts[row["to_status"]] += sign * row["n"]
            counts[row["from_status"]] -= sign * row["n"]


def _begin_consistent_read(outermost: bool) -> None:
    # One database snapshot for every query of the run (must be the first statement of
    # the transaction; inside a caller's transaction, e.g. a test, the caller's holds).
    if outermost and connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")


def _compute(
    campaign_id: int, cutoff: datetime, since_day: date | None, tree: UnitTree
) -> tuple[dict[Key, Counter], dict[Key, Counter], dict[int, int]]:
    today = local_date(cutoff)
    queries = tally_querysets(campaign_id=campaign_id, cutoff=cutoff, since_day=since_day)
    state: dict[Key, Counter] = defaultdict(Counter)
    days: dict[Key, Counter] = defaultdict(Counter)
    reps: dict[Key, Counter] = defaultdict(Counter)
    for row in queries["state"]:
        n = row["n"]
        for dim in DIMENSION_FIELDS:
            counts = state[(row["unit_id"], today, dim, _key_of(row, dim))]
            counts[row["status"]] += n
            counts["total"] += n
        if row["is_rep"]:
            reps[(row["unit_id"],)]["groups"] += n
    for row in queries["received_by_day"]:
        for dim in DIMENSION_FIELDS:
            days[(row["unit_id"], row["day"], dim, _key_of(row, dim))]["day_received"] += row["n"]
    for row in queries["decided_by_day"]:
        column = DAY_COLUMNS[row["to_status"]]
        for dim in DIMENSION_FIELDS:
            key = (row["suggestion__unit_id"], row["day"], dim, _key_of(row, dim, "suggestion__"))
            days[key][column] += row["n"]
    _apply_change(
        state,
        received=list(queries["received_after"]),
        decided=list(queries["decided_after"]),
        day=today,
        sign=-1,
    )
    # Distinct groups of a unit's subtree: its representatives and unchecked ideas, plus
    # representatives filed outside the subtree that one of its ideas belongs to.
    groups = {uid: counts["groups"] for (uid,), counts in _roll_up(reps, tree).items()}
    outside: dict[int, set[int]] = defaultdict(set)
    for unit_id, rep_id, rep_unit_id in queries["group_members"]:
        rep_chain = set(tree.ancestors.get(rep_unit_id, [rep_unit_id]))
        for ancestor in tree.ancestors.get(unit_id, [unit_id]):
            if ancestor not in rep_chain:
                outside[ancestor].add(rep_id)
    for uid, extra in outside.items():
        groups[uid] = groups.get(uid, 0) + len(extra)
    return _roll_up(state, tree), _roll_up(days, tree), groups


# --------------------------------------------------------------------------- writing


@dataclass
class TallyResult:
    run: TallyRun
    written: bool


def _stored_run(campaign_id: int, run_key: str) -> TallyRun | None:
    return TallyRun.objects.filter(campaign_id=campaign_id, run_key=run_key).first()


def tally_run(
    *, campaign_id: int, now: datetime | None = None, run_key: str | None = None
) -> TallyResult:
    """Compute and store the campaign's snapshot; safe to run twice or concurrently.

    run_key names the request the run answers (the Celery task passes its task id).
    Called again with the same key (a redelivered message whose first delivery
    committed before its worker died, or two deliveries at once) it returns the run
    stored under that key (written=False) without recomputing or writing anything.
    Without a key every call is a run of its own (the tally command, in-process calls).
    """
    if run_key is None:
        run_key = uuid.uuid4().hex
    elif (stored := _stored_run(campaign_id, run_key)) is not None:
        return TallyResult(run=stored, written=False)
    started = time.monotonic()
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settle_seconds())
    today = local_date(cutoff)
    tree = UnitTree.load()
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        _begin_consistent_read(outermost)
        previous = TallyRun.objects.filter(campaign_id=campaign_id).order_by("-cutoff").first()
        # Days before the previous cutoff's day are final: recompute from that day on.
        since_day = local_date(previous.cutoff) if previous else None
        state, days, groups = _compute(campaign_id, cutoff, since_day, tree)

    with transaction.atomic():
        # Runs of one campaign write one after the other; an older run never
        # overwrites a newer one.
        Campaign.objects.select_for_update().filter(pk=campaign_id).first()
        # Another delivery of the same request may have stored it while this one
        # computed (the lock makes it wait for that one's COMMIT).
        if (stored := _stored_run(campaign_id, run_key)) is not None:
            return TallyResult(run=stored, written=False)
        latest = TallyRun.objects.filter(campaign_id=campaign_id).order_by("-cutoff").first()
        if latest is not None and latest.cutoff > cutoff:
            return TallyResult(run=latest, written=False)
        # Only rows whose figures changed are written (most don't between two runs).
        current = Tally.objects.filter(campaign_id=campaign_id)
        if since_day is not None:
            current = current.filter(day__gte=since_day)
        existing = {
            row[:4]: row[4:]
            for row in current.values_list(
                "unit_id", "day", "dimension", "key", *STATE_FIELDS, "groups", *DAY_FIELDS, "id"
            )
        }
        rows_today, rows_past = [], []
        for key in sorted(set(state) | set(days), key=_sort_key):
            unit_id, day, dim, dim_key = key
            counts = state.get(key, Counter())
            day_counts = days.get(key, Counter())
            day_values = tuple(day_counts[name] for name in DAY_FIELDS)
            before = existing.pop(key, None)
            if day == today:
                values = (
                    counts["total"],
                    *(counts[status] for status in STATES),
                    groups.get(unit_id, 0) if dim == Dimension.ALL else None,
                    *day_values,
                )
                if before is not None and before[:-1] == values:
                    continue
                rows_today.append((unit_id, day, dim, dim_key, *values))
            else:
                if before is not None and before[6:-1] == day_values:
                    continue
                rows_past.append((unit_id, day, dim, dim_key, 0, 0, 0, 0, 0, None, *day_values))
        _upsert(campaign_id, cutoff, rows_today, [*STATE_FIELDS, "groups", *DAY_FIELDS])
        # Past days: only their transitions; their states stay as that day's last run left them.
        _upsert(campaign_id, cutoff, rows_past, DAY_FIELDS)
        # Rows this run did not produce describe nothing any more in the days it covers.
        stale_today = [v[-1] for k, v in existing.items() if k[1] == today and any(v[:-1])]
        stale_past = [v[-1] for k, v in existing.items() if k[1] != today and any(v[6:-1])]
        Tally.objects.filter(pk__in=stale_today).update(
            **{name: 0 for name in [*STATE_FIELDS, *DAY_FIELDS]}, groups=0, computed_at=cutoff
        )
        Tally.objects.filter(pk__in=stale_past).update(
            **{name: 0 for name in DAY_FIELDS}, computed_at=cutoff
        )
        run = TallyRun.objects.create(
            campaign_id=campaign_id,
            cutoff=cutoff,
            day=today,
            started_at=now,
            finished_at=timezone.now(),
            duration_ms=int((time.monotonic() - started) * 1000),
            rows_written=len(rows_today) + len(rows_past) + len(stale_today) + len(stale_past),
            run_key=run_key,
        )
    return TallyResult(run=run, written=True)


def _upsert(campaign_id: int, cutoff: datetime, rows: list[tuple], update: list[str]) -> None:
    """INSERT … ON CONFLICT DO UPDATE in multi-row statements (PostgreSQL and SQLite ≥ 3.24).

    Django's bulk_create(update_conflicts=True) does the same but prepares every value
    through the field machinery, which took most of a first run's time at 45,000 rows."""
    if not rows:
        return
    ops = connection.ops
    columns = [
        "campaign_id", "unit_id", "day", "dimension", "key",
        *STATE_FIELDS, "groups", *DAY_FIELDS, "computed_at",
    ]  # fmt: skip
    computed_at = ops.adapt_datetimefield_value(cutoff)
    table = Tally._meta.db_table
    assignments = ", ".join(f"{name} = EXCLUDED.{name}" for name in [*update, "computed_at"])
    one = "(" + ", ".join(["%s"] * len(columns)) + ")"
    with connection.cursor() as cursor:
        for start in range(0, len(rows), 1000):
            batch = rows[start : start + 1000]
            params = []
            for unit_id, day, *rest in batch:
                params += [campaign_id, unit_id, ops.adapt_datefield_value(day), *rest, computed_at]
            # Table and column names come from the model; every value is a bound parameter.
            sql = (
                f"INSERT INTO {table} ({', '.join(columns)}) VALUES {', '.join([one] * len(batch))}"  # noqa: S608
                " ON CONFLICT (campaign_id, unit_id, day, dimension, key)"
                f" DO UPDATE SET {assignments}"
            )
            cursor.execute(sql, params)


def _sort_key(key: Key) -> tuple:
    # A fixed order for the upsert, so concurrent writers take row locks in the same order.
    unit_id, day, dim, dim_key = key
    return (unit_id, day, dim, dim_key)


# --------------------------------------------------------------------------- reading


@dataclass
class Figures:
    total: int = 0
    collected: int = 0
    shortlisted: int = 0
    excellent: int = 0
    set_aside: int = 0
    groups: int | None = None

    @property
    def pass_rate(self) -> float | None:
        """Excellent ÷ collected (all ideas received)."""
        return self.excellent / self.total if self.total else None

    def add(self, counts: Counter) -> None:
        self.total += counts.get("total", 0)
        for status in STATES:
            setattr(self, status, getattr(self, status) + counts.get(status, 0))


@dataclass
class Live:
    """Snapshot + live change for a set of units: what every page reads."""

    campaign: Campaign
    run: TallyRun | None
    as_of: datetime  # the snapshot's cutoff (or the campaign's start without a snapshot)
    live_at: datetime  # when the live change was read
    tree: UnitTree
    figures: dict[tuple[int, str, str], Figures] = field(default_factory=dict)

    def unit(self, unit_id: int) -> Figures:
        return self.figures.get((unit_id, Dimension.ALL, ""), Figures(groups=0))

    def breakdown(self, unit_id: int, dimension: str) -> dict[str, Figures]:
        return {
            key: figures
            for (uid, dim, key), figures in self.figures.items()
            if uid == unit_id and dim == dimension
        }


def latest_run(campaign: Campaign) -> TallyRun | None:
    return TallyRun.objects.filter(campaign=campaign).order_by("-cutoff").first()


def tallies_live(
    *,
    campaign: Campaign,
    unit_ids: set[int] | None = None,
    dimensions: Collection[str] = tuple(DIMENSION_FIELDS),
    tree: UnitTree | None = None,
    breakdown_unit_ids: set[int] | None = None,
) -> Live:
    """Figures for the given units (all when None), fresh to this moment, in ~4 queries.

    With breakdown_unit_ids, channel/topic/identity figures are read for those units only
    (the overall figures still for every unit asked for)."""
    tree = tree or UnitTree.load()
    run = latest_run(campaign)
    live_at = timezone.now()
    figures: dict[tuple[int, str, str], Figures] = {}
    snapshot: list[dict] = []
    newest = TallyRun.objects.filter(campaign=campaign).order_by("-cutoff").values("pk")[:1]
    for _attempt in range(3):
        if run is None:
            break
        rows = Tally.objects.filter(campaign=campaign, day=run.day, dimension__in=dimensions)
        if unit_ids is not None:
            rows = rows.filter(unit_id__in=unit_ids)
        if breakdown_unit_ids is not None:
            rows = rows.filter(Q(dimension=Dimension.ALL) | Q(unit_id__in=breakdown_unit_ids))
        # The newest run is read in the same statement as its rows: a tally committed
        # since latest_run() rewrote them, and the change since must start at its cutoff,
        # or the moves between the two cutoffs would be counted twice.
        snapshot = list(
            rows.annotate(newest_run=Subquery(newest)).values(
                "unit_id", "dimension", "key", "groups", "newest_run", *STATE_FIELDS
            )
        )
        if not snapshot or snapshot[0]["newest_run"] == run.pk:
            break
        newer = TallyRun.objects.get(pk=snapshot[0]["newest_run"])
        same_day, run = newer.day == run.day, newer
        if same_day:
            break  # the rows read are the newer run's
    as_of = run.cutoff if run else campaign.opens_at
    if run is not None:
        for row in snapshot:
            figures[(row["unit_id"], row["dimension"], row["key"])] = Figures(
                total=row["total"],
                collected=row["collected"],
                shortlisted=row["shortlisted"],
                excellent=row["excellent"],
                set_aside=row["set_aside"],
                groups=row["groups"],
            )
    change: dict[Key, Counter] = defaultdict(Counter)
    since = Q(received_at__gt=run.cutoff) if run else Q()
    hsince = Q(at__gt=run.cutoff) if run else Q()
    received = list(
        Suggestion.objects.filter(since, campaign=campaign)
        .values(*GROUPING)
        .annotate(n=Count("id"))
        .order_by()
    )
    decided = list(
        StatusChange.objects.filter(hsince, suggestion__campaign=campaign)
        .exclude(from_status="")
        .values(*HISTORY_GROUPING, "from_status", "to_status")
        .annotate(n=Count("id"))
        .order_by()
    )
    dims = {dim: DIMENSION_FIELDS[dim] for dim in dimensions}
    _apply_change(change, received=received, decided=decided, day=None, sign=1, dims=dims)
    for (unit_id, _day, dim, key), counts in _roll_up(change, tree).items():
        if unit_ids is not None and unit_id not in unit_ids:
            continue
        if (
            breakdown_unit_ids is not None
            and dim != Dimension.ALL
            and unit_id not in breakdown_unit_ids
        ):
            continue
        figures.setdefault((unit_id, dim, key), Figures()).add(counts)
    return Live(
        campaign=campaign, run=run, as_of=as_of, live_at=live_at, tree=tree, figures=figures
    )


def tallies_daily(
    *, campaign: Campaign, unit_id: int, unit_path: str, run: TallyRun | None
) -> list[dict]:
    """Received and decided per day for a unit's subtree, snapshot days + live change."""
    series: dict[date, Counter] = defaultdict(Counter)
    if run is not None:
        for row in Tally.objects.filter(
            campaign=campaign, unit_id=unit_id, dimension=Dimension.ALL, day__lte=run.day
        ).values("day", *DAY_FIELDS):
            series[row["day"]].update({name: row[name] for name in DAY_FIELDS})
    since = Q(received_at__gt=run.cutoff) if run else Q()
    for row in (
        Suggestion.objects.filter(since, campaign=campaign, unit__path__startswith=unit_path)
        .annotate(day=TruncDate("received_at", tzinfo=LOCAL_TZ))
        .values("day")
        .annotate(n=Count("id"))
        .order_by()
    ):
        series[row["day"]]["day_received"] += row["n"]
    return [
        {"day": day, **{name: series[day][name] for name in DAY_FIELDS}} for day in sorted(series)
    ]


@dataclass
class ReportingStatus:
    reported: list[dict]
    missing: list[dict]

    @property
    def expected(self) -> int:
        return len(self.reported) + len(self.missing)


def units_reporting_status(*, campaign: Campaign, tree: UnitTree | None = None) -> ReportingStatus:
    """Units reported (报送 and not reopened since) of the units that report to the city."""
    done = dict(
        UnitReport.objects.reported()
        .filter(campaign=campaign)
        .values_list("unit_id", "reported_at")
    )
    if tree is not None:
        reporting_kinds = set(REPORTING_KINDS)
        units = [
            {"id": row["id"], "name": row["name"], "kind": row["kind"]}
            for row in sorted(tree.units.values(), key=lambda r: (r["sort_order"], r["code"]))
            if row["kind"] in reporting_kinds
        ]
    else:
        units = list(Unit.objects.reporting().values("id", "name", "kind"))
    reported, missing = [], []
    for unit in units:
        if unit["id"] in done:
            reported.append({**unit, "reported_at": done[unit["id"]]})
        else:
            missing.append(unit)
    return ReportingStatus(reported=reported, missing=missing)


def campaign_totals(*, campaign: Campaign) -> Figures:
    """The campaign's headline totals (the city's root unit), fresh to this moment."""
    tree = UnitTree.load()
    root = tree.root_id()
    live = tallies_live(campaign=campaign, unit_ids={root}, dimensions=(Dimension.ALL,), tree=tree)
    return live.unit(root)


# --------------------------------------------------------------------------- 大家干


@dataclass
class ImplementationFigures:
    """Adoption of a unit's excellent ideas and implementation of the work it leads.

    excellent, adopted, reference, not_adopted: by the idea's unit (where it was filed).
    assigned (ever assigned), in_progress, completed (awaiting confirmation), confirmed,
    overdue: by the lead unit (承办单位). Both roll up through the unit tree."""

    excellent: int = 0
    adopted: int = 0
    reference: int = 0
    not_adopted: int = 0
    assigned: int = 0
    in_progress: int = 0
    completed: int = 0
    confirmed: int = 0
    overdue: int = 0

    @property
    def adoption_rate(self) -> float | None:
        """采纳率: adopted ÷ excellent ideas."""
        return self.adopted / self.excellent if self.excellent else None

    @property
    def completion_rate(self) -> float | None:
        """落实率: confirmed as implemented ÷ assigned to a lead unit."""
        return self.confirmed / self.assigned if self.assigned else None


_LEAD_STATES = (
    ImplementationStatus.ASSIGNED,
    ImplementationStatus.IN_PROGRESS,
    ImplementationStatus.COMPLETED,
    ImplementationStatus.CONFIRMED,
)
_LATE_STATES = (ImplementationStatus.ASSIGNED, ImplementationStatus.IN_PROGRESS)


_IMPL_FIELDS = tuple(ImplementationFigures.__dataclass_fields__)
_I = {name: i for i, name in enumerate(_IMPL_FIELDS)}


def implementation_figures(
    *,
    campaign: Campaign,
    tree: UnitTree | None = None,
    today: date | None = None,
    unit_ids: set[int] | None = None,
) -> dict[int, ImplementationFigures]:
    """Per unit id (rolled up; the root is the city), read live in one grouped query over
    the excellent ideas only (a few per cent of all ideas: no snapshot needed).

    unit_ids: roll up into these units only (a page's units; None: every unit)."""
    tree = tree or UnitTree.load()
    today = today or local_date(timezone.now())
    # One grouped query: each excellent idea with its record (if any), by the idea's unit
    # and by the lead unit at once.
    rows = (
        Suggestion.objects.filter(campaign=campaign, status=Status.EXCELLENT)
        .annotate(
            late=Case(
                When(
                    Q(implementation__status__in=_LATE_STATES, implementation__due_date__lt=today),
                    then=Value(1),
                ),
                default=Value(0),
                output_field=IntegerField(),
            )
        )
        .values_list("unit_id", "implementation__status", "implementation__lead_unit_id", "late")
        .annotate(n=Count("id"))
        .order_by()
    )
    # Plain lists indexed by figure (not Counters): a dashboard reads ~1,500 grouped
    # rows per request at 1,000,000 ideas, and this loop is most of its Python time.
    size = len(_IMPL_FIELDS)
    excellent, adopted, assigned, overdue = (
        _I["excellent"],
        _I["adopted"],
        _I["assigned"],
        _I["overdue"],
    )
    by_state = {
        ImplementationStatus.REFERENCE: _I["reference"],
        ImplementationStatus.NOT_ADOPTED: _I["not_adopted"],
    }
    lead_state = {
        ImplementationStatus.IN_PROGRESS: _I["in_progress"],
        ImplementationStatus.COMPLETED: _I["completed"],
        ImplementationStatus.CONFIRMED: _I["confirmed"],
    }
    leaf: dict[int, list[int]] = {}
    for unit_id, state, lead_id, late, n in rows:
        counts = leaf.get(unit_id) or leaf.setdefault(unit_id, [0] * size)
        counts[excellent] += n
        if state in ADOPTED_STATES:
            counts[adopted] += n
        elif state in by_state:
            counts[by_state[state]] += n
        if state in _LEAD_STATES:
            lead = leaf.get(lead_id) or leaf.setdefault(lead_id, [0] * size)
            lead[assigned] += n  # ever assigned: every state from 已交办 on
            if state in lead_state:
                lead[lead_state[state]] += n
            lead[overdue] += n * late
    rolled: dict[int, list[int]] = {}
    for unit_id, counts in leaf.items():
        for ancestor in tree.ancestors.get(unit_id, [unit_id]):
            if unit_ids is not None and ancestor not in unit_ids:
                continue
            total = rolled.get(ancestor)
            if total is None:
                rolled[ancestor] = list(counts)
            else:
                for i, value in enumerate(counts):
                    total[i] += value
    return {unit_id: ImplementationFigures(*counts) for unit_id, counts in rolled.items()}
