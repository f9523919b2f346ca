"""Per-unit and city summary reports: an HTML page and an .xlsx, stored with their time.

Figures come from suggestions.tallies.aggregation (the same snapshot + live change as the
dashboard), so a report never disagrees with it. The list of excellent ideas is
streamed into a write-only workbook, so memory stays flat whatever the size.
"""

from __future__ import annotations

import io
import uuid
from typing import TYPE_CHECKING

from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone, translation
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from suggestions.common.spreadsheet import cell_safe
from suggestions.models import (
    Campaign,
    Channel,
    Dimension,
    IdentityType,
    Implementation,
    ImplementationStatus,
    Report,
    ReportScope,
    Status,
    Suggestion,
    Topic,
)
from suggestions.privacy.services import mask_name, mask_phone
from suggestions.tallies.aggregation import (
    Figures,
    ImplementationFigures,
    UnitTree,
    implementation_figures,
    tallies_live,
    units_reporting_status,
)

if TYPE_CHECKING:
    from collections.abc import Iterable

    from django.db.models import QuerySet
    from openpyxl.worksheet._write_only import WriteOnlyWorksheet

HTML_IDEAS_LIMIT = 300  # the page lists the first ones; the .xlsx lists them all


STAGES = [
    ("total", "征集总数"),
    ("collected", "待初筛"),
    ("shortlisted", "初选入围"),
    ("excellent", "优秀金点子"),
    ("set_aside", "未入选"),
]


def _stage_row(figures: Figures) -> list:
    return [getattr(figures, name) for name, _label in STAGES]


def report_data(*, campaign: Campaign, unit_id: int, tree: UnitTree | None = None) -> dict:
    """Everything a report shows, read through the aggregation module."""
    tree = tree or UnitTree.load()
    unit = tree.units[unit_id]
    is_city = unit["parent_id"] is None
    children = tree.children(unit_id)
    live = tallies_live(campaign=campaign, unit_ids={unit_id, *children}, tree=tree)
    figures = live.unit(unit_id)
    topics = {str(pk): name for pk, name in Topic.objects.values_list("pk", "name")}
    labels = {
        Dimension.CHANNEL: dict(Channel.choices),
        Dimension.TOPIC: topics,
        Dimension.IDENTITY: dict(IdentityType.choices),
    }
    breakdowns = []
    for dim, title in (
        (Dimension.CHANNEL, "按渠道"),
        (Dimension.TOPIC, "按主题"),
        (Dimension.IDENTITY, "按身份"),
    ):
        rows = [
            {"name": str(labels[dim].get(key, key)), "figures": item}
            for key, item in live.breakdown(unit_id, dim).items()
            if item.total
        ]
        rows.sort(key=lambda row: -row["figures"].total)
        breakdowns.append({"title": title, "rows": rows})
    done = implementation_figures(campaign=campaign, tree=tree)
    empty = ImplementationFigures()
    sub_units = [
        {
            "id": uid,
            "name": tree.units[uid]["name"],
            "figures": live.unit(uid),
            "impl": done.get(uid, empty),
        }
        for uid in children
    ]
    if is_city:
        # The city report ranks its units by excellent ideas, then by ideas collected.
        sub_units.sort(key=lambda row: (-row["figures"].excellent, -row["figures"].total))
    reporting = units_reporting_status(campaign=campaign, tree=tree) if is_city else None
    return {
        "campaign": campaign,
        "unit": unit,
        "is_city": is_city,
        "figures": figures,
        "as_of": live.live_at,
        "snapshot_at": live.as_of,
        "stages": [(label, getattr(figures, name)) for name, label in STAGES],
        "breakdowns": breakdowns,
        "sub_units": sub_units,
        "reporting": reporting,
        "unit_path": unit["path"],
        "implementation": done.get(unit_id, empty),
        "implementation_table": _implementation_table(done.get(unit_id, empty)),
    }


