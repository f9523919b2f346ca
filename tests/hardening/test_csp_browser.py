"""The Content Security Policy breaks no page: chromium reports no violation.

Chromium logs every blocked script, style or frame as a console error
("Refused to ..."); the test also collects securitypolicyviolation events.
"""

import pytest
from django.contrib.auth import get_user_model

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

COLLECT_VIOLATIONS = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', e => {
  window.__csp.push(e.violatedDirective + ' ' + e.blockedURI + ' ' + (e.sourceFile || ''));
});
"""


def _visit(page, url, problems):
    page.goto(url)
    page.wait_for_load_state("networkidle")
    for violation in page.evaluate("window.__csp"):
        problems.append(f"{url}: {violation}")


def test_public_pages_and_admin_run_without_csp_violations(live_server, page, campaign):
    get_user_model().objects.create_superuser(
        username="csp-admin", password="correct-horse-battery", email="a@example.org"
    )
    problems = []
    page.on(
        "console",
        lambda m: problems.append(f"console: {m.text}") if m.type == "error" else None,
    )
    page.on("pageerror", lambda e: problems.append(f"pageerror: {e}"))
    page.on(
        "response",
        lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 400 else None,
    )
    page.add_init_script(COLLECT_VIOLATIONS)

    for path in ["/", "/privacy/", "/admin/login/"]:
        _visit(page, live_server.url + path, problems)
    page.fill("#id_username", "csp-admin")
    page.fill("#id_password", "correct-horse-battery")
    page.click("input[type=submit]")
    page.wait_for_url(live_server.url + "/admin/")
    admin_pages = [
        "/admin/",
        "/admin/suggestions/campaign/",
        # Date/time widgets, prepopulated slug and the "add another" popups: admin's JS.
        "/admin/suggestions/campaign/add/",
        f"/admin/suggestions/campaign/{campaign.pk}/change/",
        "/admin/auth/user/",
        "/admin/auth/user/add/",
        "/admin/suggestions/personaldataaccess/",
    ]
    for path in admin_pages:
        _visit(page, live_server.url + path, problems)
    # The admin's JS really ran (calendar shortcuts are added by DateTimeShortcuts.js).
    page.goto(live_server.url + "/admin/suggestions/campaign/add/")
    assert page.locator(".datetimeshortcuts").count() > 0

    assert problems == []
