"""Selectors that assemble the dashboard's pages from the aggregation module.

Every figure comes from suggestions.tallies.aggregation (snapshot + live change); this
module only picks the units a user may see (through units.roles) and shapes
the figures for templates and charts. About a dozen queries whatever the size.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.utils.translation import gettext as _

from suggestions.models import Campaign, Channel, Dimension, IdentityType, Topic
from suggestions.tallies import charts
from suggestions.tallies.aggregation import (
    Figures,
    ImplementationFigures,
    Live,
    ReportingStatus,
    UnitTree,
    implementation_figures,
    tallies_daily,
    tallies_live,
    units_reporting_status,
)
from units.models import SupervisionGroup, UnitKind
from units.roles import sees_all_units, visible_units

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser


@dataclass
class UnitRow:
    id: int
    name: str
    kind: str
    figures: Figures
    has_children: bool
    reported: bool | None  # None: the unit does not report to the city itself
    own: bool = False  # the ideas filed on a parent unit itself, not a sub-unit


def dashboard_scope(user: AbstractBaseUser, tree: UnitTree) -> tuple[list[int], set[int]]:
    """(top units the user's page is about, every unit id the user may open)."""
    if sees_all_units(user):
        root = tree.root_id()
        return ([root] if root else []), set(tree.units)
    allowed = set(visible_units(user).values_list("pk", flat=True))
    tops = [uid for uid in allowed if tree.units[uid]["parent_id"] not in allowed]
    tops.sort(key=lambda uid: (tree.units[uid]["sort_order"], tree.units[uid]["code"]))
    return tops, allowed


def _sum(figures: list[Figures]) -> Figures:
    total = Figures(groups=0)
    for item in figures:
        for name in ("total", "collected", "shortlisted", "excellent", "set_aside"):
            setattr(total, name, getattr(total, name) + getattr(item, name))
        total.groups = (total.groups or 0) + (item.groups or 0)
    return total


def _rows(live: Live, unit_ids: list[int], reporting: ReportingStatus | None) -> list[UnitRow]:
    reported_ids = {unit["id"] for unit in reporting.reported} if reporting else set()
    parents = {row["parent_id"] for row in live.tree.units.values()}
    rows = []
    for uid in unit_ids:
        unit = live.tree.units[uid]
        is_reporting = unit["kind"] in (UnitKind.COUNTY, UnitKind.ZONE, UnitKind.DEPARTMENT)
        rows.append(
            UnitRow(
                id=uid,
                name=unit["name"],
                kind=unit["kind"],
                figures=live.unit(uid),
                has_children=uid in parents,
                reported=(uid in reported_ids) if is_reporting and reporting else None,
            )
        )
    return rows


def _own_rows(live: Live, tops: list[int], tree: UnitTree) -> list[UnitRow]:
    """Ideas filed on a top unit itself (e.g. the city's mini-program ideas), so the rows
    always add up to the headline."""
    rows = []
    for uid in tops:
        children = tree.children(uid)
        if not children:
            continue
        own = _difference(live.unit(uid), _sum([live.unit(child) for child in children]))
        if own.total:
            name = _("%(unit)s（本级）") % {"unit": tree.units[uid]["name"]}
            rows.append(UnitRow(uid, name, tree.units[uid]["kind"], own, False, None, own=True))
    return rows


def _difference(whole: Figures, parts: Figures) -> Figures:
    return Figures(
        **{
            name: getattr(whole, name) - getattr(parts, name)
            for name in ("total", "collected", "shortlisted", "excellent", "set_aside")
        }
    )


def _breakdown(
    live: Live, tops: list[int], dimension: str, labels: dict[str, str]
) -> list[charts.Bar]:
    merged: dict[str, int] = {}
    for uid in tops:
        for key, figures in live.breakdown(uid, dimension).items():
            merged[key] = merged.get(key, 0) + figures.total
    return charts.bars(
        [(str(labels.get(key, key)), value) for key, value in merged.items() if value],
        with_part=True,
    )


def _ranking(rows: list[UnitRow], *, include_own: bool) -> list[charts.Bar]:
    """Units by ideas collected. The 本级 rows (the city's own mini-program intake dwarfs
    every unit) only when asked for, so that the units' bars stay visible."""
    ranked = sorted(
        (row for row in rows if include_own or not row.own), key=lambda row: -row.figures.total
    )
    result = charts.bars([(row.name, row.figures.total) for row in ranked])  # stable: same order
    for bar, row in zip(result, ranked, strict=True):
        bar.own = row.own
        bar.note = row.figures.excellent
        bar.unit_id = None if row.own else row.id
    return result


# Layouts of the daily chart: (viewBox width, height, font size, most day labels).
DAILY_LAYOUTS = {
    "wide": (720, 300, 14, 12),
    "narrow": (360, 240, 13, 6),
    "screen": (1000, 420, 24, 10),
}


def dashboard_build(
    *,
    user: AbstractBaseUser,
    campaign: Campaign,
    unit_id: int | None = None,
    include_own: bool = False,
) -> dict | None:
    """Context of the dashboard (unit_id None) or of one unit's page; None if not allowed.

    include_own puts the 本级 rows (ideas filed on the page's unit itself) into the
    ranking; they are always in the table and in their own headline figure.
    """
    tree = UnitTree.load()
    tops, allowed = dashboard_scope(user, tree)
    if unit_id is not None:
        if unit_id not in allowed or unit_id not in tree.units:
            return None
        tops = [unit_id]
    # Figures are needed for the top units and the rows below them.
    children = [child for uid in tops for child in tree.children(uid)]
    wanted = set(tops) | set(children)
    if unit_id is None and sees_all_units(user):
        wanted = None  # the city page also shows supervision groups' units: read all
    live = tallies_live(campaign=campaign, unit_ids=wanted, tree=tree, breakdown_unit_ids=set(tops))
    # Who has reported (报送) is the city's view; unit staff are not shown it.
    city_view = sees_all_units(user)
    reporting = (
        units_reporting_status(campaign=campaign, tree=tree)
        if unit_id is None and city_view
        else None
    )
    headline = _sum([live.unit(uid) for uid in tops])
    rows = _rows(live, children or tops, reporting)
    own_rows = _own_rows(live, tops, tree)
    rows += own_rows
    topics = dict(Topic.objects.values_list("pk", "name"))
    daily = []
    for uid in tops:
        daily.extend(
            tallies_daily(
                campaign=campaign, unit_id=uid, unit_path=tree.units[uid]["path"], run=live.run
            )
        )
    # The chart is of ideas received: days with decisions only (often long after the
    # campaign's weeks) would stretch its axis past the last idea.
    by_day: dict = {}
    for point in daily:
        if point["day_received"]:
            by_day[point["day"]] = by_day.get(point["day"], 0) + point["day_received"]
    daily_chart = {
        name: charts.daily_chart(by_day, width=w, height=h, font=font, max_labels=labels)
        for name, (w, h, font, labels) in DAILY_LAYOUTS.items()
    }
    chart = {
        "daily": daily_chart,
        "channel": _breakdown(live, tops, Dimension.CHANNEL, dict(Channel.choices)),
        "topic": _breakdown(
            live, tops, Dimension.TOPIC, {str(pk): name for pk, name in topics.items()}
        ),
        "identity": _breakdown(live, tops, Dimension.IDENTITY, dict(IdentityType.choices)),
        "ranking": _ranking(rows, include_own=include_own),
    }
    groups = []
    if unit_id is None and sees_all_units(user):
        groups = _supervision(live)
    implementation = _implementation(campaign, tree, tops, rows)
    return {
        "campaign": campaign,
        "live": live,
        "headline": headline,
        "own_headline": _sum([row.figures for row in own_rows]) if own_rows else None,
        "own_names": [row.name for row in own_rows],
        "include_own": include_own,
        "title_units": [tree.units[uid]["name"] for uid in tops],
        "unit": tree.units[unit_id] if unit_id is not None else None,
        "rows": [row for row in rows if not row.own],
        "own_rows": own_rows,
        "reporting": reporting,
        "chart": chart,
        "supervision": groups,
        "report_unit_id": tops[0] if len(tops) == 1 else None,
        "implementation": implementation,
    }


def _implementation(campaign, tree: UnitTree, tops: list[int], rows: list[UnitRow]) -> dict:
    """大家干: 采纳率, 落实率 and overdue for the page's units (one grouped query)."""
    wanted = set(tops) | {row.id for row in rows if not row.own}
    figures = implementation_figures(campaign=campaign, tree=tree, unit_ids=wanted)
    empty = ImplementationFigures()
    headline = ImplementationFigures()
    for uid in tops:
        for name, value in vars(figures.get(uid, empty)).items():
            setattr(headline, name, getattr(headline, name) + value)
    return {
        "headline": headline,
        "rows": [
            {
                "id": row.id,
                "name": row.name,
                "figures": figures.get(row.id, ImplementationFigures()),
            }
            for row in rows
            if not row.own
        ],
    }


def _supervision(live: Live) -> list[dict]:
    """督导组: each group's units and their sum (one query on the through table)."""
    through = SupervisionGroup.units.through.objects.values_list(
        "supervisiongroup_id", "supervisiongroup__name", "supervisiongroup__leader_name", "unit_id"
    ).order_by("supervisiongroup__name")
    groups: dict[int, dict] = {}
    for group_id, name, leader, uid in through:
        group = groups.setdefault(
            group_id, {"name": name, "leader": leader, "units": [], "figures": None}
        )
        group["units"].append(
            {"id": uid, "name": live.tree.units[uid]["name"], "figures": live.unit(uid)}
        )
    for group in groups.values():
        group["figures"] = _sum([unit["figures"] for unit in group["units"]])
    return list(groups.values())
