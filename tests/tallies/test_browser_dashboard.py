"""The dashboard in Debian's chromium: the desk page on a phone and a desktop, the wall
screen at 1920×1080 with a simulated campaign, labels, the 本级 toggle, auto-refresh,
axe-core (normal and 关怀模式) and screenshots for people to look at."""

import re
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.conf import settings
from django.test import Client

from suggestions.demo.simulation import campaign_simulate
from suggestions.models import Status, Suggestion
from suggestions.tallies.aggregation import tally_run
from tests.conftest import wait_for
from tests.tallies.conftest import make_ideas

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]

SCREENSHOTS = Path(settings.BASE_DIR) / "var" / "screenshots"
# 1 % of the 2021 campaign: ~1,540 ideas over 20 days, 75 units, the city's 本级 intake.
SCALE = 0.01


def _log_in(page, live_server, user, *, care=False):
    client = Client()
    client.force_login(user)
    cookies = [
        {
            "name": settings.SESSION_COOKIE_NAME,
            "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
            "url": live_server.url,
        }
    ]
    if care:
        cookies.append({"name": "care_mode", "value": "1", "url": live_server.url})
    page.context.add_cookies(cookies)


def _watch(page) -> list[str]:
    """Page errors, console errors (a CSP violation is one) and failed requests (but the
    browser's own /favicon.ico probe on pages that name no icon)."""
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on(
        "console",
        lambda msg: (
            errors.append(msg.text)
            if msg.type == "error" and not msg.text.startswith("Failed to load resource")
            else None
        ),
    )
    page.on(
        "response",
        lambda r: (
            errors.append(f"{r.status} {r.url}")
            if r.status >= 400 and not r.url.endswith("/favicon.ico")
            else None
        ),
    )
    return errors


@pytest.fixture
def simulated(units, campaign, personas, settled):
    campaign_simulate(scale=SCALE, slug=campaign.slug)
    tally_run(campaign_id=campaign.pk)
    return campaign


def _number(text: str) -> int:
    return int(text.strip().replace(",", ""))


def _database_figures(campaign) -> dict[str, str]:
    """The six headline figures from SELECT count(*), formatted as the page shows them."""
    ideas = Suggestion.objects.filter(campaign=campaign)
    total = ideas.count()
    counts = {state: ideas.filter(status=state).count() for state in Status.values}
    excellent = counts[Status.EXCELLENT]
    return {
        "total": f"{total:,}",
        "collected": f"{counts[Status.COLLECTED]:,}",
        "shortlisted": f"{counts[Status.SHORTLISTED]:,}",
        "excellent": f"{excellent:,}",
        "set_aside": f"{counts[Status.SET_ASIDE]:,}",
        "pass_rate": f"{excellent / total * 100:.1f}%",
    }


def _shown_labels(page) -> list[str]:
    return page.evaluate(
        """() => Array.from(document.querySelectorAll(
            'svg text, .tallies-bar-label, .tallies-label, .tallies-figure, .tallies-bar-value'
        )).map(el => el.textContent.trim())"""
    )


def _clipped(page) -> list[str]:
    """Text boxes whose content is wider or taller than the box (cut off or overflowing)."""
    return page.evaluate(
        """() => Array.from(document.querySelectorAll(
            '.tallies-bar-label, .tallies-bar-value, .tallies-figure, .tallies-label, h1, h2'
        )).filter(el => el.offsetParent !== null && !el.closest('.visually-hidden')
            && (el.scrollWidth > el.clientWidth + 1 || el.scrollHeight > el.clientHeight + 1))
          .map(el => el.textContent.trim())"""
    )


