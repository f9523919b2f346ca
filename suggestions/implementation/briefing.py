"""工作简报: the city's work briefing on collection, adoption and implementation as a Word
document, in the usual layout (title, issuing office and date, 一、总体情况 二、各单位情况
三、下一步工作). Every figure comes from suggestions.tallies.aggregation, so the briefing
agrees with the dashboard and the reports."""

from __future__ import annotations

import io
from datetime import date

from django.utils import timezone
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Pt

from suggestions.common.time import local_date
from suggestions.models import Campaign, Dimension
from suggestions.tallies.aggregation import (
    ImplementationFigures,
    UnitTree,
    implementation_figures,
    tallies_live,
)
from units.models import REPORTING_KINDS

TABLE_HEADER = ["单位", "征集数", "优秀", "采纳", "采纳率", "承办", "已落实", "落实率", "逾期"]
_CN_NUMBERS = "一二三四五六七八九十"


def _rate(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "—"


def briefing_data(*, campaign: Campaign, today: date | None = None) -> dict:
    """The briefing's figures: the city's totals and one row per reporting unit."""
    today = today or local_date(timezone.now())
    tree = UnitTree.load()
    root = tree.root_id()
    live = tallies_live(campaign=campaign, tree=tree, dimensions=(Dimension.ALL,))
    impl = implementation_figures(campaign=campaign, tree=tree, today=today)
    empty = ImplementationFigures()
    reporting_kinds = set(REPORTING_KINDS)
    units = sorted(
        (row for row in tree.units.values() if row["kind"] in reporting_kinds),
        key=lambda row: (row["sort_order"], row["code"]),
    )
    rows = []
    for unit in units:
        figures, done = live.unit(unit["id"]), impl.get(unit["id"], empty)
        if not (figures.total or done.excellent or done.assigned):
            continue
        rows.append({"name": unit["name"], "total": figures.total, "impl": done})
    return {
        "campaign": campaign,
        "today": today,
        "city": live.unit(root) if root else None,
        "impl": impl.get(root, empty) if root else empty,
        "rows": rows,
        "overdue_units": [row["name"] for row in rows if row["impl"].overdue],
    }


def briefing_docx(*, campaign: Campaign, today: date | None = None) -> bytes:
    data = briefing_data(campaign=campaign, today=today)
    city, impl, day = data["city"], data["impl"], data["today"]
    document = Document()
    style = document.styles["Normal"]
    style.font.name = "仿宋"
    style.font.size = Pt(14)
    style.element.rPr.rFonts.set(qn("w:eastAsia"), "仿宋")

    title = document.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = title.add_run("工作简报")
    run.bold = True
    run.font.size = Pt(26)
    subtitle = document.add_paragraph(f"{campaign.name}领导小组办公室　　{day:%Y年%m月%d日}")
    subtitle.alignment = WD_ALIGN_PARAGRAPH.CENTER

    document.add_heading("一、总体情况", level=2)
    total = city.total if city else 0
    document.add_paragraph(
        f"截至{day:%Y年%m月%d日}，全市共征集金点子{total}条，其中初选入围"
        f"{city.shortlisted if city else 0}条，评出优秀金点子{impl.excellent}条。"
        f"优秀金点子中已采纳{impl.adopted}条，采纳率{_rate(impl.adopted, impl.excellent)}；"
        f"列为参考{impl.reference}条，暂不采纳{impl.not_adopted}条。"
        f"已交办承办单位{impl.assigned}条，推进中{impl.in_progress}条，"
        f"已办结待确认{impl.completed}条，已落实{impl.confirmed}条，"
        f"落实率{_rate(impl.confirmed, impl.assigned)}；逾期未办结{impl.overdue}条。"
    )

    document.add_heading("二、各单位情况", level=2)
    document.add_paragraph(
        "各县（市、区）、开发区和市直单位征集、采纳和落实情况如下表"
        "（采纳按建议所属单位统计，落实按承办单位统计）。"
    )
    table = document.add_table(rows=1, cols=len(TABLE_HEADER))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, TABLE_HEADER, strict=True):
        cell.text = text
    for row in data["rows"]:
        done = row["impl"]
        values = [
            row["name"],
            row["total"],
            done.excellent,
            done.adopted,
            _rate(done.adopted, done.excellent),
            done.assigned,
            done.confirmed,
            _rate(done.confirmed, done.assigned),
            done.overdue,
        ]
        for cell, value in zip(table.add_row().cells, values, strict=True):
            cell.text = str(value)

    document.add_heading("三、下一步工作", level=2)
    steps = [
        "加快已采纳金点子的交办和落实，承办单位按期报告进展，做到件件有着落、事事有回音。",
        "对已落实的金点子及时审核答复，并在查询页向建议人公开落实情况和答复。",
    ]
    if data["overdue_units"]:
        steps.insert(
            0,
            f"对逾期未办结的{impl.overdue}条金点子，督促{'、'.join(data['overdue_units'])}"
            "抓紧办理，逐件明确办结时限。",
        )
    for number, text in zip(_CN_NUMBERS, steps, strict=False):
        document.add_paragraph(f"（{number}）{text}")

    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
