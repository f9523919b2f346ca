"""The triage view driven by keyboard only, as a screener and a city reviewer work through it."""

import time
from collections import Counter
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from suggestions.models import ActionVia, SetAsideReason, Status, StatusChange, Suggestion
from tests.factories import SuggestionFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "correct-horse-battery"
TRIAGE = "/admin/suggestions/suggestion/triage/"
SCREENER_DECISIONS = 70  # 50 shortlisted (S), 20 set aside (X + preset 1)
REVIEWER_DECISIONS = 30  # five marks by digit keys, then E


@pytest.fixture(autouse=True)
def _no_leases_left():
    cache.clear()
    yield
    cache.clear()


def _login(context, base, username):
    page = context.new_page()
    page.goto(base + "/admin/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("input[type=submit]").click()
    page.wait_for_url("**/admin/")
    return page


def _shown(page) -> int:
    return int(page.locator(".triage-idea").get_attribute("data-idea"))


def _key(page, key):
    """Press a key and wait for the next idea: decisions and J swap it in without a page
    load (static/js/triage.js); U posts the undo form and loads the page."""
    if key == "u":
        with page.expect_navigation():
            page.keyboard.press(key)
        return
    before = page.locator(".triage-idea").get_attribute("data-idea")
    page.keyboard.press(key)
    page.wait_for_function(
        """(before) => {
            const idea = document.querySelector(".triage-idea");
            return (idea ? idea.dataset.idea : null) !== before;
        }""",
        arg=before,
    )


def _settled(page):
    """Wait until every decision the page has sent is answered (the next idea is shown
    before its predecessor's POST returns)."""
    page.wait_for_selector("#triage[data-pending='0']", state="attached")


def test_one_hundred_decisions_by_keyboard_end_up_in_history(
    live_server, browser, campaign, units, personas
):
    now = timezone.now()
    ideas = [
        SuggestionFactory(campaign=campaign, unit=units["城区"], received_at=now - timedelta(s))
        for s in range(SCREENER_DECISIONS)
    ]
    SuggestionFactory(campaign=campaign, unit=units["泽州县"], received_at=now)  # not theirs
    preset = SetAsideReason.objects.get_or_create(text="与已有金点子重复")[0]
    SetAsideReason.objects.filter(pk=preset.pk).update(sort_order=0)  # key 1

    screener = _login(browser.new_context(locale="zh-CN"), live_server.url, "screener_chengqu")
    screener.goto(live_server.url + TRIAGE + "?status__exact=collected")
    assert _shown(screener) == ideas[0].pk

    # A decision taken back with U within the 10 s: the idea comes back, recorded as an undo.
    # U is pressed while the decision's answer is still held back (a slow network): the
    # undo waits for that answer rather than being lost.
    held = []
    screener.wait_for_load_state("networkidle")  # the next idea is looked ahead

    def hold_the_decision(route):
        if route.request.method == "POST" and not held:
            held.append(route)  # the S decision's POST; the undo's own POST goes through
        else:
            route.continue_()

    screener.route("**" + TRIAGE + "**", hold_the_decision)
    _key(screener, "s")
    assert _shown(screener) == ideas[1].pk
    assert screener.locator("#triage").get_attribute("data-pending") == "1"
    screener.keyboard.press("u")
    with screener.expect_navigation():
        held[0].continue_()
    screener.unroute("**" + TRIAGE + "**")
    assert _shown(screener) == ideas[0].pk

    # From here on every decision swaps in the looked-ahead idea: no page is loaded.
    screener.evaluate("window.sameDocument = true")
    started = time.monotonic()
    for n in range(SCREENER_DECISIONS):
        expected = ideas[n].pk
        assert _shown(screener) == expected
        if n % 7 in (3, 6):  # 20 of 70 set aside with the first preset
            screener.keyboard.press("x")
            _key(screener, "1")
        else:
            _key(screener, "s")
    _settled(screener)
    screener_seconds = time.monotonic() - started
    assert "没有待处理" in screener.content()
    assert screener.evaluate("window.sameDocument") is True

    reviewer = _login(browser.new_context(locale="zh-CN"), live_server.url, "reviewer")
    reviewer.goto(live_server.url + TRIAGE + "?status__exact=shortlisted")
    started = time.monotonic()
    for _ in range(REVIEWER_DECISIONS):
        for digit in "45354":
            reviewer.keyboard.press(digit)
        _key(reviewer, "e")
    _settled(reviewer)
    reviewer_seconds = time.monotonic() - started

    decisions = SCREENER_DECISIONS + REVIEWER_DECISIONS
    per_minute = SCREENER_DECISIONS / screener_seconds * 60
    print(
        f"\n{decisions} keyboard decisions: screener {per_minute:.0f}/min, reviewer"
        f" (five marks each) {REVIEWER_DECISIONS / reviewer_seconds * 60:.0f}/min"
    )

    rows = list(StatusChange.objects.order_by("pk"))
    undo = [r for r in rows if r.via == ActionVia.UNDO]
    assert [(r.suggestion_id, r.actor, r.from_status, r.to_status) for r in undo] == [
        (ideas[0].pk, personas["screener_chengqu"], Status.SHORTLISTED, Status.COLLECTED)
    ]
    triage = [r for r in rows if r.via == ActionVia.TRIAGE]
    assert len(triage) == decisions + 1  # plus the one taken back
    by_screener = [r for r in triage if r.actor == personas["screener_chengqu"]][1:]
    by_reviewer = [r for r in triage if r.actor == personas["reviewer"]]
    assert len(by_screener) == SCREENER_DECISIONS and len(by_reviewer) == REVIEWER_DECISIONS
    assert Counter(r.to_status for r in by_screener) == {
        Status.SHORTLISTED: 50,
        Status.SET_ASIDE: 20,
    }
    assert all(r.reason == preset.text for r in by_screener if r.to_status == Status.SET_ASIDE)
    assert {r.to_status for r in by_reviewer} == {Status.EXCELLENT}
    # No idea decided twice at one stage.
    assert len({r.suggestion_id for r in by_screener}) == SCREENER_DECISIONS
    assert len({r.suggestion_id for r in by_reviewer}) == REVIEWER_DECISIONS
    statuses = Counter(
        Suggestion.objects.filter(unit=units["城区"]).values_list("status", flat=True)
    )
    assert statuses == {Status.EXCELLENT: 30, Status.SHORTLISTED: 20, Status.SET_ASIDE: 20}
    excellent = Suggestion.objects.filter(status=Status.EXCELLENT)
    assert all((s.score_count, s.score_mean) == (1, pytest.approx(4.2)) for s in excellent)
    assert Suggestion.objects.get(unit=units["泽州县"]).status == Status.COLLECTED


def test_two_screeners_in_one_queue_never_hold_the_same_idea(
    live_server, browser, campaign, units, personas
):
    from django.contrib.auth import get_user_model

    from units.roles import Role, assign_role

    second = get_user_model().objects.create_user(
        username="screener_chengqu_2", password=PASSWORD, is_staff=True
    )
    assign_role(user=second, role=Role.SCREENER, units=[units["城区"]])
    now = timezone.now()
    for s in range(12):
        SuggestionFactory(campaign=campaign, unit=units["城区"], received_at=now - timedelta(s))

    url = live_server.url + TRIAGE + "?status__exact=collected"
    one = _login(browser.new_context(locale="zh-CN"), live_server.url, "screener_chengqu")
    two = _login(browser.new_context(locale="zh-CN"), live_server.url, "screener_chengqu_2")
    one.goto(url)
    two.goto(url)
    for step in range(5):
        assert _shown(one) != _shown(two)
        _key(one if step % 2 else two, "s" if step < 3 else "j")
    assert _shown(one) != _shown(two)


def test_an_untouched_score_form_stores_nothing_and_says_why(
    live_server, browser, campaign, units, personas
):
    from suggestions.models import Score

    idea = SuggestionFactory(campaign=campaign, unit=units["城区"], status=Status.SHORTLISTED)
    reviewer = _login(browser.new_context(locale="zh-CN"), live_server.url, "reviewer")
    reviewer.goto(live_server.url + TRIAGE + "?status__exact=shortlisted")
    assert _shown(reviewer) == idea.pk
    # Five rows of marks 1–5 between what 1 and 5 mean, none chosen.
    assert reviewer.locator("#triage-scores .mark-radios").count() == 5
    assert reviewer.locator("#triage-scores input[type=radio]:checked").count() == 0
    assert "5 = 投入小" in reviewer.locator("#triage-scores").inner_text()
    with reviewer.expect_navigation():
        reviewer.keyboard.press("p")  # save the marks only, untouched
    assert "没有选择任何分数，评分未保存" in reviewer.content()
    assert not Score.objects.exists()

    # The arrow keys move along a row once a digit has chosen its first mark.
    reviewer.keyboard.press("3")
    reviewer.keyboard.press("ArrowRight")
    first = reviewer.locator("#triage-scores .mark-radios").first
    assert first.locator("input:checked").get_attribute("value") == "4"

    # One mark of five and E: refused on the page, the idea stays, nothing stored or decided.
    reviewer.keyboard.press("e")
    assert "全部打分" in reviewer.locator("#triage-flash").inner_text()
    assert _shown(reviewer) == idea.pk
    assert not Score.objects.exists()
    assert Suggestion.objects.get(pk=idea.pk).status == Status.SHORTLISTED