# 采纳与落实: (label, attribute of ImplementationFigures).
IMPLEMENTATION_ROWS = [
    ("优秀金点子", "excellent"),
    ("采纳", "adopted"),
    ("参考", "reference"),
    ("暂不采纳", "not_adopted"),
    ("交办承办", "assigned"),
    ("推进中", "in_progress"),
    ("已办结待确认", "completed"),
    ("已落实", "confirmed"),
    ("逾期", "overdue"),
]
IMPLEMENTATION_SUB_HEADER = [
    "单位",
    "优秀",
    "采纳",
    "采纳率",
    "承办",
    "推进中",
    "已落实",
    "落实率",
    "逾期",
]


def _rate(value: float | None) -> str:
    return f"{value:.1%}" if value is not None else "—"


def _implementation_table(figures: ImplementationFigures) -> list[tuple[str, object]]:
    return [
        *((label, getattr(figures, name)) for label, name in IMPLEMENTATION_ROWS),
        ("采纳率", _rate(figures.adoption_rate)),
        ("落实率", _rate(figures.completion_rate)),
    ]


def _implementation_sub_row(name: str, f: ImplementationFigures) -> list:
    return [
        name,
        f.excellent,
        f.adopted,
        _rate(f.adoption_rate),
        f.assigned,
        f.in_progress,
        f.confirmed,
        _rate(f.completion_rate),
        f.overdue,
    ]


def implementations_of(*, campaign: Campaign, unit_path: str):
    """Excellent ideas of a unit's subtree, or led by it, with their implementation state."""
    return (
        Implementation.objects.filter(campaign=campaign, suggestion__status=Status.EXCELLENT)
        .filter(
            Q(suggestion__unit__path__startswith=unit_path)
            | Q(lead_unit__path__startswith=unit_path)
        )
        .order_by("suggestion__receipt")
        .values_list(
            "suggestion__receipt",
            "suggestion__unit__name",
            "suggestion__title",
            "status",
            "lead_unit__name",
            "percent",
            "due_date",
        )
    )


def excellent_ideas(
    *, campaign: Campaign, unit_path: str
) -> QuerySet[Suggestion, tuple[str, str, str, str, float | None, str, str]]:
    """Excellent ideas of a unit's subtree, streamed (contact masked by the caller)."""
    return (
        Suggestion.objects.filter(
            campaign=campaign, status=Status.EXCELLENT, unit__path__startswith=unit_path
        )
        .order_by("-score_mean", "receipt")
        .values_list("receipt", "unit__name", "topic__name", "title", "score_mean", "name", "phone")
    )


