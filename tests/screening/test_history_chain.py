"""Whatever staff try, in any order, the history of an idea is an unbroken chain."""

import contextlib

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from suggestions.models import Status, StatusChange, Suggestion
from suggestions.screening.workflow import Actor, TransitionRefused, suggestion_transition

ROLES = ["screener_chengqu", "screener_zezhou", "reviewer", "leader", "admin"]
attempts = st.lists(
    st.tuples(st.sampled_from(ROLES), st.sampled_from(Status.values), st.booleans()),
    max_size=12,
)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=attempts)
def test_history_is_a_chain_from_collected_to_the_current_status(steps, idea_factory, personas):
    idea = idea_factory(unit="城区")
    actors = {role: Actor.of(personas[role]) for role in ROLES}
    for role, target, stale in steps:
        # A stale page: the actor decides from the state before the last change.
        seen = Suggestion.objects.get(pk=idea.pk)
        if stale:
            last = StatusChange.objects.filter(suggestion=idea).last()
            if last is not None:
                seen.status = last.from_status
        with contextlib.suppress(TransitionRefused):
            suggestion_transition(
                suggestion=seen, to_status=target, actor=actors[role], reason="理由"
            )

    chain = list(
        StatusChange.objects.filter(suggestion=idea).values_list("from_status", "to_status")
    )
    current = Status.COLLECTED
    for frm, to in chain:
        assert frm == current
        current = to
    assert Suggestion.objects.get(pk=idea.pk).status == current
