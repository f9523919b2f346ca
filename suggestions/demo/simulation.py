"""A realistic simulated campaign (the 2021 seed figures, scalable), loaded in bulk.

Seed figures (scale 1): 75 reporting units, all reported; 2,388 ideas collected
through them, 1,384 excellent; of these the development zone 187 (from staff,
experts and entrepreneurs) with 20 excellent, and 城区 308; plus 151,681 ideas
from the mini-program over 20 days from 26 February 2021, addressed to the city
itself (晋城市), so the units' own figures stay exactly the seed figures.

Statuses and history. Each idea's path is a walk along suggestions.screening.workflow's
TRANSITIONS table (collected → shortlisted → excellent, collected → set aside,
shortlisted → set aside); one StatusChange row is written for every step, and the
status column is the last step's target. The rows are written in bulk (COPY on
PostgreSQL, bulk_create elsewhere) in one transaction, instead of calling the
workflow per idea: the workflow's rules (who may decide) are about people, and
a simulated history has no people; what the tallies read (status agrees with
the last history row, every step legal) is checked by simulation_check().
"""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.models import F, Max
from django.utils import timezone

from suggestions.common.time import LOCAL_TZ
from suggestions.models import (
    ActionVia,
    Campaign,
    CampaignPhase,
    Channel,
    IdentityType,
    Status,
    StatusChange,
    Suggestion,
    Topic,
    UnitReport,
)
from suggestions.screening.workflow import TRANSITIONS
from units.models import Unit, UnitKind

START = datetime(2021, 2, 26, tzinfo=LOCAL_TZ)
DAYS = 20

SEED = {
    "units_collected": 2388,
    "units_excellent": 1384,
    "zone_collected": 187,
    "zone_excellent": 20,
    "chengqu_collected": 308,
    "mini_program": 151681,
}

C, S, E, X = (
    s.value for s in (Status.COLLECTED, Status.SHORTLISTED, Status.EXCELLENT, Status.SET_ASIDE)
)
# Final state -> the walk through the workflow that reaches it.
PATHS = {
    C: [C],
    S: [C, S],
    E: [C, S, E],
    X: [C, X],
    "x2": [C, S, X],  # set aside at stage 2
}
for _path in PATHS.values():
    for _step in zip(_path, _path[1:], strict=False):
        assert _step in TRANSITIONS, _step  # only the workflow's own transitions

# A vocabulary of real words for plausible titles and contents.
PLACES = [
    "老城区",
    "泽州路",
    "白马寺山",
    "丹河沿岸",
    "高铁站周边",
    "凤台街",
    "开发区",
    "乡村",
    "社区",
    "景区",
    "农贸市场",
    "学校周边",
    "工业园区",
    "太行山区",
    "古村落",
    "城乡结合部",
]
ACTIONS = ["加强", "改善", "推进", "完善", "优化", "建设", "整治", "提升", "规范", "发展"]
OBJECTS = [
    "停车管理",
    "垃圾分类",
    "公共交通",
    "古建筑保护",
    "营商环境",
    "养老服务",
    "智慧城市",
    "全域旅游",
    "煤炭转型",
    "农产品品牌",
    "夜间经济",
    "口袋公园",
    "健身步道",
    "人才引进",
    "便民服务",
    "供暖保障",
    "雨污分流",
    "文化惠民",
    "职业教育",
    "乡村振兴",
]
REASONS = ["群众反映强烈", "现状存在不足", "外地经验可借鉴", "有利于长远发展", "投入少见效快"]
MEASURES = [
    "建议由相关部门牵头制定方案",
    "建议分步实施、先行试点",
    "建议引入社会资本参与",
    "建议建立长效机制并定期评估",
    "建议利用数字化手段提高效率",
    "建议听取群众和专家意见",
]
STATES_OF_AFFAIRS = ["还有短板", "需要加强", "群众关注度高"]
SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗郑梁谢宋唐"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国红"


@dataclass
class UnitPlan:
    unit_id: int
    unit_ids: list[int]  # the unit and its sub-units: where its ideas are filed
    collected: int
    excellent: int
    channels: list[tuple[str, int]]
    identities: list[tuple[str, int]]


def _scaled(value: int, scale: float) -> int:
    return round(value * scale)


def _split(total: int, weights: list[float]) -> list[int]:
    """Largest-remainder split: non-negative integers summing exactly to total."""
    if not weights:
        return []
    whole = sum(weights)
    raw = [total * w / whole for w in weights]
    parts = [int(r) for r in raw]
    order = sorted(range(len(raw)), key=lambda i: raw[i] - parts[i], reverse=True)
    for i in order[: total - sum(parts)]:
        parts[i] += 1
    return parts


