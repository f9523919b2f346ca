import re

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


def _text(fragment: str) -> str:
    return re.sub(r"<[^>]+>", "", fragment).strip()


def _bars(html: str, list_id: str) -> list[tuple[str, str]]:
    """(label, value text) of each bar of a server-drawn bar chart."""
    body = html.split(f'id="{list_id}">')[1].split("</ol>")[0]
    labels = re.findall(r'class="tallies-bar-label">(.*?)</span>\s*<svg', body, re.S)
    values = re.findall(r'class="tallies-bar-value">([^<]*)', body)
    names = [re.sub(r'^<span class="tallies-rank">\d+</span>', "", label) for label in labels]
    return list(zip([_text(name) for name in names], values, strict=True))


def _number(text: str) -> int:
    return int(text.replace(",", ""))


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
    assert sum(_number(value) for _label, value in _bars(html, "chart-channel")) == 7
    daily = html.split('id="daily-table"')[1].split("</tbody>")[0]
    assert sum(_number(v) for v in re.findall(r'<td class="text-end">([\d,]+)</td>', daily)) == 7
    # 优秀率 with one decimal: 1 of 7.
    assert _figure(html, "pass_rate") == "14.3%"


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


@pytest.fixture
def city_intake(units, campaign, settled):
    """Ideas filed on the city itself (the mini-program's), more than any unit's."""
    city = units["晋城市"]
    make_ideas(campaign, city, 6)
    make_ideas(campaign, units["东街街道"], 2)
    make_ideas(campaign, units["市文化和旅游局"], 1)
    return city


def test_the_citys_own_intake_is_a_headline_and_not_in_the_ranking_by_default(
    client, personas, city_intake
):
    client.force_login(personas["leader"])
    html = client.get(reverse("tallies:dashboard")).content.decode()
    assert _figure(html, "total") == "9"
    assert _figure(html, "own_total") == "6"
    ranking = _bars(html, "chart-units")
    assert ranking[0] == ("城区", "2")
    assert not any("本级" in label for label, _value in ranking)
    # The table still adds up to the headline: the 本级 row sits in its own tbody.
    own = html.split('class="tallies-own"')[1].split("</tbody>")[0]
    assert "晋城市（本级）" in own and 'data-value="6"' in own
    # The toggle is a plain link (works without JavaScript) and keeps other parameters.
    toggle = re.search(r'href="\?([^"#]*)#ranking" id="own-toggle"', html)
    assert toggle and toggle.group(1) == "own=1"


def test_the_toggle_brings_the_citys_own_intake_into_the_ranking(client, personas, city_intake):
    client.force_login(personas["leader"])
    html = client.get(reverse("tallies:dashboard") + "?own=1").content.decode()
    ranking = _bars(html, "chart-units")
    assert ranking[0] == ("晋城市（本级）", "6")
    assert 'href="?#ranking" id="own-toggle"' in html
    screen = client.get(reverse("tallies:dashboard") + "?screen=1&own=1").content.decode()
    assert _bars(screen, "chart-units")[0] == ("晋城市（本级）", "6")
    assert 'href="?screen=1" id="own-toggle"' in screen


def test_before_the_first_tally_the_header_says_the_figures_are_live(
    client, personas, units, campaign
):
    make_ideas(campaign, units["东街街道"], 2)
    client.force_login(personas["leader"])
    header = client.get(reverse("tallies:dashboard")).content.decode()
    header = header.split('id="as-of">')[1].split("</p>")[0]
    assert "尚未统计，以下为实时数据" in header
    assert "统计快照" not in header

    tally_run(campaign_id=campaign.pk)
    header = client.get(reverse("tallies:dashboard")).content.decode()
    header = header.split('id="as-of">')[1].split("</p>")[0]
    assert "统计快照截至" in header and "尚未统计" not in header


def test_the_wall_screen_has_no_site_header_and_refreshes_itself(
    client, personas, figures, settings
):
    settings.DASHBOARD_SCREEN_REFRESH_SECONDS = 45
    client.force_login(personas["leader"])
    html = client.get(reverse("tallies:dashboard") + "?screen=1").content.decode()
    assert "portal-header" not in html and "<footer" not in html
    assert '<main id="main" class="tallies-screen" data-refresh="45">' in html
    assert "js/tallies-screen.js" in html
    assert "<script>" not in html and 'style="' not in html
    assert _figure(html, "total") == "7"
    assert "已报送" not in html or _figure(html, "units_reported") == "1"
    # Back to the desk's page without the screen parameter.
    assert 'href="?" id="desk-link"' in html


def test_the_wall_screen_stays_within_15_queries(
    client, personas, figures, django_assert_max_num_queries
):
    client.force_login(personas["leader"])
    _start_session(client)
    with django_assert_max_num_queries(15):
        assert client.get(reverse("tallies:dashboard") + "?screen=1").status_code == 200


def test_no_label_or_figure_on_the_page_is_cut(client, personas, city_intake):
    client.force_login(personas["leader"])
    for query in ("", "?own=1", "?screen=1"):
        html = client.get(reverse("tallies:dashboard") + query).content.decode()
        for list_id in ("chart-units", "chart-channel"):
            for label, value in _bars(html, list_id):
                assert not label.endswith(("...", "…")), label
                assert re.fullmatch(r"[\d,]+(（[\d.]+%）)?", value.strip()), value
        for text in re.findall(r"<text[^>]*>([^<]*)</text>", html):
            assert not text.endswith(("...", "…")), text


def test_the_daily_chart_ends_with_the_last_idea_not_the_last_decision(
    client, units, campaign, personas, settled
):
    long_ago = timezone.now() - timezone.timedelta(days=300)
    ideas = make_ideas(campaign, units["东街街道"], 3, received_at=long_ago)
    move(ideas, Status.SHORTLISTED, personas["admin"])  # decided today, 300 days later
    tally_run(campaign_id=campaign.pk)
    client.force_login(personas["leader"])
    chart = client.get(reverse("tallies:dashboard")).context["chart"]["daily"]["screen"]
    received = timezone.localtime(long_ago).date()
    assert [(day["day"], day["value"]) for day in chart.days] == [(received, 3)]
