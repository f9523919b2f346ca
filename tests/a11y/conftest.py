"""A small campaign for the accessibility checks: units, topics, one excellent published
idea with a receipt, the personas; and helpers to open a page in normal or care mode."""

from pathlib import Path

import pytest
from django.core import signing

from suggestions.common.rules import Actor
from suggestions.intake.services import suggestion_submit
from suggestions.intake.views import RECEIPT_SALT
from suggestions.models import Status
from suggestions.screening.workflow import suggestion_transition
from tests.e2e.conftest import Watcher
from tests.intake.conftest import _fresh_state, topic  # noqa: F401 (fixtures reused here)

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1920, "height": 1080}
STAFF_PASSWORD = "correct-horse-battery"  # tests/conftest.py `_staff`


@pytest.fixture
def scene(live_server, campaign, units, topic, personas):  # noqa: F811
    idea = suggestion_submit(
        campaign=campaign,
        title="老城区增设口袋公园",
        content="建议在老城区增加口袋公园和健身步道，方便居民就近锻炼，提升城市宜居水平。",
        topic=topic,
        unit=units["市文化和旅游局"],
        identity_type="public",
        name="",
        phone="13812345678",
        publish_consent=True,
        channel="web",
    ).suggestion
    # Excellent and published, so the lookup shows a whole timeline and /ideas/ shows it.
    for to_status in (Status.SHORTLISTED, Status.EXCELLENT):
        admin = Actor.of(personas["admin"])
        suggestion_transition(suggestion=idea, to_status=to_status, actor=admin)
        idea.refresh_from_db()
    campaign.results_published = True
    campaign.save(update_fields=["results_published"])
    return {
        "base": live_server.url,
        "receipt": idea.receipt,
        "idea_pk": idea.pk,
        "receipt_token": signing.dumps(idea.receipt, salt=RECEIPT_SALT),
        "last4": "5678",
        "topic": topic,
    }


def open_context(browser, scene, *, care: bool, viewport=PHONE):
    context = browser.new_context(viewport=viewport, locale="zh-CN")
    if care:
        context.add_cookies([{"name": "care_mode", "value": "1", "url": scene["base"]}])
    return context


def staff_login(page, scene, username):
    page.goto(scene["base"] + "/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", STAFF_PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(scene["base"] + "/admin/")


def open_page(page, scene, spec):
    """Log in if the page asks for it, go there and do what the page's entry says."""
    if spec.login:
        staff_login(page, scene, spec.login)
    page.goto(scene["base"] + spec.path.format(**scene))
    if spec.action:
        spec.action(page, scene)
    page.wait_for_load_state("networkidle")


def screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def ConsoleWatch(page):  # noqa: N802 (reads as the watcher it returns)
    """Console errors, uncaught exceptions, failed requests and CSP violations of one page
    (the end-to-end tests' watcher, attached to this page)."""
    watcher = Watcher()
    watcher.attach(page)
    return watcher
