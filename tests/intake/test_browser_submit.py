import re

import pytest

from suggestions.models import Suggestion

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_citizen_submits_from_a_phone_gets_a_receipt_and_looks_it_up(
    live_server, page, campaign, units, topic
):
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(live_server.url + "/submit/")

    page.get_by_label("标题").fill("老城区增设口袋公园")
    content = page.get_by_label("建议内容")
    content.press_sequentially("建议在老城区增加口袋公园和健身步道，方便居民就近锻炼。", delay=5)
    assert "已输入 27 / 2000 字" in page.locator(".char-count").inner_text()
    page.get_by_label("主题").select_option(label=topic.name)
    page.get_by_placeholder(re.compile("输入单位名称搜索")).fill("巴公")
    unit_select = page.locator("select#id_unit")
    unit_select.select_option(label="泽州县 · 巴公镇")
    page.get_by_label("身份").select_option(label="群众")
    page.get_by_label("手机号码").fill("138 1234 5678")
    page.get_by_label("我已阅读并同意上方的个人信息处理说明").check()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.get_by_role("button", name="提交建议").click()

    receipt = page.locator("#receipt-number").inner_text()
    stored = Suggestion.objects.get()
    assert receipt == stored.receipt and stored.unit.name == "巴公镇"

    page.get_by_role("link", name="查询办理进度").click()
    assert page.get_by_label("回执号").input_value() == receipt
    page.get_by_label("手机号后四位").fill("5678")
    page.get_by_role("button", name="查询").click()

    assert page.locator("#lookup-stage").inner_text() == "已收集"
