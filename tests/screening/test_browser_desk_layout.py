"""The changelist as a screener sees it: rows per screen, nothing wrapped, cards on phones."""

from datetime import timedelta

import pytest
from django.utils import timezone

from suggestions.models import Status
from tests.factories import SuggestionFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "correct-horse-battery"
LIST = "/admin/suggestions/suggestion/"
LONG_TITLE = "关于进一步加强老城区背街小巷环境综合整治与停车秩序管理的建议"
LONG_CONTENT = (
    "目前老城区背街小巷停车难、环境差，群众反映强烈。建议统一规划停车位，分时段停车。" * 4
)

# For each cell: how many distinct line tops its text occupies, and whether it is clipped.
CELL_LINES = """cells => cells.map(cell => {
  const tops = new Set();
  const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (!node.textContent.trim()) continue;
    const range = document.createRange();
    range.selectNodeContents(node);
    for (const r of range.getClientRects()) if (r.width > 0) tops.add(Math.round(r.top));
  }
  return {text: cell.innerText.trim(), lines: tops.size,
          clipped: cell.scrollWidth > cell.clientWidth + 1};
})"""


@pytest.fixture
def busy_list(campaign, units):
    now = timezone.now()
    statuses = [Status.COLLECTED, Status.SHORTLISTED, Status.EXCELLENT, Status.SET_ASIDE]
    return [
        SuggestionFactory(
            campaign=campaign,
            unit=units["城区"],
            status=statuses[i % 4],
            title=f"{LONG_TITLE}{i}",
            content=LONG_CONTENT,
            received_at=now - timedelta(minutes=i),
        )
        for i in range(30)
    ]


def _login(page, base, username):
    page.goto(base + "/admin/login/?next=" + LIST)
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("input[type=submit]").click()
    page.wait_for_url("**" + LIST)


def test_a_laptop_screen_shows_at_least_12_ideas_with_receipts_and_statuses_on_one_line(
    live_server, browser, personas, busy_list
):
    page = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN").new_page()
    _login(page, live_server.url, "screener_chengqu")
    rows = page.locator("#result_list tbody tr")
    visible = sum(
        1
        for box in (rows.nth(i).bounding_box() for i in range(rows.count()))
        if box and box["y"] + box["height"] <= 900
    )
    assert visible >= 12, f"only {visible} ideas on the first screen"
    for selector in (
        "#result_list th.field-receipt",
        "#result_list td.field-status_chip",
        "#result_list td.field-received_short",
    ):
        for cell in page.locator(selector).evaluate_all(CELL_LINES):
            assert cell["lines"] == 1 and not cell["clipped"], (selector, cell)
    titles = page.locator("#result_list .idea-title").evaluate_all(CELL_LINES)
    assert all(t["lines"] == 1 for t in titles)  # one line, ellipsis beyond
    snippets = page.locator("#result_list .idea-snippet").evaluate_all(CELL_LINES)
    assert len(snippets) == len(titles) and all(s["lines"] == 1 for s in snippets)

    # A 1024 px laptop: still one line each, and the title keeps real room.
    page.set_viewport_size({"width": 1024, "height": 768})
    for cell in page.locator("#result_list th.field-receipt").evaluate_all(CELL_LINES):
        assert cell["lines"] == 1 and not cell["clipped"], cell
    assert page.locator("#result_list td.field-title_block").first.bounding_box()["width"] >= 180


def test_a_phone_shows_cards_and_no_column_narrower_than_four_characters(
    live_server, browser, personas, busy_list
):
    page = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN").new_page()
    _login(page, live_server.url, "screener_chengqu")
    cells = page.locator("#result_list th, #result_list td").evaluate_all(
        """cells => cells.filter(c => c.offsetParent !== null && c.innerText.trim())
          .map(c => ({text: c.innerText.trim(), width: c.getBoundingClientRect().width,
                      em: parseFloat(getComputedStyle(c).fontSize)}))"""
    )
    assert cells
    narrow = [c for c in cells if c["width"] < 4 * c["em"]]
    assert not narrow, narrow[:5]
    # One card per idea: the title spans the card.
    card = page.locator("#result_list tbody tr").first.bounding_box()
    title = page.locator("#result_list td.field-title_block").first.bounding_box()
    assert title["width"] >= card["width"] * 0.8
