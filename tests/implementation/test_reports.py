"""The per-unit and city reports gain 采纳与落实: figures equal to count(*)."""

import io

from openpyxl import load_workbook

from suggestions.models import Implementation, Status
from suggestions.tallies.reports import report_generate
from tests.implementation.conftest import ASSIGNED_STATES
from tests.implementation.test_figures import _random_world


def test_the_county_report_has_an_adoption_and_implementation_sheet(campaign, units):
    _random_world(campaign, units)
    chengqu = units["城区"]
    report = report_generate(campaign_id=campaign.pk, unit_id=chengqu.pk)
    book = load_workbook(io.BytesIO(bytes(report.xlsx)))
    rows = [list(r) for r in book["采纳与落实"].iter_rows(values_only=True)]
    figures = {row[0]: row[1] for row in rows if row and row[0] and len(row) > 1}

    excellent = campaign.suggestions.filter(
        status=Status.EXCELLENT, unit__path__startswith=chengqu.path
    ).count()
    led = Implementation.objects.filter(
        suggestion__status=Status.EXCELLENT,
        lead_unit__path__startswith=chengqu.path,
        status__in=ASSIGNED_STATES,
    )
    assert figures["优秀金点子"] == excellent
    assert figures["交办承办"] == led.count()
    listed = [row for row in rows if row and isinstance(row[0], str) and "-" in row[0]]
    mine = (
        Implementation.objects.filter(suggestion__status=Status.EXCELLENT).filter(
            suggestion__unit__path__startswith=chengqu.path
        )
        | led
    )
    assert len(listed) == mine.distinct().count()
    assert "采纳与落实" in report.html and "采纳率" in report.html
