"""A triage decision and the next idea cost a bounded number of queries, however many
ideas the queue holds and however long their histories are (query counts are exact;
times are the benchmark's business: bench/screening)."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from suggestions.models import ActionVia, SetAsideReason, Status, StatusChange, Suggestion
from tests.factories import SuggestionFactory

TRIAGE = "/admin/suggestions/suggestion/triage/"
# A decision plus the idea after the next one rendered, in one request (the page script's
# path: static/js/triage.js). The target is 15.
DECISION_BUDGET = 15
# A reviewer's five marks sent with E are a second write in the same request: the idea
# locked, the score (one upsert), its aggregate and the idea's mean.
SCORE_QUERIES = 4


@pytest.fixture(autouse=True)
def _no_leases_left():
    cache.clear()
    yield
    cache.clear()


def _queue(campaign, unit, status, n, history_rows, start=0):
    now = timezone.now()
    ideas = [
        SuggestionFactory(
            campaign=campaign,
            unit=unit,
            status=status,
            received_at=now - timedelta(minutes=start + i),
        )
        for i in range(n)
    ]
    _history(ideas, history_rows)
    return ideas


def _history(ideas, rows):
    now = timezone.now()
    StatusChange.objects.bulk_create(
        StatusChange(
            suggestion=idea,
            actor=None,
            at=now - timedelta(days=1, seconds=k),
            from_status="",
            to_status=Status.COLLECTED,
            reason=f"note {k}",
            via=ActionVia.ADMIN,
        )
        for idea in ideas
        for k in range(rows)
    )


def _counted(client, method, *args, **kwargs) -> tuple[object, list[str]]:
    """The response and its SQL, without the test transaction's own SAVEPOINTs (in
    production an atomic block costs no statement of its own that Django records)."""
    with CaptureQueriesContext(connection) as ctx:
        response = getattr(client, method)(*args, **kwargs)
    sql = [q["sql"] for q in ctx.captured_queries]
    return response, [s for s in sql if not s.startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))]


MARKS = {"feasibility": 4, "innovation": 3, "benefit": 5, "cost": 2, "replicability": 4}


def _decide_in_order(client, query, to_status, preset=None, marks=None) -> list[int]:
    """Open the queue, look ahead once, then decide three ideas the way the page script
    does; the query counts of the three decisions and of the look-ahead."""
    page = client.get(TRIAGE, query)
    shown = page.context["idea"]
    _response, sql = _counted(client, "get", TRIAGE, {**query, "after": shown.pk, "fragment": 1})
    ahead = _response.content.decode().split('data-idea="')[1].split('"')[0]
    counts = [len(sql)]
    for _ in range(3):
        data = {
            "op": "decide",
            "idea": shown.pk,
            "seen_status": shown.status,
            "to_status": to_status,
            "queue": "&".join(f"{k}={v}" for k, v in query.items()),
            "next": ahead,
        }
        if preset is not None:
            data["preset"] = preset
        data.update(marks or {})
        response, sql = _counted(client, "post", TRIAGE, data, HTTP_X_TRIAGE="fetch")
        answer = response.json()
        assert answer["ok"], answer
        assert 'class="triage-idea"' in answer["html"]
        counts.append(len(sql))
        shown, ahead = Suggestion.objects.get(pk=int(ahead)), answer["idea"]
    return counts


@pytest.mark.parametrize(
    ("who", "unit", "status", "to_status", "marks"),
    [
        ("screener_zezhou", "泽州县", Status.COLLECTED, Status.SHORTLISTED, None),
        ("screener_zezhou", "泽州县", Status.COLLECTED, Status.SET_ASIDE, None),
        ("reviewer", "泽州县", Status.SHORTLISTED, Status.EXCELLENT, None),
        ("reviewer", "泽州县", Status.SHORTLISTED, Status.EXCELLENT, MARKS),  # marks, then E
    ],
)
def test_a_decision_and_the_next_idea_stay_within_the_budget_whatever_the_volume(
    client, personas, campaign, units, who, unit, status, to_status, marks
):
    preset = None
    if to_status == Status.SET_ASIDE:
        preset = SetAsideReason.objects.get_or_create(text="内容过于笼统")[0].pk
    client.force_login(personas[who])
    query = {"status__exact": status}

    first = _queue(campaign, units[unit], status, 10, history_rows=1)
    small = _decide_in_order(client, query, to_status, preset, marks)

    # Twenty times the ideas, long histories, other units and other states in the table.
    cache.clear()
    _history(first, 25)
    _queue(campaign, units[unit], status, 200, history_rows=25, start=10)
    _queue(campaign, units["城区"], status, 60, history_rows=5)
    _queue(campaign, units[unit], Status.SET_ASIDE, 60, history_rows=5)
    # Checked for near-duplicates: lone ideas represent themselves (no group to read).
    Suggestion.objects.filter(duplicate_of__isnull=True).update(duplicate_of=F("pk"))
    large = _decide_in_order(client, query, to_status, preset, marks)

    assert large == small, (small, large)
    assert max(small[1:]) <= DECISION_BUDGET + (SCORE_QUERIES if marks else 0), small
    assert small[0] <= DECISION_BUDGET - 4, small  # the look-ahead alone


def test_an_idea_in_a_duplicate_group_adds_one_query_for_its_group(
    client, personas, campaign, units
):
    client.force_login(personas["screener_zezhou"])
    query = {"status__exact": Status.COLLECTED}
    ideas = _queue(campaign, units["泽州县"], Status.COLLECTED, 8, history_rows=2)
    Suggestion.objects.update(duplicate_of=F("pk"))
    # Every idea of the queue has two near-duplicates in another unit.
    for idea in ideas:
        for _ in range(2):
            SuggestionFactory(
                campaign=campaign, unit=units["城区"], duplicate_of=idea, status=Status.SET_ASIDE
            )
    counts = _decide_in_order(client, query, Status.SHORTLISTED)
    assert max(counts[1:]) <= DECISION_BUDGET + 1, counts