UNIT_CHANNELS = [(Channel.PAPER.value, 6), (Channel.STAFF_ENTRY.value, 3), (Channel.WEB.value, 1)]
PUBLIC_IDENTITIES = [
    (IdentityType.PUBLIC.value, 10),
    (IdentityType.OFFICIAL.value, 4),
    (IdentityType.EXPERT.value, 1),
    (IdentityType.ENTREPRENEUR.value, 1),
    (IdentityType.STUDENT.value, 2),
    (IdentityType.TALENT_ABROAD.value, 1),
    (IdentityType.OTHER.value, 1),
]
ZONE_IDENTITIES = [
    (IdentityType.OFFICIAL.value, 5),
    (IdentityType.EXPERT.value, 2),
    (IdentityType.ENTREPRENEUR.value, 3),
]


def simulation_plan(*, scale: float, rng: random.Random) -> tuple[list[UnitPlan], int, Unit]:
    """Per reporting unit: ideas collected and excellent; plus the mini-program count."""
    units = list(Unit.objects.values("id", "name", "kind", "parent_id", "path"))
    by_id = {u["id"]: u for u in units}
    city = next(u for u in units if u["parent_id"] is None)
    reporting = [
        u for u in units if u["kind"] in (UnitKind.COUNTY, UnitKind.ZONE, UnitKind.DEPARTMENT)
    ]
    zone = next(u for u in reporting if u["kind"] == UnitKind.ZONE)
    chengqu = next(u for u in reporting if u["name"] == "城区")
    others = [u for u in reporting if u["id"] not in (zone["id"], chengqu["id"])]

    total = _scaled(SEED["units_collected"], scale)
    excellent = _scaled(SEED["units_excellent"], scale)
    zone_total = _scaled(SEED["zone_collected"], scale)
    zone_excellent = _scaled(SEED["zone_excellent"], scale)
    chengqu_total = _scaled(SEED["chengqu_collected"], scale)
    other_totals = _split(
        total - zone_total - chengqu_total, [rng.uniform(0.4, 1.6) for _ in others]
    )
    rest = [chengqu, *others]
    rest_totals = [chengqu_total, *other_totals]
    rest_excellent = _split(excellent - zone_excellent, [float(t) for t in rest_totals])

    def subtree(unit):
        return [u["id"] for u in units if u["path"].startswith(unit["path"])]

    plans = [
        UnitPlan(
            zone["id"], subtree(zone), zone_total, zone_excellent, UNIT_CHANNELS, ZONE_IDENTITIES
        )
    ]
    for unit, count, best in zip(rest, rest_totals, rest_excellent, strict=True):
        plans.append(
            UnitPlan(
                unit["id"], subtree(unit), count, min(best, count), UNIT_CHANNELS, PUBLIC_IDENTITIES
            )
        )
    del by_id
    return plans, _scaled(SEED["mini_program"], scale), Unit.objects.get(pk=city["id"])


def _weighted(rng: random.Random, choices: list[tuple[str, int]]) -> Callable[[], str]:
    values = [value for value, _w in choices]
    weights = [w for _v, w in choices]
    pool = rng.choices(values, weights=weights, k=4096)
    return lambda: pool[rng.randrange(4096)]


class Vocabulary:
    def __init__(self, rng: random.Random):
        self.rng = rng
        self.titles = [
            f"关于{rng.choice(PLACES)}{rng.choice(ACTIONS)}{rng.choice(OBJECTS)}的建议"[:60]
            for _ in range(3000)
        ]
        self.contents = [
            f"目前{rng.choice(PLACES)}的{rng.choice(OBJECTS)}{rng.choice(STATES_OF_AFFAIRS)}，"
            f"{rng.choice(REASONS)}。{rng.choice(MEASURES)}，{rng.choice(MEASURES)}，"
            f"力争把{rng.choice(OBJECTS)}做成晋城的亮点。"
            for _ in range(3000)
        ]
        self.names = [
            rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(["", rng.choice(GIVEN)])
            for _ in range(2000)
        ]

    def title(self) -> str:
        return self.titles[self.rng.randrange(3000)]

    def content(self) -> str:
        return self.contents[self.rng.randrange(3000)]

    def name(self) -> str:
        return self.names[self.rng.randrange(2000)]

    def phone(self) -> str:
        return f"1{self.rng.choice('3578')}{self.rng.randrange(10**9):09d}"


