"""大家干 in a browser: the city adopts and assigns an excellent idea, the lead unit's staff
report progress and completion, the city confirms and publishes the reply, and the citizen
reads it on /lookup/ (phone width) without any staff name or contact.

Every step is a click on the real admin desk pages after logging in through the login form;
the starting point (an idea rated excellent) is set up through the screening workflow.
Pages are screenshotted under tests/e2e/screenshots/ and watched for console errors, failed
requests, CSP violations and dialogs.
"""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from suggestions.common.rules import Actor
from suggestions.common.time import local_date
from suggestions.models import Implementation, ImplementationStatus, Status
from suggestions.screening.workflow import suggestion_transition
from tests.e2e.conftest import shot, staff_login
from tests.factories import SuggestionFactory

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}
DESK = "/admin/suggestions/implementation/"
REPLY = "感谢您的建议。城区已在东街夜市建成口袋公园并对外开放，欢迎市民前往。"
PROGRESS_NOTE = "已完成选址和设计方案"
FINAL_NOTE = "口袋公园已建成开放"


def _act(page, button, message, **fields):
    """Fill the step's fields on the idea's desk page and press its button."""
    for label, value in fields.items():
        page.get_by_label(label, exact=True).fill(value)
    page.get_by_role("button", name=button, exact=True).click()
    expect(page.locator("ul.messagelist")).to_contain_text(message)


def test_an_excellent_idea_from_adoption_to_the_citizens_lookup(
    live_server, browser, campaign, units, personas, watcher
):
    base = live_server.url
    idea = SuggestionFactory(
        campaign=campaign,
        unit=units["巴公镇"],  # of 泽州县: the lead unit 城区 is another unit's staff
        status=Status.SHORTLISTED,
        name="王小明",
        phone="13903562021",
        title="东街夜市建口袋公园",
    )
    suggestion_transition(
        suggestion=idea, to_status=Status.EXCELLENT, actor=Actor.of(personas["reviewer"])
    )
    lead_staff = personas["screener_chengqu"]
    lead_staff.first_name, lead_staff.last_name, lead_staff.email = "建国", "李", "li@cq.gov.cn"
    lead_staff.save()
    due = local_date(timezone.now()) + timedelta(days=60)

    # 1. The city reviewer adopts it and assigns it to 城区 with a due date.
    reviewer = watcher.attach(browser.new_page(viewport=DESKTOP, locale="zh-CN"))
    staff_login(reviewer, base, "reviewer", next_path=DESK)
    expect(reviewer.locator("#result_list")).to_contain_text("待研究")
    shot(reviewer, "adopt-01-reviewer-desk")
    reviewer.get_by_role("link", name=idea.receipt).click()

    expect(reviewer.locator("#implementation-act-panel")).to_be_visible()
    # The desk masks the citizen's contact.
    expect(reviewer.locator("#content")).not_to_contain_text("13903562021")
    expect(reviewer.locator("#content")).not_to_contain_text("王小明")
    _act(reviewer, "采纳", "已完成“采纳”", 说明="列入年度重点工作")
    reviewer.get_by_label("承办单位", exact=True).select_option(label="城区")
    reviewer.get_by_label("办结期限", exact=True).fill(due.isoformat())
    _act(reviewer, "交办", "已完成“交办”")
    expect(reviewer.locator("#implementation-history-panel")).to_contain_text("已交办")
    shot(reviewer, "adopt-02-reviewer-assigned")
    watcher.check(reviewer, "reviewer")

    # 2. 城区's staff find it on their desk (an idea of another unit) and report.
    lead = watcher.attach(browser.new_page(viewport=DESKTOP, locale="zh-CN"))
    staff_login(lead, base, "screener_chengqu", next_path=DESK)
    lead.get_by_role("link", name=idea.receipt).click()
    _act(lead, "进展更新", "已完成“进展更新”", **{"进度（%）": "40", "说明": PROGRESS_NOTE})
    # Completing without a final note is refused, with the reason, and nothing changes.
    _act(lead, "报告办结", "报告办结需要填写办结说明")
    assert Implementation.objects.get(suggestion=idea).status == ImplementationStatus.IN_PROGRESS
    _act(lead, "报告办结", "已完成“报告办结”", 说明=FINAL_NOTE)
    expect(lead.locator("#implementation-history-panel")).to_contain_text("已落实（待确认）")
    shot(lead, "adopt-03-lead-unit-completed")
    watcher.check(lead, "lead unit")

    # 3. The city confirms and publishes the official reply.
    reviewer.goto(base + DESK)
    reviewer.get_by_role("link", name=idea.receipt).click()
    _act(reviewer, "确认落实", "已完成“确认落实”")
    _act(reviewer, "发布答复", "已完成“发布答复”", 说明=REPLY)
    shot(reviewer, "adopt-04-reviewer-confirmed-replied")
    watcher.check(reviewer, "reviewer confirm")

    impl = Implementation.objects.get(suggestion=idea)
    assert (impl.status, impl.percent, impl.lead_unit) == (
        ImplementationStatus.CONFIRMED,
        100,
        units["城区"],
    )
    assert (impl.reply_text, impl.reply_public, impl.reply_approved_by) == (
        REPLY,
        True,
        personas["reviewer"],
    )
    assert list(impl.history.order_by("pk").values_list("action", "actor__username")) == [
        ("adopt", "reviewer"),
        ("assign", "reviewer"),
        ("progress", "screener_chengqu"),
        ("complete", "screener_chengqu"),
        ("confirm", "reviewer"),
        ("reply", "reviewer"),
    ]

    # 4. The citizen looks it up on a phone: reply, "已落实", the public steps; no staff.
    citizen = watcher.attach(browser.new_page(viewport=PHONE, locale="zh-CN"))
    citizen.goto(base + "/lookup/")
    citizen.get_by_label("回执号").fill(idea.receipt)
    citizen.get_by_label("手机号后四位").fill("2021")
    citizen.get_by_role("button", name="查询").click()
    expect(citizen.locator("#lookup-stage")).to_have_text("优秀金点子")
    expect(citizen.locator("#lookup-implementation-status")).to_have_text("已落实")
    expect(citizen.locator("#lookup-reply")).to_contain_text(REPLY)
    timeline = citizen.locator("#lookup-timeline")
    expect(timeline).to_contain_text(PROGRESS_NOTE)
    expect(timeline).to_contain_text(FINAL_NOTE)
    assert citizen.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shot(citizen, "adopt-05-citizen-lookup")
    watcher.check(citizen, "lookup")
    text = citizen.locator("body").inner_text()
    html = citizen.content()
    for secret in (
        "screener_chengqu",
        "reviewer",
        "李",
        "建国",
        "li@cq.gov.cn",
        "13903562021",
        "王小明",
    ):
        assert secret not in text and secret not in html, secret

    assert watcher.problems == [] and watcher.dialogs == []
