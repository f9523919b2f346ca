"""The triage view (…/suggestion/triage/) through the test client, as a screener uses it."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from suggestions.models import ActionVia, SetAsideReason, Status, StatusChange, Suggestion
from units.roles import Role, assign_role

TRIAGE = reverse("admin:suggestions_suggestion_triage")


@pytest.fixture(autouse=True)
def _no_leases_left():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def queue(idea_factory):
    """Five 城区 ideas awaiting screening, newest first, and one of 泽州县."""
    now = timezone.now()
    ideas = [idea_factory(unit="城区", received_at=now - timedelta(minutes=i)) for i in range(5)]
    idea_factory(unit="泽州县", received_at=now + timedelta(minutes=1))
    return ideas


def _shown(response) -> Suggestion | None:
    return response.context["idea"]


def test_the_queue_is_the_changelists_filters_within_the_users_scope(client, personas, queue):
    client.force_login(personas["screener_chengqu"])
    response = client.get(TRIAGE, {"status__exact": "collected"})
    assert response.status_code == 200
    assert _shown(response) == queue[0]  # newest of 城区; 泽州县's idea is out of scope
    assert response.context["queue_size"] == (5, False)
    html = response.content.decode()
    assert "138****5678" in html and "13812345678" not in html
    assert "<script>" not in html.replace("<script src", "")


def test_another_units_idea_is_not_found(client, personas, queue):
    other = Suggestion.objects.get(unit__name="泽州县")
    client.force_login(personas["screener_chengqu"])
    assert client.get(TRIAGE, {"idea": other.pk}).status_code == 404
    response = client.post(
        TRIAGE,
        {"op": "decide", "idea": other.pk, "seen_status": "collected", "to_status": "shortlisted"},
    )
    assert response.status_code == 404
    assert Suggestion.objects.get(pk=other.pk).status == Status.COLLECTED


def test_a_decision_goes_through_the_workflow_and_moves_to_the_next_idea(client, personas, queue):
    client.force_login(personas["screener_chengqu"])
    query = "status__exact=collected"
    response = client.post(
        TRIAGE,
        {
            "op": "decide",
            "idea": queue[0].pk,
            "seen_status": "collected",
            "to_status": "shortlisted",
            "queue": query,
        },
        follow=True,
    )
    assert _shown(response) == queue[1]
    change = StatusChange.objects.get(suggestion=queue[0])
    assert (change.to_status, change.via, change.actor) == (
        Status.SHORTLISTED,
        ActionVia.TRIAGE,
        personas["screener_chengqu"],
    )
    assert response.context["undo"]["idea"] == queue[0].pk  # U is offered


def test_set_aside_takes_a_preset_reason_and_undo_takes_it_back(client, personas, queue):
    preset, _new = SetAsideReason.objects.get_or_create(text="与已有金点子重复")
    client.force_login(personas["screener_chengqu"])
    client.post(
        TRIAGE,
        {
            "op": "decide",
            "idea": queue[0].pk,
            "seen_status": "collected",
            "to_status": "set_aside",
            "preset": preset.pk,
        },
    )
    assert StatusChange.objects.get(suggestion=queue[0]).reason == "与已有金点子重复"

    response = client.post(TRIAGE, {"op": "undo", "idea": queue[0].pk}, follow=True)
    assert _shown(response) == queue[0]
    assert Suggestion.objects.get(pk=queue[0].pk).status == Status.COLLECTED
    assert list(StatusChange.objects.filter(suggestion=queue[0]).values_list("via", flat=True)) == [
        ActionVia.TRIAGE,
        ActionVia.UNDO,
    ]


def test_set_aside_without_a_reason_is_refused_and_stays(client, personas, queue):
    client.force_login(personas["screener_chengqu"])
    response = client.post(
        TRIAGE,
        {"op": "decide", "idea": queue[0].pk, "seen_status": "collected", "to_status": "set_aside"},
        follow=True,
    )
    assert _shown(response) == queue[0]
    assert Suggestion.objects.get(pk=queue[0].pk).status == Status.COLLECTED
    assert "需要填写理由" in response.content.decode()


def test_two_screeners_in_one_queue_get_different_ideas_and_a_collision_is_caught(
    client, personas, queue, units
):
    second = get_user_model().objects.create_user(username="screener_chengqu_2", is_staff=True)
    assign_role(user=second, role=Role.SCREENER, units=[units["城区"]])
    other = client.__class__()
    client.force_login(personas["screener_chengqu"])
    other.force_login(second)

    first_idea = _shown(client.get(TRIAGE, {"status__exact": "collected"}))
    second_idea = _shown(other.get(TRIAGE, {"status__exact": "collected"}))
    assert first_idea != second_idea

    # Both open the same idea anyway (a link): the workflow's conditional update decides.
    other.post(
        TRIAGE,
        {
            "op": "decide",
            "idea": first_idea.pk,
            "seen_status": "collected",
            "to_status": "shortlisted",
        },
    )
    response = client.post(
        TRIAGE,
        {
            "op": "decide",
            "idea": first_idea.pk,
            "seen_status": "collected",
            "to_status": "set_aside",
            "reason": "x",
        },
        follow=True,
    )
    assert "screener_chengqu_2" in response.content.decode()  # "already changed by …"
    assert StatusChange.objects.filter(suggestion=first_idea).count() == 1


def test_a_leader_reads_the_queue_without_taking_leases_or_buttons(client, personas, queue):
    client.force_login(personas["leader"])
    response = client.get(TRIAGE, {"status__exact": "collected"})
    assert response.status_code == 200
    assert _shown(response) == Suggestion.objects.order_by("-received_at").first()
    assert response.context["targets"] == []
    assert cache.get(f"triage:lease:{_shown(response).pk}") is None


# -- the page script's protocol: look-ahead fragments and one-request decisions --------


def _fragment_idea(response) -> int | None:
    html = response.content.decode()
    return int(html.split('data-idea="')[1].split('"')[0]) if 'data-idea="' in html else None


def test_the_look_ahead_is_the_next_idea_leased_without_giving_up_the_shown_one(
    client, personas, queue, units
):
    client.force_login(personas["screener_chengqu"])
    page = client.get(TRIAGE, {"status__exact": "collected"})
    assert _shown(page) == queue[0]
    ahead = client.get(TRIAGE, {"status__exact": "collected", "after": queue[0].pk, "fragment": 1})
    assert _fragment_idea(ahead) == queue[1].pk
    assert "<html" not in ahead.content.decode()  # the idea's part of the page only
    user = personas["screener_chengqu"].pk
    assert cache.get(f"triage:lease:{queue[0].pk}") == user  # still on the screen
    assert cache.get(f"triage:lease:{queue[1].pk}") == user

    # A second screener of the unit is handed neither.
    second = get_user_model().objects.create_user(username="screener_chengqu_2", is_staff=True)
    assign_role(user=second, role=Role.SCREENER, units=[units["城区"]])
    other = client.__class__()
    other.force_login(second)
    assert _shown(other.get(TRIAGE, {"status__exact": "collected"})) == queue[2]


def test_going_back_gives_up_the_shown_and_the_looked_ahead_idea(client, personas, queue):
    client.force_login(personas["screener_chengqu"])
    user = personas["screener_chengqu"].pk
    client.get(TRIAGE, {"status__exact": "collected", "idea": queue[1].pk})
    client.get(TRIAGE, {"status__exact": "collected", "after": queue[1].pk, "fragment": 1})
    assert cache.get(f"triage:lease:{queue[2].pk}") == user  # looked ahead

    # K: the page asks for the idea before the shown one and names the looked-ahead one.
    back = client.get(
        TRIAGE, {"status__exact": "collected", "before": queue[1].pk, "release": queue[2].pk}
    )
    assert _shown(back) == queue[0]
    assert cache.get(f"triage:lease:{queue[0].pk}") == user
    assert cache.get(f"triage:lease:{queue[1].pk}") is None
    assert cache.get(f"triage:lease:{queue[2].pk}") is None


def test_a_decision_by_the_script_answers_with_the_idea_after_the_look_ahead(
    client, personas, queue
):
    client.force_login(personas["screener_chengqu"])
    client.get(TRIAGE, {"status__exact": "collected"})
    data = {
        "op": "decide",
        "idea": queue[0].pk,
        "seen_status": "collected",
        "to_status": "shortlisted",
        "queue": "status__exact=collected",
        "next": queue[1].pk,
    }
    answer = client.post(TRIAGE, data, HTTP_X_TRIAGE="fetch").json()
    assert answer["ok"] and answer["idea"] == queue[2].pk
    assert f'data-idea="{queue[2].pk}"' in answer["html"]
    assert answer["undo"]["idea"] == queue[0].pk
    assert Suggestion.objects.get(pk=queue[0].pk).status == Status.SHORTLISTED

    # The same decision again: refused, said why, nothing written twice.
    again = client.post(TRIAGE, data, HTTP_X_TRIAGE="fetch").json()
    assert not again["ok"] and "screener_chengqu" in again["message"]
    assert StatusChange.objects.filter(suggestion=queue[0]).count() == 1


def test_an_anchor_of_another_unit_positions_nothing(client, personas, queue):
    other = Suggestion.objects.get(unit__name="泽州县")
    client.force_login(personas["screener_chengqu"])
    for params in ({"after": other.pk, "fragment": 1}, {"before": other.pk, "fragment": 1}):
        response = client.get(TRIAGE, {"status__exact": "collected", **params})
        assert response.status_code == 200
        assert _fragment_idea(response) is None
        assert other.receipt not in response.content.decode()
    answer = client.post(
        TRIAGE,
        {
            "op": "decide",
            "idea": queue[0].pk,
            "seen_status": "collected",
            "to_status": "shortlisted",
            "queue": "status__exact=collected",
            "next": other.pk,
        },
        HTTP_X_TRIAGE="fetch",
    ).json()
    assert answer["ok"] and answer["idea"] is None
    assert other.receipt not in answer["html"]


def test_preset_edits_reach_the_triage_view_at_once(client, personas, queue):
    preset = SetAsideReason.objects.create(text="旧的理由", sort_order=0)
    client.force_login(personas["admin"])
    page = client.get(TRIAGE, {"status__exact": "collected"})
    assert "旧的理由" in page.content.decode()
    url = reverse("admin:suggestions_setasidereason_change", args=[preset.pk])
    client.post(url, {"text": "新的理由", "sort_order": 0, "is_active": "on"})
    page = client.get(TRIAGE, {"status__exact": "collected"})
    assert "新的理由" in page.content.decode() and "旧的理由" not in page.content.decode()
