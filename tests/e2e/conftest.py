"""Browser helpers for the end-to-end journeys: real logins, screenshots, a page watcher."""

from pathlib import Path

import pytest

from tests.intake.conftest import _fresh_state, topic  # noqa: F401 (fixtures reused here)

SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
PASSWORD = "correct-horse-battery"

# Chromium reports CSP violations as console errors; the event is collected as well.
COLLECT_VIOLATIONS = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', e => {
  window.__csp.push(e.violatedDirective + ' ' + e.blockedURI + ' ' + (e.sourceFile || ''));
});
"""


class Watcher:
    """Collects console errors, page errors, failed requests, CSP violations and dialogs."""

    def __init__(self):
        self.problems: list[str] = []
        self.dialogs: list[str] = []

    def attach(self, page):
        page.add_init_script(COLLECT_VIOLATIONS)
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.problems.append(f"pageerror: {exc}"))
        page.on("response", self._response)
        page.on("dialog", self._dialog)
        return page

    def _console(self, message):
        if message.type == "error":
            self.problems.append(f"console: {message.text}")

    def _response(self, response):
        if response.status >= 400:
            self.problems.append(f"{response.status} {response.url}")

    def _dialog(self, dialog):
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def check(self, page, label=""):
        """Collect the CSP violations the current document saw."""
        for violation in page.evaluate("window.__csp || []"):
            self.problems.append(f"csp {label}: {violation}")


@pytest.fixture
def watcher():
    return Watcher()


def shot(page, name):
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def staff_login(page, base, username, next_path="/admin/suggestions/suggestion/"):
    """The admin login form, as a person uses it."""
    page.goto(f"{base}/admin/login/?next={next_path}")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("input[type=submit]").click()
    page.wait_for_url(f"**{next_path}")
