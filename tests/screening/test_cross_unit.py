"""A screener of 城区 against a 泽州县 idea, from the outside, on every desk URL."""

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from suggestions.models import PersonalDataAccess, Score, Status, StatusChange, Suggestion
from suggestions.screening.workflow import Actor, suggestion_transition


@pytest.fixture
def setting(client, personas, idea_factory):
    mine = [idea_factory(unit="城区", title=f"城区旅游{i}") for i in range(3)]
    mine.append(idea_factory(unit="北石店镇", title="北石店旅游"))
    theirs = idea_factory(unit="泽州县", title="泽州旅游", status=Status.SHORTLISTED)
    suggestion_transition(
        suggestion=idea_factory(unit="泽州县", title="泽州历史"),
        to_status=Status.SHORTLISTED,
        actor=Actor.of(personas["screener_zezhou"]),
    )
    client.force_login(personas["screener_chengqu"])
    return client, mine, theirs


@pytest.mark.parametrize("name", ["change", "history", "delete", "decide", "score", "contact"])
def test_another_units_idea_by_url_is_not_found_or_forbidden(setting, name):
    client, _mine, theirs = setting
    url = reverse(f"admin:suggestions_suggestion_{name}", args=[theirs.pk])
    response = (
        client.get(url)
        if name in ("change", "history", "delete")
        else client.post(
            url,
            {
                "to_status": "excellent",
                "seen_status": "shortlisted",
                "feasibility": 5,
                "innovation": 5,
                "benefit": 5,
                "cost": 5,
                "replicability": 5,
            },
        )
    )
    assert response.status_code in (403, 404)
    assert "泽州旅游" not in response.content.decode()
    assert Suggestion.objects.get(pk=theirs.pk).status == Status.SHORTLISTED
    assert not Score.objects.exists()
    assert not PersonalDataAccess.objects.exists()


def test_changelist_count_and_search_hold_only_their_own_units(setting):
    client, mine, theirs = setting
    response = client.get(reverse("admin:suggestions_suggestion_changelist"))
    assert response.context["cl"].result_count == len(mine)
    html = response.content.decode()
    assert theirs.receipt not in html and "泽州" not in html

    response = client.get(reverse("admin:suggestions_suggestion_changelist"), {"q": "旅游"})
    assert response.context["cl"].result_count == len(mine)
    response = client.get(reverse("admin:suggestions_suggestion_changelist"), {"q": theirs.receipt})
    assert response.context["cl"].result_count == 0


def test_unit_filter_offers_only_their_units_and_refuses_others(setting, units):
    client, _mine, _theirs = setting
    response = client.get(reverse("admin:suggestions_suggestion_changelist"))
    html = response.content.decode()
    assert "北石店镇" in html and "泽州县" not in html
    response = client.get(
        reverse("admin:suggestions_suggestion_changelist"), {"unit": units["泽州县"].pk}
    )
    assert response.context["cl"].result_count == 0


def test_bulk_actions_on_their_ids_change_nothing(setting):
    client, _mine, theirs = setting
    for action in ("shortlist", "mark_excellent", "set_aside"):
        client.post(
            reverse("admin:suggestions_suggestion_changelist"),
            {"action": action, "_selected_action": [theirs.pk], "apply": "1", "reason": "x"},
        )
    assert Suggestion.objects.get(pk=theirs.pk).status == Status.SHORTLISTED
    assert not StatusChange.objects.filter(suggestion=theirs).exists()


def test_autocomplete_returns_only_their_ideas(setting):
    client, mine, theirs = setting

    def found(term):
        response = client.get(
            reverse("admin:autocomplete"),
            {
                "term": term,
                "app_label": "suggestions",
                "model_name": "suggestion",
                "field_name": "duplicate_of",
            },
        )
        assert response.status_code == 200
        return {int(r["id"]) for r in response.json()["results"]}

    assert found("旅游") == {m.pk for m in mine}
    assert found(theirs.receipt) == set()


def test_export_holds_only_their_units(setting):
    client, mine, theirs = setting
    response = client.get(reverse("admin:suggestions_suggestion_export"))
    data = b"".join(response.streaming_content)
    rows = list(load_workbook(io.BytesIO(data), read_only=True).active.iter_rows(values_only=True))
    receipts = {row[0] for row in rows[1:]}
    assert receipts == {m.receipt for m in mine}


def test_history_list_holds_only_their_units(setting):
    client, _mine, theirs = setting
    response = client.get(reverse("admin:suggestions_statuschange_changelist"))
    assert response.status_code == 200
    assert response.context["cl"].result_count == 0
    assert theirs.receipt not in response.content.decode()


def test_report_page_lists_only_their_reporting_unit(setting, units):
    client, _mine, _theirs = setting
    response = client.get(reverse("admin:suggestions_suggestion_report"))
    assert [row["unit"].name for row in response.context["rows"]] == ["城区"]
    client.post(
        reverse("admin:suggestions_suggestion_report"),
        {"unit": units["泽州县"].pk, "op": "submit"},
    )
    from suggestions.models import UnitReport

    assert not UnitReport.objects.filter(unit=units["泽州县"]).exists()


def test_their_own_idea_shows_another_units_group_member_only_as_a_count(
    client, personas, idea_factory
):
    """Foreign data on one's own page: the duplicate panel and the group-decision inline."""
    from suggestions.duplicates.decisions import duplicates_merge

    theirs = idea_factory(unit="泽州县", title="泽州标记标题", name="欧阳泽州", phone="13900007788")
    mine = idea_factory(unit="城区", title="城区自己的建议")
    Suggestion.objects.filter(pk=theirs.pk).update(duplicate_of=theirs)
    Suggestion.objects.filter(pk=mine.pk).update(duplicate_of=mine)
    mine.refresh_from_db()
    theirs.refresh_from_db()
    # The 城区 screener merges their idea into the 泽州县 idea's group.
    duplicates_merge(suggestions=[mine], into=theirs, user=personas["screener_chengqu"])

    client.force_login(personas["screener_chengqu"])
    html = client.get(reverse("admin:suggestions_suggestion_change", args=[mine.pk])).content
    html = html.decode()
    assert "另有 1 条其他单位的相似建议" in html
    assert "其他单位的建议" in html  # the decision's target group, unnamed
    for leak in (theirs.receipt, "泽州标记标题", "泽州县", "欧*", "7788"):
        assert leak not in html, leak

    client.force_login(personas["reviewer"])
    html = client.get(reverse("admin:suggestions_suggestion_change", args=[mine.pk])).content
    html = html.decode()
    assert theirs.receipt in html and "泽州县" in html and "其他单位" not in html
