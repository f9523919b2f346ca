import pytest

from suggestions.models import OutcomeNotice, Status, StatusChange, Suggestion, UnitReport
from suggestions.screening.notifications import outcome_notices_send
from suggestions.screening.workflow import (
    Actor,
    TransitionRefused,
    allowed_targets,
    suggestion_score,
    suggestion_transition,
    suggestions_transition,
    unit_report_reopen,
    unit_report_submit,
)

MARKS = {"feasibility": 5, "innovation": 4, "benefit": 3, "cost": 2, "replicability": 1}


def test_a_reported_county_freezes_stage_one_of_its_towns(campaign, units, personas, idea_factory):
    screener = Actor.of(personas["screener_chengqu"])
    town_idea = idea_factory(unit="北石店镇")
    other = idea_factory(unit="泽州县")

    report = unit_report_submit(campaign=campaign, unit=units["城区"], actor=screener)

    assert report.reported_at is not None and report.reported_by == personas["screener_chengqu"]
    assert allowed_targets(screener, town_idea) == []
    with pytest.raises(TransitionRefused, match="已报送"):
        suggestion_transition(suggestion=town_idea, to_status=Status.SHORTLISTED, actor=screener)
    # Administrators too: they reopen first, on the record.
    with pytest.raises(TransitionRefused, match="已报送"):
        suggestion_transition(
            suggestion=town_idea, to_status=Status.SHORTLISTED, actor=Actor.of(personas["admin"])
        )
    # Another unit is not affected.
    suggestion_transition(
        suggestion=other, to_status=Status.SHORTLISTED, actor=Actor.of(personas["screener_zezhou"])
    )


def test_stage_two_goes_on_while_stage_one_is_frozen(campaign, units, personas, idea_factory):
    idea = idea_factory(unit="城区", status=Status.SHORTLISTED)
    unit_report_submit(campaign=campaign, unit=units["城区"], actor=Actor.of(personas["admin"]))

    suggestion_transition(
        suggestion=idea, to_status=Status.EXCELLENT, actor=Actor.of(personas["reviewer"])
    )
    assert Suggestion.objects.get(pk=idea.pk).status == Status.EXCELLENT


def test_bulk_decision_refuses_frozen_ideas_one_by_one(campaign, units, personas, idea_factory):
    admin = Actor.of(personas["admin"])
    frozen = idea_factory(unit="城区")
    free = idea_factory(unit="泽州县")
    unit_report_submit(campaign=campaign, unit=units["城区"], actor=admin)

    result = suggestions_transition(
        suggestions=[frozen, free], to_status=Status.SHORTLISTED, actor=admin
    )

    assert [c.suggestion_id for c in result.changed] == [free.pk]
    assert [s.pk for s, _ in result.refused] == [frozen.pk]


def test_only_a_city_administrator_reopens_a_report(campaign, units, personas, idea_factory):
    idea = idea_factory(unit="城区")
    unit_report_submit(
        campaign=campaign, unit=units["城区"], actor=Actor.of(personas["screener_chengqu"])
    )
    for role in ("screener_chengqu", "reviewer", "leader"):
        with pytest.raises(TransitionRefused, match="市级管理员"):
            unit_report_reopen(
                campaign=campaign, unit=units["城区"], actor=Actor.of(personas[role])
            )

    report = unit_report_reopen(
        campaign=campaign, unit=units["城区"], actor=Actor.of(personas["admin"])
    )

    assert report.reported_at is None and report.reopened_by == personas["admin"]
    suggestion_transition(
        suggestion=idea, to_status=Status.SHORTLISTED, actor=Actor.of(personas["screener_chengqu"])
    )


def test_reporting_is_for_the_units_own_screener_and_reporting_units_only(
    campaign, units, personas
):
    with pytest.raises(TransitionRefused, match="本单位"):
        unit_report_submit(
            campaign=campaign, unit=units["城区"], actor=Actor.of(personas["screener_zezhou"])
        )
    with pytest.raises(TransitionRefused, match="乡镇"):
        unit_report_submit(
            campaign=campaign, unit=units["北石店镇"], actor=Actor.of(personas["admin"])
        )
    with pytest.raises(TransitionRefused):
        unit_report_submit(
            campaign=campaign, unit=units["城区"], actor=Actor.of(personas["leader"])
        )
    assert not UnitReport.objects.filter(reported_at__isnull=False).exists()


def test_reviewers_score_and_the_mean_and_count_follow(
    campaign, units, personas, idea_factory, django_user_model
):
    from units.roles import Role, assign_role

    idea = idea_factory(status=Status.SHORTLISTED)
    second = django_user_model.objects.create_user("reviewer2", password="x" * 12)
    assign_role(user=second, role=Role.CITY_REVIEWER)

    suggestion_score(suggestion=idea, actor=Actor.of(personas["reviewer"]), marks=MARKS)
    suggestion_score(suggestion=idea, actor=Actor.of(second), marks=dict.fromkeys(MARKS, 5))
    idea.refresh_from_db()
    assert (idea.score_count, idea.score_mean) == (2, pytest.approx((3 + 5) / 2))

    # Re-scoring replaces the reviewer's row instead of adding one.
    suggestion_score(suggestion=idea, actor=Actor.of(second), marks=dict.fromkeys(MARKS, 1))
    idea.refresh_from_db()
    assert (idea.score_count, idea.score_mean) == (2, pytest.approx((3 + 1) / 2))


