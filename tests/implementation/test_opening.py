"""The 待研究 record is opened by the screening workflow's rating, in its transaction, and
dropped or kept sensibly when the rating is taken back; the desk's GET writes nothing."""

import importlib
from unittest import mock

import pytest
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from suggestions.common.rules import Actor
from suggestions.implementation.workflow import TransitionRefused as ImplementationRefused
from suggestions.implementation.workflow import (
    implementation_adopt,
    implementation_not_adopt,
    implementation_reopen,
)
from suggestions.models import Implementation, ImplementationStatus, Status
from suggestions.screening.workflow import (
    TransitionRefused,
    allowed_targets,
    suggestion_transition,
    suggestion_undo,
    suggestions_transition,
)
from tests.factories import SuggestionFactory

St = ImplementationStatus
CHANGELIST = reverse("admin:suggestions_implementation_changelist")
WRITES = ("INSERT", "UPDATE", "DELETE")


@pytest.fixture
def actors(personas):
    return {role: Actor.of(user) for role, user in personas.items()}


@pytest.fixture
def shortlisted(campaign, units):
    def make(n=1):
        return [
            SuggestionFactory(campaign=campaign, unit=units["巴公镇"], status=Status.SHORTLISTED)
            for _ in range(n)
        ]

    return make


def rate_excellent(idea, actor):
    return suggestion_transition(suggestion=idea, to_status=Status.EXCELLENT, actor=actor)


def test_the_record_exists_right_after_the_rating(shortlisted, actors):
    idea = shortlisted()[0]
    rate_excellent(idea, actors["reviewer"])
    impl = Implementation.objects.get(suggestion=idea)
    assert (impl.status, impl.campaign_id, impl.version) == (St.PENDING, idea.campaign_id, 0)
    assert not impl.history.exists()


def test_the_record_is_written_in_the_ratings_transaction(shortlisted, actors):
    """A failure after the record was opened (writing the history) undoes both."""
    idea = shortlisted()[0]
    with (
        mock.patch(
            "suggestions.screening.workflow.StatusChange.objects.bulk_create",
            side_effect=RuntimeError("disk full"),
        ),
        pytest.raises(RuntimeError),
    ):
        rate_excellent(idea, actors["reviewer"])
    idea.refresh_from_db()
    assert idea.status == Status.SHORTLISTED
    assert not Implementation.objects.filter(suggestion=idea).exists()


def test_a_bulk_rating_opens_one_record_per_idea_rated_and_none_for_the_refused(
    shortlisted, actors, campaign, units
):
    ideas = shortlisted(4)
    stale = SuggestionFactory(campaign=campaign, unit=units["巴公镇"], status=Status.COLLECTED)
    stale.status = Status.SHORTLISTED  # the reviewer's page is out of date: refused
    result = suggestions_transition(
        suggestions=[*ideas, stale], to_status=Status.EXCELLENT, actor=actors["reviewer"]
    )
    assert len(result.changed) == 4 and len(result.refused) == 1
    opened = set(Implementation.objects.values_list("suggestion_id", flat=True))
    assert opened == {i.pk for i in ideas}
    # Rating again (e.g. a retried request) opens nothing twice.
    assert Implementation.objects.count() == 4


def test_taking_the_rating_back_drops_an_undecided_record(shortlisted, actors):
    idea = shortlisted()[0]
    rate_excellent(idea, actors["reviewer"])
    suggestion_transition(
        suggestion=idea, to_status=Status.SHORTLISTED, actor=actors["admin"], reason="评审有误"
    )
    assert not Implementation.objects.filter(suggestion=idea).exists()
    # Rated excellent again: a fresh 待研究 record.
    rate_excellent(idea, actors["reviewer"])
    assert Implementation.objects.get(suggestion=idea).status == St.PENDING


