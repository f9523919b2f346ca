import json

import pytest
from django.urls import reverse
from django.utils import timezone

from suggestions.models import Status, UnitReport
from suggestions.tallies.aggregation import tally_run
from tests.tallies.conftest import make_ideas, move


@pytest.fixture
def figures(units, campaign, personas, settled):
    chengqu = make_ideas(campaign, units["东街街道"], 4)
    make_ideas(campaign, units["泽州县"].children.first(), 3)
    move(chengqu[:2], Status.SHORTLISTED, personas["admin"])
    move(chengqu[:1], Status.EXCELLENT, personas["admin"])
    UnitReport.objects.create(campaign=campaign, unit=units["城区"], reported_at=timezone.now())
    # Reported, then sent back: not counted as reported.
    UnitReport.objects.create(
        campaign=campaign,
        unit=units["泽州县"],
        reported_at=timezone.now(),
        reopened_at=timezone.now() + timezone.timedelta(seconds=1),
    )
    tally_run(campaign_id=campaign.pk)


def _figure(html: str, name: str) -> str:
    marker = f'data-figure="{name}">'
    start = html.index(marker) + len(marker)
    return html[start : html.index("<", start)]


def test_anonymous_visitors_are_sent_to_log_in(client, db):
    response = client.get(reverse("tallies:dashboard"))
    assert response.status_code == 302


@pytest.mark.parametrize("persona", ["leader", "reviewer", "admin"])
def test_city_roles_see_the_whole_city(client, personas, figures, persona):
    client.force_login(personas[persona])
    response = client.get(reverse("tallies:dashboard"))
    html = response.content.decode()
    assert response.status_code == 200
    assert _figure(html, "total") == "7"
    assert _figure(html, "excellent") == "1"
    assert _figure(html, "shortlisted") == "1"
    assert "已报送 1 / 75" in html
    assert "泽州县" in html.split('id="missing-units"')[1].split("</p>")[0]
    chart = json.loads(html.split('id="tallies-data" type="application/json">')[1].split("<")[0])
    assert sum(item["value"] for item in chart["channel"]) == 7
    assert sum(chart["daily"]["received"]) == 7


def test_a_screener_sees_only_their_own_units(client, personas, units, figures):
    client.force_login(personas["screener_chengqu"])
    html = client.get(reverse("tallies:dashboard")).content.decode()
    assert _figure(html, "total") == "4"
    assert "东街街道" in html and "泽州县" not in html
    assert "催报名单" not in html


def test_a_screener_of_chengqu_cannot_open_another_units_page(client, personas, units, figures):
    client.force_login(personas["screener_chengqu"])
    assert client.get(reverse("tallies:unit", args=[units["泽州县"].pk])).status_code == 404
    assert client.get(reverse("tallies:unit", args=[units["东街街道"].pk])).status_code == 200


def test_a_unit_page_shows_its_sub_units_and_trend(client, personas, units, figures):
    client.force_login(personas["leader"])
    html = client.get(reverse("tallies:unit", args=[units["城区"].pk])).content.decode()
    assert _figure(html, "total") == "4"
    assert "西街街道" in html  # a sub-unit row, even without ideas
    assert 'id="chart-daily"' in html


def _start_session(client):
    # The first request after a login stamps the session's login time (one write,
    # jincheng_portal.middleware); the page's own cost is what follows.
    client.get(reverse("suggestions:home"))


def test_the_dashboard_stays_within_15_queries(
    client, personas, units, figures, django_assert_max_num_queries
):
    client.force_login(personas["leader"])
    _start_session(client)
    with django_assert_max_num_queries(15):
        assert client.get(reverse("tallies:dashboard")).status_code == 200
    client.force_login(personas["screener_chengqu"])
    _start_session(client)
    with django_assert_max_num_queries(15):
        assert client.get(reverse("tallies:dashboard")).status_code == 200


def test_the_page_has_no_inline_script(client, personas, figures):
    client.force_login(personas["leader"])
    html = client.get(reverse("tallies:dashboard")).content.decode()
    assert "<script>" not in html and " onclick=" not in html and 'style="' not in html


def test_query_counts_are_the_same_for_a_bigger_campaign(
    client, personas, units, campaign, figures
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(personas["leader"])
    _start_session(client)
    with CaptureQueriesContext(connection) as small:
        client.get(reverse("tallies:dashboard"))
    make_ideas(campaign, units["泽州县"], 30)
    make_ideas(campaign, units["市文化和旅游局"], 30)
    tally_run(campaign_id=campaign.pk)
    with CaptureQueriesContext(connection) as big:
        client.get(reverse("tallies:dashboard"))
    assert len(big.captured_queries) == len(small.captured_queries) <= 15


def test_supervision_groups_see_the_sum_of_their_units(client, personas, units, figures):
    from units.models import SupervisionGroup

    group = SupervisionGroup.objects.create(name="第一督导组", leader_name="赵组长")
    group.units.set([units["城区"], units["泽州县"]])
    client.force_login(personas["leader"])
    html = client.get(reverse("tallies:dashboard")).content.decode()
    section = html.split("第一督导组")[1].split("</div></div></div>")[0]
    assert "征集总数 7" in section and "优秀金点子 1" in section