def test_the_wall_screen_fits_1920_by_1080_and_shows_the_databases_figures(
    live_server, page, simulated, personas
):
    errors = _watch(page)
    _log_in(page, live_server, personas["leader"])
    page.set_viewport_size({"width": 1920, "height": 1080})

    page.goto(live_server.url + "/dashboard/?screen=1")

    size = page.evaluate("[document.scrollingElement.scrollHeight, window.innerHeight]")
    assert size[0] <= size[1], size
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 1920
    shown = {
        name: page.locator(f'[data-figure="{name}"]').inner_text()
        for name in ("total", "collected", "shortlisted", "excellent", "set_aside", "pass_rate")
    }
    assert shown == _database_figures(simulated)
    assert _number(shown["total"]) >= 1000 and "," in shown["total"]
    # Every panel the wall screen promises is there, and nothing leaves its box.
    for selector in ("#chart-daily svg", "#chart-units li", "#chart-channel li", "#units-reported"):
        assert page.locator(selector).first.is_visible(), selector
    assert page.locator("header.portal-header").count() == 0
    assert _clipped(page) == []
    # Large numbers for reading from 5 m: the headline figures are at least 48 px high.
    size_px = page.evaluate(
        "parseFloat(getComputedStyle(document.querySelector('[data-figure=total]')).fontSize)"
    )
    assert size_px >= 48
    assert errors == []


@pytest.mark.parametrize(
    ("width", "height", "query"),
    [(390, 844, ""), (1440, 900, ""), (1920, 1080, "?screen=1"), (1920, 1080, "?own=1")],
)
def test_no_label_is_cut_or_ends_in_an_ellipsis(
    live_server, page, simulated, personas, width, height, query
):
    _log_in(page, live_server, personas["leader"])
    page.set_viewport_size({"width": width, "height": height})
    page.goto(live_server.url + "/dashboard/" + query)

    labels = _shown_labels(page)
    assert len(labels) > 20
    assert [label for label in labels if label.endswith(("...", "…"))] == []
    assert _clipped(page) == []
    # Counts on the axis are whole numbers with separators.
    ticks = page.evaluate(
        """() => Array.from(document.querySelectorAll('svg.tallies-daily .tallies-axis text'))
            .map(el => el.textContent.trim())"""
    )
    assert ticks
    for tick in ticks:
        assert re.fullmatch(r"[\d,]+|\d{1,4}(-\d{1,2}){1,2}", tick), tick
    assert page.evaluate("document.scrollingElement.scrollWidth") <= width


def test_the_ranking_leaves_out_the_citys_own_intake_until_asked(
    live_server, page, simulated, personas
):
    _log_in(page, live_server, personas["leader"])
    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto(live_server.url + "/dashboard/")

    ranking = page.locator("#chart-units .tallies-bar-label")
    assert "本级" not in " ".join(ranking.all_inner_texts())
    assert "晋城市（本级）" in page.locator('[data-figure="own_total"]').locator("..").inner_text()
    page.locator("#own-toggle").click()
    page.wait_for_url("**own=1**")
    assert "本级" in ranking.first.inner_text()
    page.locator("#own-toggle").click()
    page.wait_for_url(re.compile(r"/dashboard/\?#ranking$"))
    assert "本级" not in " ".join(ranking.all_inner_texts())


def test_the_wall_screen_refreshes_its_figures(
    live_server, page, units, campaign, personas, settled, settings
):
    settings.DASHBOARD_SCREEN_REFRESH_SECONDS = 1
    make_ideas(campaign, units["东街街道"], 3)
    errors = _watch(page)
    _log_in(page, live_server, personas["leader"])
    page.set_viewport_size({"width": 1920, "height": 1080})
    page.goto(live_server.url + "/dashboard/?screen=1")
    assert page.locator('[data-figure="total"]').inner_text() == "3"

    make_ideas(campaign, units["东街街道"], 2)

    # (wait_for_function would evaluate a string in the page, which the CSP forbids.)
    figure = page.locator('[data-figure="total"]')
    assert wait_for(lambda: figure.inner_text() == "5", timeout=10), figure.inner_text()
    assert errors == []


def test_the_desk_table_sorts_and_the_page_fits_a_phone(
    live_server, page, units, campaign, personas
):
    make_ideas(campaign, units["东街街道"], 3)
    tally_run(campaign_id=campaign.pk)
    errors = _watch(page)
    _log_in(page, live_server, personas["leader"])
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(live_server.url + "/dashboard/")

    assert page.locator('[data-figure="total"]').inner_text() == "3"
    page.locator("#unit-table th button").nth(1).click()
    assert page.locator("#unit-table tbody tr").first.inner_text().startswith("城区")
    assert page.locator("#unit-table th").nth(1).get_attribute("aria-sort") == "descending"
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 390
    assert errors == []