@pytest.mark.parametrize("decide", ["adopt", "not_adopt"])
def test_taking_the_rating_back_is_refused_once_adoption_was_decided(decide, shortlisted, actors):
    idea = shortlisted()[0]
    rate_excellent(idea, actors["reviewer"])
    impl = Implementation.objects.get(suggestion=idea)
    if decide == "adopt":
        implementation_adopt(implementation=impl, actor=actors["reviewer"])
    else:
        implementation_not_adopt(implementation=impl, actor=actors["reviewer"], reason="条件不足")
    before = impl.history.count()

    assert Status.SHORTLISTED not in allowed_targets(actors["admin"], idea)
    with pytest.raises(TransitionRefused, match="已有采纳决定"):
        suggestion_transition(
            suggestion=idea, to_status=Status.SHORTLISTED, actor=actors["admin"], reason="有误"
        )
    idea.refresh_from_db()
    impl.refresh_from_db()
    assert idea.status == Status.EXCELLENT
    assert impl.status in (St.ADOPTED, St.NOT_ADOPTED) and impl.history.count() == before


def test_a_reopened_record_keeps_its_history_when_the_rating_is_taken_back(shortlisted, actors):
    """Reopened (back to 待研究) the rating may go; the record and its history stay and
    serve again if the idea is rated excellent again."""
    idea = shortlisted()[0]
    rate_excellent(idea, actors["reviewer"])
    impl = Implementation.objects.get(suggestion=idea)
    implementation_not_adopt(implementation=impl, actor=actors["reviewer"], reason="条件不足")
    implementation_reopen(implementation=impl, actor=actors["admin"], reason="情况变化")
    suggestion_transition(
        suggestion=idea, to_status=Status.SHORTLISTED, actor=actors["admin"], reason="评审有误"
    )
    impl.refresh_from_db()
    assert impl.status == St.PENDING and impl.history.count() == 2
    rate_excellent(idea, actors["reviewer"])
    assert Implementation.objects.filter(suggestion=idea).count() == 1


def test_undoing_a_rating_drops_the_record_and_undoing_a_take_back_reopens_it(shortlisted, actors):
    idea = shortlisted()[0]
    rate_excellent(idea, actors["reviewer"])
    suggestion_undo(suggestion=idea, actor=actors["reviewer"])
    assert idea.status == Status.SHORTLISTED
    assert not Implementation.objects.filter(suggestion=idea).exists()

    rate_excellent(idea, actors["admin"])
    suggestion_transition(
        suggestion=idea, to_status=Status.SHORTLISTED, actor=actors["admin"], reason="有误"
    )
    assert not Implementation.objects.filter(suggestion=idea).exists()
    suggestion_undo(suggestion=idea, actor=actors["admin"])
    assert idea.status == Status.EXCELLENT
    assert Implementation.objects.get(suggestion=idea).status == St.PENDING


def test_undoing_a_rating_is_refused_once_the_city_adopted_it(shortlisted, actors):
    idea = shortlisted()[0]
    rate_excellent(idea, actors["reviewer"])
    implementation_adopt(
        implementation=Implementation.objects.get(suggestion=idea), actor=actors["admin"]
    )
    with pytest.raises(TransitionRefused, match="已有采纳决定"):
        suggestion_undo(suggestion=idea, actor=actors["reviewer"])
    idea.refresh_from_db()
    assert idea.status == Status.EXCELLENT


@pytest.mark.parametrize("role", ["reviewer", "admin", "leader", "screener_zezhou"])
def test_the_desk_changelist_writes_nothing(role, client, personas, campaign, units):
    """A read is a read: no record is created on a GET, whoever opens the desk."""
    SuggestionFactory(campaign=campaign, unit=units["巴公镇"], status=Status.EXCELLENT)
    client.force_login(personas[role])
    client.get(CHANGELIST)  # the session and caches settle on a first visit
    with CaptureQueriesContext(connection) as captured:
        for query in ("", "?overdue=yes", "?status=pending", "?q=JC"):
            assert client.get(CHANGELIST + query).status_code == 200
    writes = [q["sql"] for q in captured.captured_queries if q["sql"].lstrip().startswith(WRITES)]
    assert writes == []
    assert not Implementation.objects.exists()


