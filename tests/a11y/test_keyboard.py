"""A citizen who uses only the keyboard (Tab, Shift+Tab, Enter, Space, arrows, typing)
submits an idea and looks it up; errors take the focus and clear as they are fixed."""

import pytest

from suggestions.models import Suggestion
from tests.a11y.conftest import open_context

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

ACTIVE_MATCHES = "(s) => !!document.activeElement && document.activeElement.matches(s)"
FOCUS_RING = """() => { const s = getComputedStyle(document.activeElement);
  return s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2; }"""


def tab_to(page, selector: str, *, back: bool = False, limit: int = 60) -> None:
    """Press Tab (or Shift+Tab) until the focus is on selector; fail if it never gets there."""
    for _ in range(limit):
        page.keyboard.press("Shift+Tab" if back else "Tab")
        if page.evaluate(ACTIVE_MATCHES, selector):
            return
    raise AssertionError(f"{selector} cannot be reached with {'Shift+' if back else ''}Tab")


def test_a_keyboard_user_submits_an_idea_and_looks_it_up(browser, scene):
    page = open_context(browser, scene, care=False).new_page()
    page.goto(scene["base"] + "/")

    page.keyboard.press("Tab")  # the first stop of every page is the skip link
    assert page.evaluate(ACTIVE_MATCHES, "a.skip-link")
    assert page.evaluate(FOCUS_RING), "the skip link shows where the focus is"
    page.keyboard.press("Enter")
    tab_to(page, 'main a[href="/submit/"]')
    assert page.evaluate(FOCUS_RING)
    page.keyboard.press("Enter")
    page.wait_for_url("**/submit/")

    tab_to(page, "#id_title")
    page.keyboard.type("古城墙夜间照明")
    page.keyboard.press("Tab")
    assert page.evaluate(ACTIVE_MATCHES, "#id_content")
    page.keyboard.type("建议为古城墙增设夜间景观照明，延长游客停留时间，带动周边夜间消费。")
    tab_to(page, "#id_topic")
    page.keyboard.press("ArrowDown")
    assert page.locator("#id_topic").input_value() != ""
    tab_to(page, "#id_unit_search")
    page.keyboard.type("文旅")
    assert page.locator("#id_unit option:checked").inner_text() == "市文化和旅游局"
    tab_to(page, "#id_phone")
    page.keyboard.type("138 1234 5678")
    tab_to(page, "#id_name", back=True)  # back up one field: nothing to add there
    tab_to(page, "#id_consent")
    page.keyboard.press("Space")
    assert page.locator("#id_consent").is_checked()
    tab_to(page, "form.intake-form button[type=submit]")
    assert page.evaluate(FOCUS_RING)
    page.keyboard.press("Enter")
    page.wait_for_url("**/submit/receipt/**")

    receipt = page.locator("#receipt-number").inner_text()
    stored = Suggestion.objects.get(receipt=receipt)
    assert stored.unit.name == "市文化和旅游局" and stored.title == "古城墙夜间照明"
    tab_to(page, 'main a[href^="/lookup/?receipt="]')
    page.keyboard.press("Enter")
    page.wait_for_url("**/lookup/**")

    tab_to(page, "#id_phone_last4")
    page.keyboard.type("5678")
    page.keyboard.press("Enter")  # submits the form
    page.wait_for_selector("#lookup-result")
    assert page.locator("#lookup-result-title").inner_text() == "古城墙夜间照明"
    assert page.locator("#lookup-stage").inner_text() == "已收集"


def test_the_first_error_takes_the_focus_and_each_error_clears_once_fixed(browser, scene):
    page = open_context(browser, scene, care=False).new_page()
    page.goto(scene["base"] + "/submit/")

    tab_to(page, "form.intake-form button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_selector("#error-summary")

    assert page.locator("#error-summary").get_attribute("role") == "alert"
    assert page.evaluate(ACTIVE_MATCHES, "#id_title")  # the first field with an error
    title = page.locator("#id_title")
    assert title.get_attribute("aria-invalid") == "true"
    assert "id_title_error" in title.get_attribute("aria-describedby")

    page.keyboard.type("老城区增设口袋公园")
    assert page.locator("#id_title_error").count() == 0
    assert title.get_attribute("aria-invalid") is None
    assert page.locator('[data-error-for="id_title"]').count() == 0

    # Too short a content keeps its error; long enough clears it.
    page.keyboard.press("Tab")
    page.keyboard.type("太短了")
    assert page.locator("#id_content_error").count() == 1
    page.keyboard.type("，建议在老城区增加口袋公园和健身步道，方便居民锻炼。")
    assert page.locator("#id_content_error").count() == 0

    # A select clears when something is chosen; a wrong phone number keeps its error.
    tab_to(page, "#id_topic")
    page.keyboard.press("ArrowDown")
    assert page.locator("#id_topic_error").count() == 0
    tab_to(page, "#id_phone")
    page.keyboard.type("0356-123")
    assert page.locator("#id_phone_error").count() == 1
    page.keyboard.press("Control+A")
    page.keyboard.type("13812345678")
    assert page.locator("#id_phone_error").count() == 0
    tab_to(page, "#id_consent")
    page.keyboard.press("Space")
    assert page.locator("#id_consent_error").count() == 0
    # Only the unit is left in the summary.
    assert page.locator("[data-error-for]").all_inner_texts() == ["建议单位：该字段是必填项。"]


def test_a_leader_works_the_dashboard_with_the_keyboard_alone(browser, scene, personas):
    from tests.a11y.conftest import staff_login

    page = open_context(browser, scene, care=False, viewport={"width": 1440, "height": 900})
    page = page.new_page()
    staff_login(page, scene, personas["leader"].username)
    page.goto(scene["base"] + "/dashboard/")

    page.keyboard.press("Tab")
    assert page.evaluate(ACTIVE_MATCHES, "a.skip-link")
    page.keyboard.press("Enter")  # past the header, into the figures

    # Sort the unit table by its total: the header button says how it is sorted.
    tab_to(page, 'th button[data-sort="number"]')
    assert page.evaluate(FOCUS_RING), "the sort button shows where the focus is"
    page.keyboard.press("Enter")
    header = page.locator("th", has=page.locator('button[data-sort="number"]')).first
    assert header.get_attribute("aria-sort") == "descending"
    page.keyboard.press("Space")
    assert header.get_attribute("aria-sort") == "ascending"

    # The scrollable table takes the focus, so arrow keys can scroll it.
    tab_to(page, 'div.table-responsive[role="region"]', back=True)

    # Back up to the wall-screen link and open it.
    tab_to(page, "#screen-link", back=True)
    page.keyboard.press("Enter")
    page.wait_for_url("**/dashboard/?*screen=1*")
