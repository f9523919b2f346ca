"""/api/docs/ under the portal's CSP: Swagger UI lists the operations, with no console
error and no CSP violation, from local files only."""

import pytest

from tests.a11y.conftest import ConsoleWatch

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

COLLECT_VIOLATIONS = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', e => {
  window.__csp.push(e.violatedDirective + ' ' + e.blockedURI);
});
"""


def test_swagger_ui_lists_the_operations_without_console_errors(live_server, page):
    watch = ConsoleWatch(page)
    hosts = set()
    page.on("request", lambda request: hosts.add(request.url.split("/")[2]))
    page.add_init_script(COLLECT_VIOLATIONS)

    page.goto(live_server.url + "/api/docs/")
    page.wait_for_selector(".opblock", timeout=15000)

    paths = page.locator(".opblock-summary-path").all_inner_texts()
    assert any("/api/v1/suggestions/" in path for path in paths)
    assert page.locator(".opblock").count() >= 1
    assert page.evaluate("window.__csp") == []
    assert watch.problems == []
    assert hosts == {live_server.url.split("/")[2]}  # no CDN


def test_the_old_redoc_address_leads_to_the_working_docs(client):
    response = client.get("/api/redoc/")
    assert response.status_code == 301 and response["Location"] == "/api/docs/"
