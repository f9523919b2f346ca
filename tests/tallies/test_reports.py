import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from suggestions.aggregation import tally_run
from suggestions.models import Report, Status, Suggestion
from suggestions.reports import report_generate
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
