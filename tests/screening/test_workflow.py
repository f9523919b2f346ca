import threading

import pytest
from django.db import connection

from suggestions.models import Status, StatusChange, Suggestion
from suggestions.screening.workflow import (
    Actor,
    AlreadyChanged,
    TransitionRefused,
    allowed_targets,
    suggestion_transition,
    suggestions_transition,
)
from tests.factories import SuggestionFactory


@pytest.fixture
def idea(campaign, units):
    return SuggestionFactory(campaign=campaign, unit=units["北石店镇"])


def test_screener_of_the_parent_unit_shortlists_and_history_records_it(idea, personas):
    screener = personas["screener_chengqu"]

    change = suggestion_transition(
        suggestion=idea, to_status=Status.SHORTLISTED, actor=Actor.of(screener)
    )

    idea.refresh_from_db()
    assert idea.status == Status.SHORTLISTED
    assert idea.status_changed_by == screener
    row = StatusChange.objects.get()
    assert row == change
    assert (row.actor, row.from_status, row.to_status) == (screener, "collected", "shortlisted")


def test_screener_of_a_sibling_unit_is_refused(idea, personas):
    with pytest.raises(TransitionRefused, match="本单位的初筛员"):
        suggestion_transition(
            suggestion=idea,
            to_status=Status.SHORTLISTED,
            actor=Actor.of(personas["screener_zezhou"]),
        )
    assert Suggestion.objects.get().status == Status.COLLECTED
    assert StatusChange.objects.count() == 0


def test_leader_changes_nothing(idea, personas):
    leader = Actor.of(personas["leader"])

    assert allowed_targets(leader, idea) == []
    with pytest.raises(TransitionRefused):
        suggestion_transition(suggestion=idea, to_status=Status.SHORTLISTED, actor=leader)


def test_set_aside_needs_a_reason(idea, personas):
    with pytest.raises(TransitionRefused, match="需要填写理由"):
        suggestion_transition(
            suggestion=idea,
            to_status=Status.SET_ASIDE,
            actor=Actor.of(personas["screener_chengqu"]),
        )


def test_skipping_a_stage_is_refused_even_for_an_administrator(idea, personas):
    with pytest.raises(TransitionRefused, match="不能从"):
        suggestion_transition(
            suggestion=idea, to_status=Status.EXCELLENT, actor=Actor.of(personas["admin"])
        )


def test_stage_two_belongs_to_the_city_reviewer(idea, personas):
    suggestion_transition(
        suggestion=idea,
        to_status=Status.SHORTLISTED,
        actor=Actor.of(personas["screener_chengqu"]),
    )
    with pytest.raises(TransitionRefused, match="市级评审员"):
        suggestion_transition(
            suggestion=idea,
            to_status=Status.EXCELLENT,
            actor=Actor.of(personas["screener_chengqu"]),
        )

    suggestion_transition(
        suggestion=idea, to_status=Status.EXCELLENT, actor=Actor.of(personas["reviewer"])
    )
    assert Suggestion.objects.get().status == Status.EXCELLENT


def test_a_stale_decision_is_told_who_changed_it(idea, personas):
    stale = Suggestion.objects.get(pk=idea.pk)
    suggestion_transition(
        suggestion=idea, to_status=Status.SHORTLISTED, actor=Actor.of(personas["screener_chengqu"])
    )

    with pytest.raises(AlreadyChanged, match="screener_chengqu"):
        suggestion_transition(
            suggestion=stale,
            to_status=Status.SET_ASIDE,
            reason="重复",
            actor=Actor.of(personas["admin"]),
        )
    assert list(StatusChange.objects.values_list("from_status", "to_status")) == [
        ("collected", "shortlisted")
    ]


def test_bulk_reports_changed_and_refused(campaign, units, personas):
    mine = SuggestionFactory.create_batch(3, campaign=campaign, unit=units["城区"])
    theirs = SuggestionFactory(campaign=campaign, unit=units["泽州县"])

    result = suggestions_transition(
        suggestions=[*mine, theirs],
        to_status=Status.SHORTLISTED,
        actor=Actor.of(personas["screener_chengqu"]),
    )

    assert len(result.changed) == 3
    assert [s.pk for s, _ in result.refused] == [theirs.pk]
    assert Suggestion.objects.filter(status=Status.SHORTLISTED).count() == 3


def test_history_cannot_be_edited_or_deleted(idea, personas):
    change = suggestion_transition(
        suggestion=idea, to_status=Status.SHORTLISTED, actor=Actor.of(personas["screener_chengqu"])
    )

    change.reason = "rewritten"
    with pytest.raises(PermissionError):
        change.save()
    with pytest.raises(PermissionError):
        change.delete()
    with pytest.raises(PermissionError):
        StatusChange.objects.all().update(reason="x")
    with pytest.raises(PermissionError):
        StatusChange.objects.all().delete()


@pytest.mark.django_db(transaction=True)
def test_two_staff_at_once_exactly_one_wins(campaign, units, personas):
    if connection.vendor == "sqlite":
        pytest.skip("SQLite serialises writers; the race needs two real connections")
    idea = SuggestionFactory(campaign=campaign, unit=units["城区"])
    actors = [Actor.of(personas["screener_chengqu"]), Actor.of(personas["admin"])]
    targets = [Status.SHORTLISTED, Status.SET_ASIDE]
    barrier = threading.Barrier(2)
    outcomes = []

    def decide(actor, target):
        seen = Suggestion.objects.get(pk=idea.pk)
        barrier.wait()
        try:
            suggestion_transition(suggestion=seen, to_status=target, actor=actor, reason="并发")
            outcomes.append("won")
        except AlreadyChanged:
            outcomes.append("lost")
        finally:
            connection.close()

    threads = [
        threading.Thread(target=decide, args=pair) for pair in zip(actors, targets, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["lost", "won"]
    history = list(
        StatusChange.objects.filter(suggestion=idea).values_list("from_status", flat=True)
    )
    assert history == ["collected"]
