"""The .xlsx writer itself (screening.exports): cell types, escaping, masking, headers."""

import io
import runpy
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from openpyxl import load_workbook

from suggestions.models import Suggestion
from suggestions.screening.exports import suggestions_xlsx_write

HEADERS = (
    "回执号",
    "标题",
    "内容",
    "建议单位",
    "主题",
    "渠道",
    "身份",
    "状态",
    "平均分",
    "评分人数",
    "收到时间",
    "姓名",
    "手机号",
)


def export(ideas, reveal=False):
    fileobj = io.BytesIO()
    queryset = Suggestion.objects.filter(pk__in=[idea.pk for idea in ideas]).order_by("pk")
    count = suggestions_xlsx_write(queryset=queryset, reveal=reveal, fileobj=fileobj)
    fileobj.seek(0)
    sheet = load_workbook(fileobj).active  # not read_only: cell types and hyperlinks visible
    return count, sheet


def test_headers_labels_numbers_and_local_time(idea_factory):
    when = datetime(2026, 3, 1, 1, 30, tzinfo=ZoneInfo("UTC"))
    idea = idea_factory(unit="城区", title="发展全域旅游", received_at=when, name="", phone="")
    Suggestion.objects.filter(pk=idea.pk).update(score_mean=7.456, score_count=3)
    count, sheet = export([idea])
    assert count == 1 and sheet.title == "金点子"
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == HEADERS
    row = rows[1]
    assert row[:5] == (idea.receipt, "发展全域旅游", idea.content, "城区", idea.topic.name)
    assert row[5:8] == ("网页", "群众", "已收集")
    assert row[8:10] == (7.46, 3)
    assert row[10] == datetime(2026, 3, 1, 9, 30)  # Asia/Shanghai, as a real date cell
    assert sheet.cell(2, 11).is_date
    assert row[11:] == (None, None)  # no contact given: empty cells


def test_text_is_never_a_formula_link_or_number_and_contact_is_masked(idea_factory):
    idea = idea_factory(
        unit="城区",
        title="=1+1",
        content="详见 https://example.com/a 和 +86 电话\x07",
        name="@张三",
        phone="13812345678",
    )
    _, sheet = export([idea])
    title, content = sheet.cell(2, 2), sheet.cell(2, 3)
    assert (title.value, title.data_type) == ("'=1+1", "s")
    assert content.data_type == "s" and content.hyperlink is None
    # The control character is escaped the way Excel reads it (openpyxl would refuse the row).
    assert content.value == "详见 https://example.com/a 和 +86 电话_x0007_"
    assert [cell.value for cell in sheet[2][11:]] == ["'@**", "138****5678"]  # masked

    _, sheet = export([idea], reveal=True)
    assert [cell.value for cell in sheet[2][11:]] == ["'@张三", "13812345678"]
    assert all(cell.data_type == "s" for cell in sheet[2][11:])


def test_empty_export_still_has_the_headers(db):
    count, sheet = export([])
    assert count == 0
    assert list(sheet.iter_rows(values_only=True)) == [HEADERS]


def test_gunicorn_gives_a_whole_unit_export_time_to_finish():
    # A sync worker is killed after `timeout` seconds of one request (default 30 s); the
    # largest unit's export takes ~12 s on the shared machine and must never hit it.
    settings = runpy.run_path(str(Path(__file__).resolve().parents[2] / "gunicorn.conf.py"))
    assert settings["timeout"] >= 120
