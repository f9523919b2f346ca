"""The whole campaign in a browser: submit, shortlist, score, excellent, tally, dashboard, lookup.

Citizens on a phone's width, staff at a desktop width; staff log in through the login form;
the tally runs in a real Celery worker process. Every page is screenshotted under
tests/e2e/screenshots/ and watched for console errors, failed requests, CSP violations and
dialogs.
"""

import re

import pytest
from playwright.sync_api import expect

from suggestions.models import Score, Status, StatusChange, Suggestion, TallyRun
from suggestions.tallies.tasks import tally_campaign
from tests.conftest import wait_for
from tests.e2e.conftest import shot, staff_login

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}
TITLE = "东街夜市增设公共厕所"
CONTENT = "建议在东街夜市附近增设两处公共厕所并延长开放时间，方便夜间逛街的市民和游客。"


@pytest.fixture
def settled_worker(request, monkeypatch, settings):
    """A real worker whose tallies count up to the moment they run (no settling margin)."""
    settings.TALLY_SETTLE_SECONDS = 0
    monkeypatch.setenv("TALLY_SETTLE_SECONDS", "0")
    return request.getfixturevalue("celery_worker")


def test_a_campaign_from_a_citizens_phone_to_the_leaders_dashboard(
    live_server, browser, campaign, units, topic, personas, settled_worker, watcher
):
    base = live_server.url

    # 1. A citizen fills in the form on a phone and gets a receipt.
    citizen = watcher.attach(browser.new_page(viewport=PHONE, locale="zh-CN"))
    citizen.goto(base + "/")
    shot(citizen, "01-citizen-home")
    citizen.goto(base + "/submit/")
    citizen.get_by_label("标题").fill(TITLE)
    citizen.get_by_label("建议内容").press_sequentially(CONTENT, delay=2)
    citizen.get_by_label("主题").select_option(label=topic.name)
    citizen.get_by_placeholder(re.compile("输入单位名称搜索")).fill("东街")
    citizen.locator("select#id_unit").select_option(label="城区 · 东街街道")
    citizen.get_by_label("身份").select_option(label="群众")
    citizen.get_by_label("姓名（选填）").fill("王小明")
    citizen.get_by_label("手机号码").fill("139 0356 2021")
    citizen.get_by_label("同意在评选结果中公开展示我的建议（不含姓名和电话）").check()
    citizen.get_by_label("我已阅读并同意上方的个人信息处理说明").check()
    assert citizen.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shot(citizen, "02-citizen-submit-form")
    citizen.get_by_role("button", name="提交建议").click()
    receipt = citizen.locator("#receipt-number").inner_text()
    shot(citizen, "03-citizen-receipt")
    watcher.check(citizen, "receipt")
    idea = Suggestion.objects.get(receipt=receipt)
    assert (idea.title, idea.unit.name, idea.status) == (TITLE, "东街街道", Status.COLLECTED)

    # 2. The screener of 城区 (which covers 东街街道) shortlists it on the desk.
    screener = watcher.attach(browser.new_page(viewport=DESKTOP, locale="zh-CN"))
    staff_login(screener, base, "screener_chengqu")
    expect(screener.get_by_role("link", name=receipt)).to_be_visible()
    shot(screener, "04-screener-desk")
    screener.get_by_role("link", name=receipt).click()
    expect(screener.locator("#decision-panel")).to_be_visible()
    # The panels sit below the form at full width (they were once squeezed beside it).
    assert screener.locator("#decision-panel").bounding_box()["width"] > DESKTOP["width"] / 2
    shot(screener, "05-screener-idea")
    screener.get_by_role("button", name="改为“初选入围”").click()
    expect(screener.locator("ul.messagelist")).to_contain_text("已改为“初选入围”")
    shot(screener, "06-screener-shortlisted")
    watcher.check(screener, "screener")
    assert Suggestion.objects.get(pk=idea.pk).status == Status.SHORTLISTED

    # 3. A city reviewer scores it and marks it excellent.
    reviewer = watcher.attach(browser.new_page(viewport=DESKTOP, locale="zh-CN"))
    staff_login(reviewer, base, "reviewer")
    reviewer.get_by_role("link", name=receipt).click()
    for name, mark in [
        ("feasibility", "5"),
        ("innovation", "4"),
        ("benefit", "5"),
        ("cost", "4"),
        ("replicability", "5"),
    ]:
        reviewer.locator(f"#score-panel input[name={name}][value='{mark}']").check()
    reviewer.get_by_role("button", name="保存评分").click()
    expect(reviewer.locator("ul.messagelist")).to_contain_text("评分已保存")
    shot(reviewer, "07-reviewer-scored")
    reviewer.get_by_role("button", name="改为“优秀金点子”").click()
    expect(reviewer.locator("ul.messagelist")).to_contain_text("已改为“优秀金点子”")
    expect(reviewer.locator("#history-panel")).to_contain_text("优秀金点子")
    shot(reviewer, "08-reviewer-excellent")
    watcher.check(reviewer, "reviewer")
    idea.refresh_from_db()
    assert idea.status == Status.EXCELLENT
    assert (idea.score_count, idea.score_mean) == (1, pytest.approx(4.6))
    assert Score.objects.get(suggestion=idea).reviewer == personas["reviewer"]
    assert list(
        StatusChange.objects.filter(suggestion=idea)
        .order_by("pk")
        .values_list("from_status", "to_status", "actor__username")
    ) == [
        (Status.COLLECTED, Status.SHORTLISTED, "screener_chengqu"),
        (Status.SHORTLISTED, Status.EXCELLENT, "reviewer"),
    ]

    # 4. The tally runs in the real worker.
    assert not TallyRun.objects.filter(campaign=campaign).exists()
    tally_campaign.delay(campaign.pk)
    run = wait_for(
        lambda: TallyRun.objects.filter(campaign=campaign, finished_at__isnull=False).first(),
        timeout=45,
    )
    assert run is not None, "the worker did not finish the tally (see var/test-worker.log)"

    # 5. The leader's dashboard shows the new totals.
    leader = watcher.attach(browser.new_page(viewport=DESKTOP, locale="zh-CN"))
    staff_login(leader, base, "leader", next_path="/dashboard/")
    leader.wait_for_selector("#chart-daily svg")
    excellent_in_db = Suggestion.objects.filter(campaign=campaign, status=Status.EXCELLENT).count()
    total_in_db = Suggestion.objects.filter(campaign=campaign).count()
    assert excellent_in_db == 1
    assert leader.locator('[data-figure="excellent"]').inner_text() == f"{excellent_in_db:,}"
    assert leader.locator('[data-figure="total"]').inner_text() == f"{total_in_db:,}"
    shot(leader, "09-leader-dashboard")
    watcher.check(leader, "dashboard")

    # 6. The citizen looks it up on the phone.
    citizen.goto(base + "/lookup/")
    citizen.get_by_label("回执号").fill(receipt)
    citizen.get_by_label("手机号后四位").fill("2021")
    citizen.get_by_role("button", name="查询").click()
    expect(citizen.locator("#lookup-stage")).to_have_text("优秀金点子")
    shot(citizen, "10-citizen-lookup")
    watcher.check(citizen, "lookup")

    assert watcher.problems == []
    assert watcher.dialogs == []
