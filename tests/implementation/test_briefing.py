"""工作简报: the .docx read back with python-docx, figures equal to the database."""

import io

from django.urls import reverse
from docx import Document

from suggestions.models import ADOPTED_STATES, Implementation, ImplementationStatus, Status
from tests.implementation.conftest import ASSIGNED_STATES
from tests.implementation.test_figures import _random_world

St = ImplementationStatus
URL = reverse("implementation:briefing")


def _read(response):
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    return Document(io.BytesIO(response.content))


def test_the_briefing_has_the_usual_sections_and_the_databases_figures(
    client, personas, campaign, units
):
    _random_world(campaign, units)
    client.force_login(personas["leader"])
    document = _read(client.get(URL))
    text = "\n".join(p.text for p in document.paragraphs)

    for heading in ("工作简报", "一、总体情况", "二、各单位情况", "三、下一步工作"):
        assert heading in text
    excellent = campaign.suggestions.filter(status=Status.EXCELLENT).count()
    live = Implementation.objects.filter(suggestion__status=Status.EXCELLENT)
    adopted = live.filter(status__in=ADOPTED_STATES).count()
    assigned = live.filter(status__in=ASSIGNED_STATES).count()
    confirmed = live.filter(status=St.CONFIRMED).count()
    assert f"全市共征集金点子{campaign.suggestions.count()}条" in text
    assert f"评出优秀金点子{excellent}条" in text
    assert f"已采纳{adopted}条，采纳率{100 * adopted / excellent:.1f}%" in text
    assert f"已交办承办单位{assigned}条" in text and f"已落实{confirmed}条" in text

    (table,) = document.tables
    header, *rows = [[cell.text for cell in row.cells] for row in table.rows]
    assert header[:4] == ["单位", "征集数", "优秀", "采纳"]
    by_name = {row[0]: row for row in rows}
    chengqu = units["城区"]
    assert by_name["城区"][1] == str(
        campaign.suggestions.filter(unit__path__startswith=chengqu.path).count()
    )
    assert by_name["城区"][5] == str(
        live.filter(lead_unit__path__startswith=chengqu.path, status__in=ASSIGNED_STATES).count()
    )
    assert sum(int(row[2]) for row in rows) == excellent


def test_only_city_roles_download_the_briefing(client, personas, campaign):
    client.force_login(personas["screener_chengqu"])
    assert client.get(URL).status_code == 403
    client.logout()
    assert client.get(URL).status_code == 302
