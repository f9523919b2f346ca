import pytest
from playwright.sync_api import expect

from suggestions.models import Score, Status, StatusChange, Suggestion
from tests.factories import SuggestionFactory

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]
PASSWORD = "correct-horse-battery"


def _login(page, base, username):
    page.goto(base + "/admin/login/?next=/admin/suggestions/suggestion/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("input[type=submit]").click()
    page.wait_for_url("**/admin/suggestions/suggestion/")


def test_screener_shortlists_two_and_reviewer_scores_and_marks_one_excellent(
    live_server, browser, campaign, units, personas
):
    ideas = [
        SuggestionFactory(campaign=campaign, unit=units["城区"], title=f"发展夜间经济{i}")
        for i in range(3)
    ]

    screener = browser.new_context(locale="zh-CN").new_page()
    _login(screener, live_server.url, "screener_chengqu")
    for idea in ideas[:2]:
        screener.locator(f"input.action-select[value='{idea.pk}']").check()
    screener.locator("select[name=action]").select_option("shortlist")
    screener.locator("button[name=index]").click()
    expect(screener.locator("ul.messagelist")).to_contain_text("2 条已改为“初选入围”，0 条被拒绝")

    reviewer = browser.new_context(locale="zh-CN").new_page()
    _login(reviewer, live_server.url, "reviewer")
    reviewer.get_by_role("link", name=ideas[0].receipt).click()
    for name, mark in [
        ("feasibility", "5"),
        ("innovation", "4"),
        ("benefit", "5"),
        ("cost", "3"),
        ("replicability", "4"),
    ]:
        reviewer.locator(f"#score-panel input[name={name}][value='{mark}']").check()
    reviewer.get_by_role("button", name="保存评分").click()
    expect(reviewer.locator("ul.messagelist")).to_contain_text("评分已保存")
    reviewer.get_by_role("button", name="改为“优秀金点子”").click()
    expect(reviewer.locator("ul.messagelist")).to_contain_text("已改为“优秀金点子”")
    expect(reviewer.locator("#history-panel")).to_contain_text("优秀金点子")

    statuses = dict(Suggestion.objects.values_list("pk", "status"))
    assert [statuses[i.pk] for i in ideas] == [Status.EXCELLENT, Status.SHORTLISTED, "collected"]
    first = Suggestion.objects.get(pk=ideas[0].pk)
    assert (first.score_count, first.score_mean) == (1, pytest.approx(4.2))
    assert Score.objects.get().reviewer == personas["reviewer"]
    assert list(
        StatusChange.objects.filter(suggestion=first).values_list("from_status", "to_status", "via")
    ) == [("collected", "shortlisted", "bulk"), ("shortlisted", "excellent", "admin")]
