import pytest
from django.urls import reverse

from suggestions.models import Status, UnitReport
from suggestions.privacy.services import mask_name, mask_phone
from units.models import Unit

REPORT = "admin:suggestions_suggestion_report"


@pytest.mark.parametrize(
    ("phone", "masked"),
    [("13812345678", "138****5678"), ("", ""), ("12", "**"), ("1234567", "*****67")],
)
def test_phone_masking(phone, masked):
    assert mask_phone(phone) == masked


@pytest.mark.parametrize(
    ("name", "masked"), [("张三", "张*"), ("欧阳娜娜", "欧***"), ("李", "*"), ("", "")]
)
def test_name_masking(name, masked):
    assert mask_name(name) == masked


def test_screener_reports_on_the_desk_and_the_detail_page_shows_the_freeze(
    client, personas, units, campaign, idea_factory
):
    idea = idea_factory(unit="北石店镇")
    client.force_login(personas["screener_chengqu"])

    client.post(reverse(REPORT), {"unit": units["城区"].pk, "op": "submit"})

    assert UnitReport.objects.get(unit=units["城区"]).reported_by == personas["screener_chengqu"]
    html = client.get(reverse("admin:suggestions_suggestion_change", args=[idea.pk])).content
    html = html.decode()
    assert "初筛决定已锁定" in html and 'name="to_status"' not in html
    # Only a city administrator reopens.
    client.post(reverse(REPORT), {"unit": units["城区"].pk, "op": "reopen"})
    assert UnitReport.objects.get(unit=units["城区"]).reported_at is not None

    client.force_login(personas["admin"])
    client.post(reverse(REPORT), {"unit": units["城区"].pk, "op": "reopen"})
    report = UnitReport.objects.get(unit=units["城区"])
    assert report.reported_at is None and report.reopened_by == personas["admin"]
    client.force_login(personas["screener_chengqu"])
    client.post(
        reverse("admin:suggestions_suggestion_decide", args=[idea.pk]),
        {"to_status": "shortlisted", "seen_status": "collected"},
    )
    idea.refresh_from_db()
    assert idea.status == Status.SHORTLISTED


def test_leader_sees_the_report_page_without_buttons(client, personas, campaign, units):
    client.force_login(personas["leader"])
    response = client.get(reverse(REPORT))
    assert response.status_code == 200
    assert len(response.context["rows"]) == Unit.objects.reporting().count() == 75
    assert not any(row["can_submit"] for row in response.context["rows"])
    assert 'name="op"' not in response.content.decode()