def test_the_data_migration_opens_records_of_excellent_ideas_lacking_one(campaign, units):
    excellent = [
        SuggestionFactory(campaign=campaign, unit=units["城区"], status=Status.EXCELLENT)
        for _ in range(3)
    ]
    SuggestionFactory(campaign=campaign, unit=units["城区"], status=Status.SHORTLISTED)
    already = Implementation.objects.create(
        suggestion=excellent[0],
        campaign=campaign,
        status=St.ADOPTED,
        status_changed_at=timezone.now(),
    )
    migration = importlib.import_module("suggestions.migrations.0015_open_implementation_records")
    migration.open_missing(apps, None)
    migration.open_missing(apps, None)  # a second run adds nothing
    rows = dict(Implementation.objects.values_list("suggestion_id", "status"))
    assert rows == {
        excellent[0].pk: St.ADOPTED,
        excellent[1].pk: St.PENDING,
        excellent[2].pk: St.PENDING,
    }
    already.refresh_from_db()
    assert already.version == 0


@pytest.mark.django_db(transaction=True)
def test_adopting_while_the_rating_is_taken_back_leaves_a_consistent_pair(
    campaign, units, personas
):
    """Either the adoption lands first (the take-back is refused) or the take-back does
    (the adoption is told): never an adopted record of an idea that is not excellent."""
    import threading

    from django.db import connections

    if connection.vendor == "sqlite":
        pytest.skip("SQLite serialises writers; the race needs two real connections")
    idea = SuggestionFactory(campaign=campaign, unit=units["巴公镇"], status=Status.SHORTLISTED)
    rate_excellent(idea, Actor.of(personas["reviewer"]))
    barrier = threading.Barrier(2)
    outcome: dict = {}

    def adopt():
        try:
            seen = Implementation.objects.get(suggestion_id=idea.pk)
            barrier.wait()
            outcome["adopt"] = implementation_adopt(
                implementation=seen, actor=Actor.of(personas["reviewer"])
            )
        except Exception as exc:  # asserted below
            outcome["adopt"] = exc
        finally:
            connections.close_all()

    def take_back():
        try:
            from suggestions.models import Suggestion

            seen = Suggestion.objects.get(pk=idea.pk)
            barrier.wait()
            outcome["back"] = suggestion_transition(
                suggestion=seen,
                to_status=Status.SHORTLISTED,
                actor=Actor.of(personas["admin"]),
                reason="评审有误",
            )
        except Exception as exc:  # asserted below
            outcome["back"] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=adopt), threading.Thread(target=take_back)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    refused = [
        k for k, v in outcome.items() if isinstance(v, TransitionRefused | ImplementationRefused)
    ]
    assert len(refused) == 1, outcome
    idea.refresh_from_db()
    record = Implementation.objects.filter(suggestion=idea).first()
    if refused == ["back"]:
        assert idea.status == Status.EXCELLENT and record.status == St.ADOPTED
    else:
        assert idea.status == Status.SHORTLISTED and record is None


@pytest.mark.django_db(transaction=True)
def test_the_screening_page_of_an_excellent_idea_reads_without_locking(
    shortlisted, actors, client, personas
):
    """Outside a test transaction (autocommit, as in production): the buttons read the
    adoption decision without SELECT … FOR UPDATE (which PostgreSQL refuses there)."""
    idea = shortlisted()[0]
    rate_excellent(idea, actors["reviewer"])
    client.force_login(personas["admin"])
    url = reverse("admin:suggestions_suggestion_change", args=[idea.pk])
    assert "改为“初选入围”" in client.get(url).content.decode()
    implementation_adopt(
        implementation=Implementation.objects.get(suggestion=idea), actor=actors["reviewer"]
    )
    response = client.get(url)
    assert response.status_code == 200
    assert "改为“初选入围”" not in response.content.decode()
