"""关怀模式: switched by a plain link (no JavaScript needed), remembered across pages; large
text, generous line height, 48 px tap targets and no motion on the form."""

import pytest

from tests.a11y.conftest import open_context

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

CONTROLS = (
    "main input:not([type=hidden]):not([tabindex='-1']), main select, main textarea, main button"
)


def test_care_mode_works_without_javascript_and_is_remembered(browser, scene):
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, locale="zh-CN", java_script_enabled=False
    )
    page = context.new_page()
    page.goto(scene["base"] + "/submit/")
    assert page.evaluate("document.documentElement.className") == ""

    page.get_by_role("link", name="关怀模式").click()
    page.wait_for_url("**/submit/")
    assert page.evaluate("document.documentElement.className") == "care"
    page.get_by_role("link", name="查询进度").click()
    assert page.evaluate("document.documentElement.className") == "care"

    page.get_by_role("link", name="退出关怀模式").click()
    assert page.evaluate("document.documentElement.className") == ""


def test_care_mode_text_is_large_and_every_control_is_48px(browser, scene):
    page = open_context(browser, scene, care=True).new_page()
    page.goto(scene["base"] + "/submit/")

    body = page.evaluate(
        "(() => { const s = getComputedStyle(document.body);"
        " return [parseFloat(s.fontSize), parseFloat(s.lineHeight)]; })()"
    )
    assert body[0] >= 20 and body[0] >= 1.5 * 16
    assert body[1] / body[0] >= 1.5
    smallest = page.evaluate(
        "Math.min(...Array.from(document.querySelectorAll('main *'))"
        ".filter(e => e.offsetParent && e.innerText && e.innerText.trim())"
        ".map(e => parseFloat(getComputedStyle(e).fontSize)))"
    )
    assert smallest >= 20, "no visible text of the form below 20 px"

    too_small = []
    for control in page.locator(CONTROLS).all():
        if not control.is_visible():
            continue
        box = control.bounding_box()
        kind = control.get_attribute("type")
        if box["height"] < 48 or (kind == "checkbox" and box["width"] < 48):
            too_small.append((control.get_attribute("id"), box["width"], box["height"]))
    for link in page.locator("header a, header button").all():
        box = link.bounding_box()
        if box["height"] < 48:
            too_small.append((link.inner_text(), box["width"], box["height"]))
    assert too_small == []

    motion = page.evaluate(
        "(() => { const s = getComputedStyle(document.querySelector('button[type=submit]'));"
        " return [s.animationName, s.transitionDuration]; })()"
    )
    assert motion == ["none", "0s"]
