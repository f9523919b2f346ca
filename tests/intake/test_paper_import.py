import io
import time
import zipfile

import openpyxl
import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from suggestions.intake.paper_import import (
    HEADERS,
    SAMPLE_ROW,
    PaperSuggestionResource,
    xlsx_dataset,
)
from suggestions.models import Suggestion
from units.roles import Role, assign_role

pytestmark = pytest.mark.django_db

ADMIN = "/admin/suggestions/papersuggestion/"


def xlsx(rows, headers=HEADERS) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def row(**changes):
    values = dict(zip(HEADERS, SAMPLE_ROW, strict=True))
    values.update(changes)
    return [values[h] for h in HEADERS]


def _user(username, role, units=()):
    # No password: force_login, and no slow hashing per test.
    user = get_user_model().objects.create_user(username=username, password=None, is_staff=True)
    assign_role(user=user, role=role, units=list(units))
    return user


@pytest.fixture
def staff(client, units, campaign):
    user = _user("importer", Role.ADMINISTRATOR)
    client.force_login(user)
    return user


def upload(client, data: bytes, name="forms.xlsx"):
    return client.post(
        f"{ADMIN}import/",
        {"format": "0", "resource": "0", "import_file": SimpleUploadedFile(name, data)},
    )


def confirm(client, preview):
    form = preview.context["confirm_form"]
    return client.post(f"{ADMIN}process_import/", {k: v for k, v in form.initial.items()})


def test_the_template_has_chinese_headers_and_a_sample_row(client, staff):
    response = client.get(f"{ADMIN}template/")

    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == HEADERS and list(rows[1]) == SAMPLE_ROW


def test_a_valid_file_is_previewed_then_stored_in_one_go_on_confirm(client, staff):
    data = xlsx([row(), row(手机号码="13900000001", 标题='=HYPERLINK("http://x")')])

    preview = upload(client, data)
    assert preview.status_code == 200 and "confirm_form" in preview.context
    assert not Suggestion.objects.exists()  # nothing before the confirm step

    done = confirm(client, preview)

    assert done.status_code == 302
    stored = Suggestion.objects.order_by("id")
    assert [s.channel for s in stored] == ["paper", "paper"]
    assert {s.submitted_by for s in stored} == {staff}
    assert stored[1].title == '=HYPERLINK("http://x")'  # formula kept as text


def test_row_errors_are_listed_in_chinese_by_row_and_column_and_nothing_is_stored(client, staff):
    data = xlsx([row(), row(手机号码="0356-1234567", 建议单位="火星县"), row(建议内容="太短")])

    preview = upload(client, data)

    html = preview.content.decode()
    assert "confirm_form" not in preview.context
    assert "手机号码" in html and "11位" in html and "没有名为“火星县”的单位" in html
    assert "建议内容至少 20 个字" in html
    assert not Suggestion.objects.exists()


def test_the_preview_shows_every_row_as_it_will_be_stored_with_contact_masked(client, staff):
    long_idea = "建议在城区主要路口增设夜间公交线路和候车亭照明，方便市民夜间出行，" * 3
    data = xlsx(
        [
            row(),
            row(
                标题="城区夜间公交线路延长",
                建议内容=long_idea,
                主题="城乡建设",
                建议单位="城区",
                身份="专家学者",
                姓名="欧阳娜娜",
                手机号码="13900000001",
                同意公开展示="是",
            ),
        ]
    )

    preview = upload(client, data)

    html = preview.content.decode()
    assert "confirm_form" in preview.context
    for header in ("标题", "建议内容", "主题", "建议单位", "身份", "姓名", "手机号码"):
        assert f"<th>{header}</th>" in html
    assert "在泽州县建设农产品冷链物流中心" in html and "城区夜间公交线路延长" in html
    assert "泽州县" in html and "城区" in html and "城乡建设" in html and "专家学者" in html
    assert "138****5678" in html and "139****0001" in html
    assert "张*" in html and "欧***" in html
    assert long_idea[:40] + "…" in html and long_idea[:41] not in html
    for secret in ("13812345678", "13900000001", "张三", "欧阳娜娜"):
        assert secret not in html
    assert not Suggestion.objects.exists()


def test_an_invalid_row_keeps_its_error_and_its_contact_stays_masked(client, staff):
    data = xlsx([row(), row(姓名="欧阳娜娜", 手机号码="13900000001", 建议单位="火星县")])

    preview = upload(client, data)

    html = preview.content.decode()
    assert "confirm_form" not in preview.context
    assert "没有名为“火星县”的单位" in html and "建议单位" in html
    assert "欧***" in html and "139****0001" in html
    assert "欧阳娜娜" not in html and "13900000001" not in html


def test_the_confirm_step_stores_without_building_the_preview(staff):
    result = PaperSuggestionResource().import_data(
        xlsx_dataset(xlsx([row()])), dry_run=False, user=staff
    )

    assert [r.diff for r in result.rows] == [None]
    assert Suggestion.objects.get().title == SAMPLE_ROW[0]
    assert PaperSuggestionResource._meta.skip_diff is False  # the class keeps its preview


def test_markup_in_a_cell_is_previewed_as_text(client, staff):
    payload = "<svg onload=alert(1)>"
    data = xlsx([row(标题=f"纸质{payload}", 姓名=payload)])

    html = upload(client, data).content.decode()

    assert payload not in html and "纸质&lt;svg onload=alert(1)&gt;" in html


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("notes.xlsx", b"just text, not a workbook" * 10, "不是 Excel"),
        ("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 500, "不是 Excel"),
    ],
)
def test_files_that_are_not_xlsx_are_refused(client, staff, name, data, message):
    response = upload(client, data, name)
    assert message in response.content.decode()


def _zip(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for member, content in members.items():
            archive.writestr(member, content)
    return out.getvalue()


def test_a_zip_bomb_is_refused_quickly(client, staff):
    bomb = _zip(
        {
            "[Content_Types].xml": b"<Types/>",
            "xl/workbook.xml": b"<workbook/>",
            "xl/worksheets/sheet1.xml": b"0" * (50 * 1024 * 1024),
        }
    )
    assert len(bomb) < 1024 * 1024

    started = time.monotonic()
    response = upload(client, bomb)

    assert "压缩炸弹" in response.content.decode()
    assert time.monotonic() - started < 5


def test_billion_laughs_xml_is_refused(client, staff):
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
        b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
        b"<workbook>&lol3;</workbook>"
    )
    valid = zipfile.ZipFile(io.BytesIO(xlsx([row()])))
    members = {name: valid.read(name) for name in valid.namelist()}
    members["xl/workbook.xml"] = laughs

    response = upload(client, _zip(members))

    assert "不允许的 XML 声明" in response.content.decode()
    assert not Suggestion.objects.exists()


@override_settings(INTAKE_IMPORT_MAX_ROWS=5)
def test_more_rows_than_the_cap_are_refused(client, staff):
    data = xlsx([row(手机号码=f"1390000{i:04d}") for i in range(6)])

    response = upload(client, data)

    assert "超过 5 行" in response.content.decode()


@override_settings(INTAKE_IMPORT_MAX_BYTES=3_000)
def test_files_over_the_size_limit_are_refused(client, staff):
    data = xlsx([row(手机号码=f"1390000{i:04d}", 建议内容="很长的建议" * 300) for i in range(20)])
    assert len(data) > 3_000

    response = upload(client, data)

    assert "文件超过" in response.content.decode()


def test_a_screener_cannot_import(client, units, campaign):
    client.force_login(_user("screener", Role.SCREENER, [units["城区"]]))
    assert client.get(f"{ADMIN}import/").status_code == 403