def _xlsx(data: dict) -> bytes:
    workbook = Workbook(write_only=True)
    bold = Font(bold=True)

    def header(sheet: WriteOnlyWorksheet, values: Iterable[object]) -> None:
        cells = []
        for value in values:
            cell = WriteOnlyCell(sheet, value=cell_safe(value))
            cell.font = bold
            cells.append(cell)
        sheet.append(cells)

    def row(sheet: WriteOnlyWorksheet, values: Iterable[object]) -> None:
        sheet.append([cell_safe(value) for value in values])

    totals = workbook.create_sheet("汇总")
    row(totals, [f"{data['campaign'].name} · {data['unit']['name']}"])
    row(totals, ["数据截至", timezone.localtime(data["as_of"]).strftime("%Y-%m-%d %H:%M:%S")])
    row(totals, [])
    header(totals, ["阶段", "数量"])
    for label, value in data["stages"]:
        row(totals, [label, value])
    rate = data["figures"].pass_rate
    row(totals, ["优秀率", f"{rate:.1%}" if rate is not None else "—"])
    stage_labels = [label for _name, label in STAGES]
    for block in data["breakdowns"]:
        row(totals, [])
        header(totals, [block["title"], *stage_labels])
        for item in block["rows"]:
            row(totals, [item["name"], *_stage_row(item["figures"])])
    if data["sub_units"]:
        row(totals, [])
        header(totals, ["排名" if data["is_city"] else "下级单位", "单位", *stage_labels])
        for number, item in enumerate(data["sub_units"], start=1):
            row(totals, [number, item["name"], *_stage_row(item["figures"])])
    if data["reporting"] is not None:
        missing = workbook.create_sheet("催报名单")
        header(missing, ["单位", "类别"])
        for unit in data["reporting"].missing:
            row(missing, [unit["name"], unit["kind"]])

    impl_sheet = workbook.create_sheet("采纳与落实")
    header(impl_sheet, ["项目", "数量"])
    for label, value in data["implementation_table"]:
        row(impl_sheet, [label, value])
    if data["sub_units"]:
        row(impl_sheet, [])
        header(impl_sheet, IMPLEMENTATION_SUB_HEADER)
        for item in data["sub_units"]:
            row(impl_sheet, _implementation_sub_row(item["name"], item["impl"]))
    row(impl_sheet, [])
    header(impl_sheet, ["回执号", "建议单位", "标题", "落实状态", "承办单位", "进度", "办结期限"])
    for receipt, unit, title, state, lead, percent, due in implementations_of(
        campaign=data["campaign"], unit_path=data["unit_path"]
    ).iterator(chunk_size=2000):
        row(
            impl_sheet,
            [
                receipt,
                unit,
                title,
                str(ImplementationStatus(state).label),
                lead or "",
                f"{percent}%",
                due.isoformat() if due else "",
            ],
        )

    ideas = workbook.create_sheet("优秀金点子")
    header(ideas, ["回执号", "单位", "主题", "标题", "平均分", "姓名", "手机号"])
    for receipt, unit, topic, title, score, name, phone in excellent_ideas(
        campaign=data["campaign"], unit_path=data["unit_path"]
    ).iterator(chunk_size=2000):
        row(
            ideas,
            [
                receipt,
                unit,
                topic,
                title,
                round(score, 2) if score is not None else None,
                mask_name(name),
                mask_phone(phone),
            ],
        )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def report_generate(*, campaign_id: int, unit_id: int, run_key: str | None = None) -> Report:
    """Build and store one unit's (or, for the root unit, the city's) report.

    run_key names the request the report answers (the Celery task passes its task id).
    Called again with the same key (a redelivered message whose first delivery
    committed before its worker died, or two deliveries at once) it returns the report
    stored under that key instead of storing a second one. Without a key every call
    stores a new report (the page's "regenerate").
    """
    if run_key is None:
        run_key = uuid.uuid4().hex
    else:
        stored = Report.objects.filter(
            campaign_id=campaign_id, unit_id=unit_id, run_key=run_key
        ).first()
        if stored is not None:
            return stored
    campaign = Campaign.objects.get(pk=campaign_id)
    # Reports are official documents: Chinese whatever language the caller uses.
    with translation.override("zh-hans"):
        data = report_data(campaign=campaign, unit_id=unit_id)
        ideas = [
            (receipt, unit, topic, title, score)
            for receipt, unit, topic, title, score, _name, _phone in excellent_ideas(
                campaign=campaign, unit_path=data["unit_path"]
            )[:HTML_IDEAS_LIMIT]
        ]
        html = render_to_string(
            "tallies/report_body.html",
            {**data, "ideas": ideas, "ideas_limit": HTML_IDEAS_LIMIT},
        )
        xlsx = _xlsx(data)
    # The unique (campaign, unit, run_key) decides between two deliveries writing at
    # once: the second INSERT fails and get_or_create returns the first one's report.
    report, _created = Report.objects.get_or_create(
        campaign=campaign,
        unit_id=unit_id,
        run_key=run_key,
        defaults={
            "scope": ReportScope.CITY if data["is_city"] else ReportScope.UNIT,
            "as_of": data["as_of"],
            "html": html,
            "xlsx": xlsx,
        },
    )
    return report


def report_latest(*, campaign: Campaign, unit_id: int) -> Report | None:
    return (
        Report.objects.filter(campaign=campaign, unit_id=unit_id).order_by("-generated_at").first()
    )
