"""XSS payloads stored in the database are shown as text on every page that exists now.

Chromium listens for dialogs (alert/confirm/prompt) while visiting the pages; any
dialog means a payload ran. After the merge, the receipt, lookup, desk, dashboard
and report pages belong in PAGES too.
"""

import pytest
from django.contrib.auth import get_user_model

from suggestions.models import PersonalDataAccess
from tests.factories import SuggestionFactory

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

PAYLOADS = [
    "<svg onload=alert(1)>",
    '"><img src=x onerror=alert(2)>',
    "<script>alert(3)</script>",
    "javascript:alert(4)",
]


def test_stored_payloads_never_run(live_server, page, campaign, units):
    campaign.name = PAYLOADS[0] + " 晋城金点子"
    campaign.save()
    admin = get_user_model().objects.create_superuser(
        username="xss-admin", password="correct-horse-battery", email="x@example.org"
    )
    for i, payload in enumerate(PAYLOADS):
        idea = SuggestionFactory(
            campaign=campaign,
            unit=units["城区"],
            title=f"{payload} 标题{i}",
            content=payload,
            name=payload[:50],
        )
        PersonalDataAccess.objects.create(
            user=admin, action=PersonalDataAccess.Action.REVEAL, suggestion=idea, detail=payload
        )
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))

    shown = []
    page.goto(live_server.url + "/")
    assert PAYLOADS[0] in page.get_by_role("heading", level=1).inner_text()
    page.goto(live_server.url + "/privacy/")
    page.goto(live_server.url + "/admin/login/")
    page.fill("#id_username", "xss-admin")
    page.fill("#id_password", "correct-horse-battery")
    page.click("input[type=submit]")
    page.wait_for_url(live_server.url + "/admin/")
    for path in [
        "/admin/suggestions/campaign/",
        f"/admin/suggestions/campaign/{campaign.pk}/change/",
        "/admin/suggestions/personaldataaccess/",
        f"/admin/suggestions/personaldataaccess/{PersonalDataAccess.objects.first().pk}/change/",
    ]:
        page.goto(live_server.url + path)
        page.wait_for_load_state("networkidle")
        shown.append(page.locator("body").inner_text())

    # Each payload was on a page, as visible text.
    for payload in PAYLOADS:
        assert any(payload in text for text in shown), payload

    assert dialogs == []