# The smallest font size of any visible text in <main> (outside SVG charts, whose text scales
# with the chart and has a data table beside it), and where it is.
SMALLEST_TEXT = """() => {
  let best = [1000, ""];
  for (const el of document.querySelectorAll("main *")) {
    if (el.closest("svg") || el.closest(".visually-hidden") || !el.offsetParent) continue;
    const own = Array.from(el.childNodes).some(n => n.nodeType === 3 && n.textContent.trim());
    if (!own) continue;
    const size = parseFloat(getComputedStyle(el).fontSize);
    const where = el.tagName + "." + el.className + " " + el.textContent.trim().slice(0, 20);
    if (size < best[0]) best = [size, where];
  }
  return best;
}"""


def _serious(results) -> list[str]:
    return [
        f"{v['id']} ({v['impact']}): {len(v['nodes'])} × {[n['target'] for n in v['nodes']][:6]}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


@pytest.mark.parametrize("care", [False, True], ids=["normal", "care"])
def test_axe_finds_no_serious_violation_on_the_dashboard_and_report(
    live_server, page, simulated, personas, units, care
):
    _log_in(page, live_server, personas["leader"], care=care)
    city = units["晋城市"].pk
    pages = [
        ("desk 1440", 1440, 900, "/dashboard/"),
        ("desk 390", 390, 844, "/dashboard/"),
        ("大屏 1920", 1920, 1080, "/dashboard/?screen=1"),
        ("unit 1440", 1440, 900, f"/dashboard/unit/{units['城区'].pk}/"),
        ("report 1440", 1440, 900, f"/reports/{city}/"),
        ("report 390", 390, 844, f"/reports/{city}/"),
    ]
    axe = Axe()
    found = {}
    for name, width, height, path in pages:
        page.set_viewport_size({"width": width, "height": height})
        page.goto(live_server.url + path)
        if care:
            # The site's layout sets <html class="care"> from the care_mode cookie (the wall
            # screen does it itself); the class is what the dashboard's CSS keys on.
            page.evaluate("() => document.documentElement.classList.add('care')")
            smallest = page.evaluate(SMALLEST_TEXT)
            assert smallest[0] >= 20, (name, smallest)
        results = axe.run(page)
        violations = results.response["violations"]
        serious = _serious(results)
        if care:
            # 关怀模式 promises contrast ≥ 7:1 on the whole page: axe's AAA rule (off by default).
            enhanced = axe.run(
                page,
                options={"runOnly": ["color-contrast-enhanced"], "resultTypes": ["violations"]},
            )
            violations = violations + enhanced.response["violations"]
            serious += _serious(enhanced)
        print(  # noqa: T201 (the counts per page are part of the test's output)
            f"axe {'关怀模式' if care else 'normal'} {name}: {len(violations)} violations, "
            f"{len(serious)} serious/critical {[(v['id'], v['impact']) for v in violations]}"
        )
        found[name] = serious
    assert found == {name: [] for name, *_rest in pages}


def test_screenshots_for_people_to_look_at(live_server, page, simulated, personas):
    """Saved into var/screenshots/ (git-ignored); the assertions are in the tests above."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for care in (False, True):
        page.context.clear_cookies()
        _log_in(page, live_server, personas["leader"], care=care)
        for width, height, query, name in (
            (390, 844, "", "desk"),
            (1440, 900, "", "desk"),
            (1920, 1080, "", "desk"),
            (390, 844, "?screen=1", "screen"),
            (1440, 900, "?screen=1", "screen"),
            (1920, 1080, "?screen=1", "screen"),
        ):
            page.set_viewport_size({"width": width, "height": height})
            page.goto(live_server.url + "/dashboard/" + query)
            file = SCREENSHOTS / f"dashboard-{name}-{width}{'-care' if care else ''}.png"
            page.screenshot(path=str(file), full_page=True)
            assert file.stat().st_size > 0
