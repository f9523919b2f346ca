"""The pages the accessibility checks visit: one list, easy to extend.

Each entry names a page, where it is, what to do once there (e.g. post the form empty to
see its errors) and which persona to log in as first (staff pages). Paths may hold
``{receipt_token}``, filled from the scene (tests/a11y/conftest.py). To check another page,
add a ``Page`` here: the axe test, the screenshots and the console check pick it up.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from playwright.sync_api import Page as BrowserPage


@dataclass(frozen=True)
class Page:
    name: str
    path: str
    action: Callable[[BrowserPage, dict], None] | None = None
    login: str | None = None  # a persona's username (tests/conftest.py `personas`)
    # Styled by static/css/care.css in care mode: held to 7:1 contrast there (the admin
    # login is Django's own page, outside care mode).
    care: bool = True


def submit_empty(page: BrowserPage, scene: dict) -> None:
    page.get_by_role("button", name="提交建议").click()
    page.wait_for_selector("#error-summary")


def look_up(page: BrowserPage, scene: dict) -> None:
    page.get_by_label("回执号").fill(scene["receipt"])
    page.get_by_label("手机号后四位").fill(scene["last4"])
    page.get_by_role("button", name="查询").click()
    page.wait_for_selector("#lookup-result")


PAGES: list[Page] = [
    Page("home", "/"),
    Page("submit", "/submit/"),
    Page("submit-errors", "/submit/", action=submit_empty),
    Page("receipt", "/submit/receipt/{receipt_token}/"),
    Page("lookup", "/lookup/"),
    Page("lookup-result", "/lookup/", action=look_up),
    Page("ideas", "/ideas/"),
    Page("privacy", "/privacy/"),
    Page("admin-login", "/admin/login/", care=False),
    # The desk: the changelist, the triage view and one idea, as the people who use them.
    Page("desk-index", "/admin/", login="screener_chengqu", care=False),
    Page("desk-list", "/admin/suggestions/suggestion/", login="reviewer", care=False),
    Page("desk-triage", "/admin/suggestions/suggestion/triage/", login="reviewer", care=False),
    Page(
        "desk-idea",
        "/admin/suggestions/suggestion/{idea_pk}/change/",
        login="reviewer",
        care=False,
    ),
]

MODES = ("normal", "care")
