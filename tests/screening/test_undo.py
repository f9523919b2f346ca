"""workflow.suggestion_undo: one's own last decision, within seconds, nobody else since."""

from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone

from suggestions.common.rules import Actor
from suggestions.models import ActionVia, Campaign, Status, StatusChange, UnitReport
from suggestions.screening.workflow import (
    UNDO_SECONDS,
    TransitionRefused,
    suggestion_transition,
    suggestion_undo,
)


def _decide(idea, user, to_status, reason=""):
    idea.refresh_from_db()
    return suggestion_transition(
        suggestion=idea, to_status=to_status, actor=Actor.of(user), reason=reason
    )


def test_the_author_undoes_a_decision_and_history_records_the_undo(personas, idea_factory):
    idea = idea_factory(unit="城区")
    screener = personas["screener_chengqu"]
    _decide(idea, screener, Status.SET_ASIDE, reason="重复")

    undo = suggestion_undo(suggestion=idea, actor=Actor.of(screener))

    idea.refresh_from_db()
    assert idea.status == Status.COLLECTED
    assert (undo.from_status, undo.to_status, undo.via, undo.actor) == (
        Status.SET_ASIDE,
        Status.COLLECTED,
        ActionVia.UNDO,
        screener,
    )
    assert list(StatusChange.objects.filter(suggestion=idea).values_list("via", flat=True)) == [
        ActionVia.ADMIN,
        ActionVia.UNDO,
    ]


def test_nobody_else_may_undo_it(personas, idea_factory, units):
    idea = idea_factory(unit="城区")
    _decide(idea, personas["screener_chengqu"], Status.SHORTLISTED)
    for other in ("reviewer", "admin"):
        with pytest.raises(TransitionRefused, match="只能撤销自己"):
            suggestion_undo(suggestion=idea, actor=Actor.of(personas[other]))
    idea.refresh_from_db()
    assert idea.status == Status.SHORTLISTED


def test_the_window_closes_after_the_undo_seconds(personas, idea_factory):
    idea = idea_factory(unit="城区")
    screener = personas["screener_chengqu"]
    _decide(idea, screener, Status.SHORTLISTED)
    later = timezone.now() + timedelta(seconds=UNDO_SECONDS + 1)
    with (
        mock.patch("suggestions.screening.workflow.timezone.now", return_value=later),
        pytest.raises(TransitionRefused, match="时限"),
    ):
        suggestion_undo(suggestion=idea, actor=Actor.of(screener))


def test_no_undo_once_someone_else_acted_nor_an_undo_of_an_undo(personas, idea_factory):
    idea = idea_factory(unit="城区")
    screener, reviewer = personas["screener_chengqu"], personas["reviewer"]
    _decide(idea, screener, Status.SHORTLISTED)
    _decide(idea, reviewer, Status.EXCELLENT)
    with pytest.raises(TransitionRefused):
        suggestion_undo(suggestion=idea, actor=Actor.of(screener))

    second = idea_factory(unit="城区")
    _decide(second, screener, Status.SHORTLISTED)
    suggestion_undo(suggestion=second, actor=Actor.of(screener))
    with pytest.raises(TransitionRefused, match="没有可以撤销"):
        suggestion_undo(suggestion=second, actor=Actor.of(screener))
    assert StatusChange.objects.filter(suggestion=second).count() == 2


def test_the_report_freeze_also_stops_an_undo(personas, idea_factory, units):
    idea = idea_factory(unit="城区")
    screener = personas["screener_chengqu"]
    _decide(idea, screener, Status.SHORTLISTED)
    UnitReport.objects.create(
        campaign=Campaign.objects.get(), unit=units["城区"], reported_at=timezone.now()
    )
    with pytest.raises(TransitionRefused, match="锁定"):
        suggestion_undo(suggestion=idea, actor=Actor.of(screener))
