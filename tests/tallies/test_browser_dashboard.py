import pytest
from django.conf import settings
from django.test import Client

from suggestions.tallies.aggregation import tally_run
from tests.tallies.conftest import make_ideas

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


@pytest.mark.parametrize("width", [360, 1920])
def test_the_dashboard_draws_its_charts_on_a_phone_and_a_projector(
    live_server, page, units, campaign, personas, width
):
    make_ideas(campaign, units["东街街道"], 3)
    tally_run(campaign_id=campaign.pk)
    client = Client()
    client.force_login(personas["leader"])
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.set_viewport_size({"width": width, "height": 900})

    page.goto(live_server.url + "/dashboard/")

    # ECharts renders into a canvas inside each chart box.
    page.wait_for_selector("#chart-daily canvas")
    assert page.locator("#chart-units canvas").count() == 1
    assert errors == []
    assert page.locator('[data-figure="total"]').inner_text() == "3"
    # Sorting the table by total puts 城区 (3 ideas) first.
    page.locator("#unit-table th button").nth(1).click()
    assert page.locator("#unit-table tbody tr").first.inner_text().startswith("城区")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