@dataclass
class IdeaSpec:
    unit_id: int
    channel: str
    identity: str
    path: list[str]


def _specs(
    plans: list[UnitPlan], mini: int, city_id: int, rng: random.Random
) -> Iterator[IdeaSpec]:
    for plan in plans:
        channel = _weighted(rng, plan.channels)
        identity = _weighted(rng, plan.identities)
        rest = plan.collected - plan.excellent
        # Units have finished stage 1: the others are set aside or await stage 2.
        finals = [E] * plan.excellent + [
            rng.choices([X, "x2", S], weights=[7, 1, 2])[0] for _ in range(rest)
        ]
        rng.shuffle(finals)
        for final in finals:
            yield IdeaSpec(rng.choice(plan.unit_ids), channel(), identity(), PATHS[final])
    identity = _weighted(rng, PUBLIC_IDENTITIES)
    mini_paths = [PATHS[C], PATHS[X], PATHS[S]]
    for _ in range(mini):
        # The city screens the mini-program's ideas itself; none is excellent yet.
        path = mini_paths[rng.choices((0, 1, 2), weights=(70, 25, 5))[0]]
        yield IdeaSpec(city_id, Channel.MINI_PROGRAM.value, identity(), path)


@dataclass
class SimulationResult:
    campaign: Campaign
    ideas: int
    history: int


def _campaign(slug: str) -> Campaign:
    campaign, _ = Campaign.objects.get_or_create(
        slug=slug,
        defaults={
            "name": "晋城市“大家想、大家说、大家干”金点子征集活动",
            "receipt_prefix": slug.upper().replace("-", "")[:12],
            "opens_at": START,
            "closes_at": datetime(2031, 12, 31, 23, 59, tzinfo=LOCAL_TZ),
            "phase": CampaignPhase.SUMMARY,
            "is_active": True,
        },
    )
    return campaign


def campaign_simulate(
    *,
    scale: float = 1.0,
    seed: int = 2021,
    slug: str = "jc2021",
    progress: Callable[[int], None] | None = None,
    chunk: int = 20000,
) -> SimulationResult:
    """Load a simulated campaign into an empty campaign, in one transaction."""
    rng = random.Random(seed)  # noqa: S311 (repeatable fake data, not secrets)
    vocab = Vocabulary(rng)
    topics = list(Topic.objects.filter(is_active=True).values_list("pk", flat=True))
    if not topics:
        raise RuntimeError("No topics: run migrate first.")
    progress = progress or (lambda n: None)
    with transaction.atomic():
        campaign = _campaign(slug)
        if Suggestion.objects.filter(campaign=campaign).exists():
            raise RuntimeError(f"Campaign {slug!r} already has ideas: simulate into an empty one.")
        plans, mini, city = simulation_plan(scale=scale, rng=rng)
        postgres = connection.vendor == "postgresql"
        if postgres:
            # Ids are handed out here, so no other writer may insert meanwhile.
            with connection.cursor() as cursor:
                cursor.execute(
                    f"LOCK TABLE {Suggestion._meta.db_table}, {StatusChange._meta.db_table}"
                    " IN SHARE ROW EXCLUSIVE MODE"
                )
        next_id = (Suggestion.objects.aggregate(m=Max("id"))["m"] or 0) + 1
        next_hid = (StatusChange.objects.aggregate(m=Max("id"))["m"] or 0) + 1
        sequence = campaign.last_sequence
        ideas, history = [], []
        n_ideas = n_history = 0
        now = timezone.now()
        for spec in _specs(plans, mini, city.pk, rng):
            sequence += 1
            received = START + timedelta(seconds=rng.randrange(DAYS * 86400))
            at = received
            steps = []
            for frm, to in zip(spec.path, spec.path[1:], strict=False):
                at = at + timedelta(seconds=rng.randrange(3600, 5 * 86400))
                steps.append((frm, to, at))
                history.append(
                    (
                        next_hid,
                        next_id,
                        at,
                        frm,
                        to,
                        "模拟评审" if to in (X, C) else "",
                        ActionVia.SYSTEM.value,
                    )
                )
                next_hid += 1
            last = steps[-1][2] if steps else None
            ideas.append(
                (
                    next_id,
                    campaign.pk,
                    f"{campaign.receipt_prefix}-{sequence:07d}",
                    sequence,
                    spec.path[-1],
                    spec.channel,
                    spec.unit_id,
                    topics[rng.randrange(len(topics))],
                    spec.identity,
                    vocab.title(),
                    vocab.content(),
                    vocab.name(),
                    vocab.phone(),
                    rng.random() < 0.4,
                    "",
                    f"sim-{campaign.pk}-{sequence}",
                    last,
                    0,
                    received,
                    now,
                )
            )
            next_id += 1
            if len(ideas) >= chunk:
                n_ideas, n_history = _flush(ideas, history, postgres, n_ideas, n_history)
                progress(chunk)
                ideas, history = [], []
        left = len(ideas)
        n_ideas, n_history = _flush(ideas, history, postgres, n_ideas, n_history)
        progress(left)
        if postgres:
            with connection.cursor() as cursor:
                for model in (Suggestion, StatusChange):
                    table = model._meta.db_table
                    # Table names come from the models, not from input.
                    sql = (
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"  # noqa: S608
                        f" (SELECT COALESCE(MAX(id), 1) FROM {table}))"
                    )
                    cursor.execute(sql)
        Campaign.objects.filter(pk=campaign.pk).update(last_sequence=sequence)
        reported_at = START + timedelta(days=DAYS + 3)
        for plan in plans:
            UnitReport.objects.update_or_create(
                campaign=campaign,
                unit_id=plan.unit_id,
                defaults={"reported_at": reported_at, "reopened_at": None},
            )
    return SimulationResult(campaign=campaign, ideas=n_ideas, history=n_history)