@pytest.mark.parametrize("role", ["screener_chengqu", "leader"])
def test_only_reviewers_score(role, personas, idea_factory):
    idea = idea_factory(status=Status.SHORTLISTED)
    with pytest.raises(TransitionRefused, match="评审员"):
        suggestion_score(suggestion=idea, actor=Actor.of(personas[role]), marks=MARKS)


@pytest.mark.parametrize(
    "marks",
    [{**MARKS, "cost": 6}, {**MARKS, "cost": 0}, {k: v for k, v in MARKS.items() if k != "cost"}],
)
def test_scores_must_be_five_marks_from_one_to_five(marks, personas, idea_factory):
    idea = idea_factory(status=Status.SHORTLISTED)
    with pytest.raises(TransitionRefused):
        suggestion_score(suggestion=idea, actor=Actor.of(personas["reviewer"]), marks=marks)
    idea.refresh_from_db()
    assert idea.score_count == 0


def test_only_shortlisted_ideas_are_scored(personas, idea_factory):
    idea = idea_factory(status=Status.COLLECTED)
    with pytest.raises(TransitionRefused, match="初选入围"):
        suggestion_score(suggestion=idea, actor=Actor.of(personas["reviewer"]), marks=MARKS)


def test_outcome_notice_is_sent_once_and_logs_no_phone(personas, idea_factory, caplog):
    idea = idea_factory(status=Status.SHORTLISTED, phone="13912345678")
    change = suggestion_transition(
        suggestion=idea, to_status=Status.EXCELLENT, actor=Actor.of(personas["reviewer"])
    )

    with caplog.at_level("INFO", logger="suggestions.screening.notifications"):
        assert outcome_notices_send(status_change_ids=[change.pk]) == 1
        assert outcome_notices_send(status_change_ids=[change.pk]) == 0

    notice = OutcomeNotice.objects.get()
    assert notice.sent_at is not None and notice.backend == "LogNotifier"
    assert idea.receipt in caplog.text
    assert "13912345678" not in caplog.text and "1391234" not in caplog.text


def test_an_undone_outcome_is_not_announced(personas, idea_factory):
    idea = idea_factory(status=Status.SHORTLISTED)
    change = suggestion_transition(
        suggestion=idea, to_status=Status.EXCELLENT, actor=Actor.of(personas["reviewer"])
    )
    suggestion_transition(
        suggestion=idea,
        to_status=Status.SHORTLISTED,
        reason="复核",
        actor=Actor.of(personas["admin"]),
    )
    assert outcome_notices_send(status_change_ids=[change.pk]) == 0


@pytest.mark.slow
@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_an_excellent_decision_queues_the_notice_after_commit(
    campaign, units, personas, celery_worker
):
    from tests.conftest import wait_for
    from tests.factories import SuggestionFactory

    idea = SuggestionFactory(campaign=campaign, unit=units["城区"], status=Status.SHORTLISTED)
    change = suggestion_transition(
        suggestion=idea, to_status=Status.EXCELLENT, actor=Actor.of(personas["reviewer"])
    )

    notice = wait_for(
        lambda: OutcomeNotice.objects.filter(status_change=change, sent_at__isnull=False).first(),
        timeout=60,
    )
    assert notice is not None


def test_shortlisting_sends_no_notice(personas, idea_factory, django_capture_on_commit_callbacks):
    idea = idea_factory(unit="城区")
    with django_capture_on_commit_callbacks() as callbacks:
        suggestion_transition(
            suggestion=idea,
            to_status=Status.SHORTLISTED,
            actor=Actor.of(personas["screener_chengqu"]),
        )
    # Only the metrics counter waits for the commit: no notice is queued.
    assert [cb.__qualname__.split(".")[0] for cb in callbacks] == ["decisions_counted"]
    assert StatusChange.objects.count() == 1


def test_catch_up_announces_outcomes_whose_task_was_lost(personas, idea_factory):
    from suggestions.screening.notifications import outcome_notices_catch_up

    ideas = [idea_factory(status=Status.SHORTLISTED) for _ in range(2)]
    # on_commit callbacks never run inside a test transaction: as if the broker were down.
    for idea in ideas:
        suggestion_transition(
            suggestion=idea, to_status=Status.EXCELLENT, actor=Actor.of(personas["reviewer"])
        )

    assert outcome_notices_catch_up() == 0  # still inside the undo window
    assert outcome_notices_catch_up(older_than_seconds=0) == 2
    assert outcome_notices_catch_up(older_than_seconds=0) == 0
    assert OutcomeNotice.objects.filter(sent_at__isnull=False).count() == 2


@pytest.mark.django_db(transaction=True)
def test_two_reviewers_scoring_at_once_both_count(campaign, units, personas, django_user_model):
    import threading

    from django.db import connection

    from tests.factories import SuggestionFactory
    from units.roles import Role, assign_role

    if connection.vendor == "sqlite":
        pytest.skip("SQLite serialises writers; the race needs two real connections")
    idea = SuggestionFactory(campaign=campaign, unit=units["城区"], status=Status.SHORTLISTED)
    second = django_user_model.objects.create_user("reviewer2", password="x" * 12)
    assign_role(user=second, role=Role.CITY_REVIEWER)
    barrier = threading.Barrier(2)

    def score(user, mark):
        actor = Actor.of(user)
        barrier.wait()
        try:
            suggestion_score(suggestion=idea, actor=actor, marks=dict.fromkeys(MARKS, mark))
        finally:
            connection.close()

    threads = [
        threading.Thread(target=score, args=(personas["reviewer"], 2)),
        threading.Thread(target=score, args=(second, 4)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    idea.refresh_from_db()
    assert (idea.score_count, idea.score_mean) == (2, pytest.approx(3.0))
