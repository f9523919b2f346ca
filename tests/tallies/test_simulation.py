"""The simulated campaign at scale 1 (154,069 ideas) and the agreement of every figure."""

import io
import re
import threading

import pytest
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from openpyxl import load_workbook

from suggestions.demo.simulation import SEED, simulation_check
from suggestions.models import Campaign, Channel, Status, Suggestion
from suggestions.screening.workflow import Actor, suggestions_transition
from suggestions.tallies.aggregation import tallies_live, tally_run
from suggestions.tallies.reports import report_generate
from units.models import Unit

pytestmark = pytest.mark.slow  # 154,069 ideas per test

STATES = ("collected", "shortlisted", "excellent", "set_aside")


def _figure(html, name):
    marker = f'data-figure="{name}">'
    start = html.index(marker) + len(marker)
    return int(html[start : html.index("<", start)].replace(",", ""))


def _rows(html):
    """(unit name, total, collected, shortlisted, excellent, set aside) of the unit table."""
    # Every body of the table: the units, then the 本级 rows (ideas filed on the city).
    table = html.split('id="unit-table"')[1].split("</table>")[0]
    rows = []
    for tr in table.split("<tr ")[1:]:
        values = [int(v.split('"')[0]) for v in tr.split('data-value="')[1:]]
        rows.append(values[:5])
    return rows


def _dashboard(client):
    return client.get(reverse("tallies:dashboard")).content.decode()


def _agree(client, campaign):
    """Dashboard totals == sum of its unit rows == the city report == SELECT count(*)."""
    html = _dashboard(client)
    headline = [_figure(html, name) for name in ("total", *STATES)]
    sums = [sum(column) for column in zip(*_rows(html), strict=True)]
    counts = [Suggestion.objects.filter(campaign=campaign).count()] + [
        Suggestion.objects.filter(campaign=campaign, status=state).count() for state in STATES
    ]
    city = Unit.objects.get(parent__isnull=True)
    report = report_generate(campaign_id=campaign.pk, unit_id=city.pk)
    sheet = load_workbook(io.BytesIO(bytes(report.xlsx)))["汇总"]
    stages = {row[0]: row[1] for row in sheet.iter_rows(values_only=True) if row and row[0]}
    reported = [
        stages[label] for label in ("征集总数", "待初筛", "初选入围", "优秀金点子", "未入选")
    ]
    assert headline == sums == counts == reported, (headline, sums, counts, reported)
    return headline


@pytest.fixture
def simulated(units, personas, settings):
    settings.TALLY_SETTLE_SECONDS = 0
    call_command(
        "simulate_campaign",
        "--scale",
        "1",
        "--seed",
        "7",
        stdout=io.StringIO(),
        stderr=io.StringIO(),
    )
    campaign = Campaign.objects.get(slug="jc2021")
    tally_run(campaign_id=campaign.pk)
    return campaign


@pytest.mark.django_db(transaction=True)
def test_after_simulating_and_a_tally_the_dashboard_shows_the_seed_figures(
    client, simulated, personas, units
):
    campaign = simulated
    assert simulation_check(campaign=campaign) == {
        "status_disagrees_with_history": 0,
        "no_history_but_not_collected": 0,
        "illegal_steps": set(),
    }
    client.force_login(personas["leader"])
    html = _dashboard(client)
    assert _figure(html, "total") == SEED["units_collected"] + SEED["mini_program"]
    assert _figure(html, "excellent") == SEED["units_excellent"]
    assert "已报送 75 / 75" in html
    rows = _rows(html)
    reporting = rows[:-1]  # the last row holds the city's own (mini-program) ideas
    assert len(reporting) == 75
    assert sum(row[0] for row in reporting) == SEED["units_collected"]
    assert sum(row[3] for row in reporting) == SEED["units_excellent"]
    live = tallies_live(campaign=campaign)
    zone = live.unit(units["晋城经济技术开发区"].pk)
    assert (zone.total, zone.excellent) == (SEED["zone_collected"], SEED["zone_excellent"])
    assert live.unit(units["城区"].pk).total == SEED["chengqu_collected"]
    channel = html.split('id="chart-channel">')[1].split("</ol>")[0]
    bars = re.findall(
        r'tallies-bar-label">([^<]*)</span>.*?tallies-bar-value">([\d,]+)', channel, re.S
    )
    mini = dict(bars)[str(Channel.MINI_PROGRAM.label)]
    assert int(mini.replace(",", "")) == SEED["mini_program"]
    daily = html.split('id="daily-table"')[1].split("</tbody>")[0]
    received = re.findall(r'<td>([\d-]+)</td><td class="text-end">([\d,]+)</td>', daily)
    days = sorted(day for day, n in received if n != "0")
    assert (days[0], days[-1], len(days)) == ("2021-02-26", "2021-03-17", 20)
    _agree(client, campaign)


@pytest.mark.django_db(transaction=True)
def test_figures_agree_after_ideas_move_while_tallies_run(client, simulated, personas, settings):
    campaign = simulated
    # A decision's history row carries the time it was made and commits a moment later;
    # the settle window (30 s in production) keeps such rows out of a snapshot's cutoff.
    # At 0 a decision made just before a concurrent tally's cutoff, committed after its
    # snapshot, would be in neither the snapshot nor the change since.
    settings.TALLY_SETTLE_SECONDS = 2
    client.force_login(personas["leader"])
    _agree(client, campaign)
    stop = threading.Event()
    errors = []

    def tally_loop():
        try:
            while not stop.is_set():
                tally_run(campaign_id=campaign.pk)
                # SQLite has one writer at a time: leave the workflow room to write.
                stop.wait(0.3)
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    worker = threading.Thread(target=tally_loop)
    worker.start()
    try:
        actor = Actor.of(personas["admin"])
        for batch in range(4):
            waiting = list(
                Suggestion.objects.filter(campaign=campaign, status=Status.COLLECTED)[
                    batch * 50 : batch * 50 + 50
                ]
            )
            suggestions_transition(
                suggestions=waiting[:30], to_status=Status.SHORTLISTED, actor=actor
            )
            suggestions_transition(
                suggestions=waiting[30:], to_status=Status.SET_ASIDE, actor=actor, reason="重复"
            )
            shortlisted = list(Suggestion.objects.filter(pk__in=[s.pk for s in waiting[:30]]))
            suggestions_transition(
                suggestions=shortlisted[:10], to_status=Status.EXCELLENT, actor=actor
            )
            _agree(client, campaign)  # live: snapshot + change since, whatever the tally is doing
    finally:
        stop.set()
        worker.join()
    assert errors == []
    headline = _agree(client, campaign)
    tally_run(campaign_id=campaign.pk)
    assert _agree(client, campaign) == headline
    assert headline[3] == SEED["units_excellent"] + 40