IDEA_COLUMNS = [
    "id",
    "campaign_id",
    "receipt",
    "sequence",
    "status",
    "channel",
    "unit_id",
    "topic_id",
    "identity_type",
    "title",
    "content",
    "name",
    "phone",
    "publish_consent",
    "public_note",
    "fingerprint",
    "status_changed_at",
    "score_count",
    "received_at",
    "updated_at",
]
HISTORY_COLUMNS = ["id", "suggestion_id", "at", "from_status", "to_status", "reason", "via"]


def _flush(ideas, history, postgres: bool, n_ideas: int, n_history: int) -> tuple[int, int]:
    if postgres:
        _copy(Suggestion._meta.db_table, IDEA_COLUMNS, ideas)
        _copy(StatusChange._meta.db_table, HISTORY_COLUMNS, history)
    else:
        _insert_many(Suggestion, IDEA_COLUMNS, ideas)
        _insert_many(StatusChange, HISTORY_COLUMNS, history)
    return n_ideas + len(ideas), n_history + len(history)


def _insert_many(model, columns: list[str], rows: list[tuple]) -> None:
    """executemany through the ORM's field conversion (datetimes, booleans) per backend."""
    fields = [model._meta.get_field(name.removesuffix("_id")) for name in columns]
    ops = connection.ops
    prepared = [
        [
            ops.adapt_datetimefield_value(v) if f.get_internal_type() == "DateTimeField" else v
            for f, v in zip(fields, row, strict=True)
        ]
        for row in rows
    ]
    table = model._meta.db_table
    marks = ", ".join(["%s"] * len(columns))
    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.executemany(sql, prepared)


def _copy(table: str, columns: list[str], rows: list[tuple]) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow(
            ["\\N" if v is None else ("t" if v is True else "f" if v is False else v) for v in row]
        )
    buffer.seek(0)
    with connection.cursor() as cursor:
        cursor.copy_expert(
            f"COPY {table} ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv, NULL '\\N')", buffer
        )


def simulation_check(*, campaign: Campaign) -> dict:
    """What the tallies rely on: every status agrees with its last history row, and
    every history step is one of the workflow's transitions (grouped queries)."""
    last = (
        StatusChange.objects.filter(suggestion__campaign=campaign)
        .values("suggestion_id")
        .annotate(last_id=Max("id"))
        .values("last_id")
    )
    disagree = (
        StatusChange.objects.filter(id__in=last).exclude(to_status=F("suggestion__status")).count()
    )
    without_history_not_collected = (
        Suggestion.objects.filter(campaign=campaign, history__isnull=True).exclude(status=C).count()
    )
    steps = set(
        StatusChange.objects.filter(suggestion__campaign=campaign)
        .values_list("from_status", "to_status")
        .distinct()
    )
    illegal = {step for step in steps if step not in TRANSITIONS}
    return {
        "status_disagrees_with_history": disagree,
        "no_history_but_not_collected": without_history_not_collected,
        "illegal_steps": illegal,
    }
