import io
import re

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from suggestions.models import Report, Status, Suggestion
from suggestions.tallies.aggregation import tally_run
from suggestions.tallies.reports import report_generate
from suggestions.tallies.tasks import report_generate_task
from tests.tallies.conftest import make_ideas, move


@pytest.fixture
def reported(units, campaign, personas, settled):
    ideas = make_ideas(campaign, units["东街街道"], 3) + make_ideas(campaign, units["城区"], 1)
    Suggestion.objects.filter(pk=ideas[0].pk).update(
        title='=HYPERLINK("http://evil","点我")', name="王小明", phone="13912345678"
    )
    move(ideas[:2], Status.SHORTLISTED, personas["admin"])
    move(ideas[:2], Status.EXCELLENT, personas["admin"])
    make_ideas(campaign, units["泽州县"].children.first(), 2)
    tally_run(campaign_id=campaign.pk)
    return ideas


def _sheets(report: Report):
    book = load_workbook(io.BytesIO(bytes(report.xlsx)))

    def trimmed(row):
        row = list(row)
        while row and row[-1] is None:
            row.pop()
        return row

    return {
        name: [trimmed(row) for row in book[name].iter_rows(values_only=True)]
        for name in book.sheetnames
    }


def test_a_county_report_includes_its_towns_and_masks_contact(units, campaign, reported):
    report = report_generate(campaign_id=campaign.pk, unit_id=units["城区"].pk)
    sheets = _sheets(report)
    totals = sheets["汇总"]
    assert ["征集总数", 4] in totals and ["优秀金点子", 2] in totals and ["待初筛", 2] in totals
    town_rows = [row for row in totals if len(row) > 2 and row[1] == "东街街道"]
    assert town_rows and town_rows[0][2] == 3  # the town's own total
    ideas = sheets["优秀金点子"]
    assert ideas[0] == ["回执号", "单位", "主题", "标题", "平均分", "姓名", "手机号"]
    assert len(ideas) == 3
    evil = next(row for row in ideas if "HYPERLINK" in row[3])
    assert evil[3].startswith("'=")  # text, never a formula
    assert evil[5] == "王**" and evil[6] == "139****5678"
    assert "13912345678" not in report.html and "王小明" not in report.html
    assert "东街街道" in report.html


def test_the_city_report_ranks_units_and_lists_those_not_reported(units, campaign, reported):
    report = report_generate(campaign_id=campaign.pk, unit_id=units["晋城市"].pk)
    sheets = _sheets(report)
    ranking = [row for row in sheets["汇总"] if row and row[0] == 1]
    assert ranking[0][1] == "城区"  # most excellent ideas first
    assert len(sheets["催报名单"]) == 1 + 75  # header + every unit: none has reported
    assert ["征集总数", 6] in sheets["汇总"]
    assert "催报名单" in report.html


def test_a_units_staff_and_leaders_may_download_but_not_other_units(
    client, units, personas, campaign, reported
):
    chengqu = units["城区"].pk
    client.force_login(personas["screener_chengqu"])
    response = client.get(reverse("tallies:report_xlsx", args=[chengqu]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert client.get(reverse("tallies:report", args=[chengqu])).status_code == 200
    assert client.get(reverse("tallies:report", args=[units["泽州县"].pk])).status_code == 404
    assert client.get(reverse("tallies:report_xlsx", args=[units["晋城市"].pk])).status_code == 404
    client.force_login(personas["leader"])
    assert client.get(reverse("tallies:report_xlsx", args=[units["泽州县"].pk])).status_code == 200
    response = client.post(reverse("tallies:report", args=[units["晋城市"].pk]))
    assert response.status_code == 302
    assert Report.objects.filter(unit=units["晋城市"]).count() == 1


def _without_read_time(html: str) -> str:
    # "数据截至 …" is the moment the live change was read: the one line two runs differ in.
    changed, n = re.subn(r"数据截至 [0-9: -]+", "数据截至 …", html)
    assert n == 1
    return changed


def _figures(report: Report) -> dict:
    sheets = _sheets(report)
    sheets["汇总"] = [row for row in sheets["汇总"] if row[:1] != ["数据截至"]]
    return sheets


@pytest.mark.django_db(transaction=True)
def test_a_redelivered_report_task_finds_its_report_instead_of_storing_a_second(
    units, campaign, reported
):
    """A worker killed after its COMMIT, before it acknowledged the message.

    The broker then delivers the same message again: same task id, same arguments.
    apply() runs exactly that in this process, each delivery in its own committed
    transaction, on whichever database the suite runs (SQLite or PostgreSQL)."""
    city = units["晋城市"].pk
    reports = Report.objects.filter(campaign=campaign, unit_id=city)
    delivery = {"args": [campaign.pk, city], "task_id": "5d0c61be-redelivered"}

    first = report_generate_task.apply(**delivery)
    excellent = reported[1]
    Suggestion.objects.filter(pk=excellent.pk).update(title="交付之后才改的标题")
    redo = report_generate_task.apply(**delivery)

    assert first.successful() and redo.successful()
    assert redo.result == first.result
    assert reports.count() == 1
    stored = reports.get()
    assert stored.run_key == "5d0c61be-redelivered"
    # The redo returned what the first delivery stored, not a rebuild.
    assert excellent.title in stored.html and "交付之后才改的标题" not in stored.html

    # Equal to a clean run of the same data (a new key: a new report).
    Suggestion.objects.filter(pk=excellent.pk).update(title=excellent.title)
    clean = report_generate_task.apply(args=[campaign.pk, city]).result
    clean = Report.objects.get(pk=clean)
    assert reports.count() == 2 and clean.run_key != stored.run_key
    assert stored.scope == clean.scope == "city"
    assert _without_read_time(stored.html) == _without_read_time(clean.html)
    assert _figures(stored) == _figures(clean)


def test_a_run_key_is_one_report_per_unit_and_calls_without_one_store_a_new_report(
    units, campaign, reported
):
    # reports_daily gives every report of one run the same key: one report per unit.
    for unit in ("城区", "泽州县", "城区"):
        report_generate(campaign_id=campaign.pk, unit_id=units[unit].pk, run_key="daily-1")
    assert Report.objects.filter(run_key="daily-1").count() == 2
    # The report page's "regenerate" passes no key: a new report each time.
    report_generate(campaign_id=campaign.pk, unit_id=units["城区"].pk)
    report_generate(campaign_id=campaign.pk, unit_id=units["城区"].pk)
    assert Report.objects.filter(unit=units["城区"]).count() == 3


def test_the_report_page_formats_figures_like_the_dashboard(client, units, campaign, personas):
    from suggestions.demo.simulation import campaign_simulate

    campaign_simulate(scale=0.01, slug=campaign.slug)  # ~1,540 ideas
    city = units["晋城市"]
    client.force_login(personas["leader"])
    html = client.get(reverse("tallies:report", args=[city.pk])).content.decode()
    ideas = Suggestion.objects.filter(campaign=campaign)
    total, excellent = ideas.count(), ideas.filter(status=Status.EXCELLENT).count()
    assert total >= 1000
    stage = re.search(r'data-stage="0">([^<]*)<', html).group(1)
    assert stage == f"{total:,}"
    rate = re.search(r"<td>优秀率</td><td[^>]*>([^<]*)<", html).group(1)
    assert rate == f"{excellent / total * 100:.1f}%"
    assert "<h1" in html
