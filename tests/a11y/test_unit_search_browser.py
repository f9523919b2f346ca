"""The unit search box finds what people type and says so when nothing matches; without
JavaScript the plain select still lists every unit."""

import pytest

from tests.a11y.conftest import open_context

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

TYPED = {
    "文旅": "市文化和旅游局",
    "发改": "市发展和改革委员会",
    "泽州": "泽州县",
    "北石店": "城区 · 北石店镇",
    "开发区": "晋城经济技术开发区",
    "皇城相府": "阳城县",
    "教育": "市教育局",
}


def test_what_people_type_selects_the_right_unit(browser, scene):
    page = open_context(browser, scene, care=False).new_page()
    page.goto(scene["base"] + "/submit/")
    search = page.get_by_label("搜索单位（名称、简称、县区或乡镇）")

    chosen = {}
    for typed in TYPED:
        search.fill(typed)
        chosen[typed] = page.locator("#id_unit option:checked").inner_text()
        status = page.locator("#id_unit_search_status").inner_text()
        assert status.startswith("找到") and chosen[typed] in status
    assert chosen == TYPED

    search.fill("火星探测局")
    assert page.locator("#id_unit_search_status").inner_text().startswith("没有找到“火星探测局”")
    assert page.locator("#id_unit option").count() > 140  # the whole list is back to choose from
    search.fill("")
    assert page.locator("#id_unit_search_status").inner_text() == ""


def test_without_javascript_the_select_lists_every_unit(browser, scene):
    context = browser.new_context(locale="zh-CN", java_script_enabled=False)
    page = context.new_page()
    page.goto(scene["base"] + "/submit/")

    assert page.locator("#id_unit_search").count() == 0
    assert page.locator("#id_unit option").count() == 1 + 6 + 77 + 1 + 68
    assert page.get_by_label("建议单位").count() == 1
