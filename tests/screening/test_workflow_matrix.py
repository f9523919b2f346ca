"""Every role × state × target, allowed and refused, through the one workflow module."""

import pytest

from suggestions.models import Status, StatusChange, Suggestion
from suggestions.screening.workflow import (
    Actor,
    TransitionRefused,
    allowed_targets,
    suggestion_transition,
)

C, S, E, X = Status.COLLECTED, Status.SHORTLISTED, Status.EXCELLENT, Status.SET_ASIDE
ROLES = ["screener_chengqu", "screener_zezhou", "reviewer", "leader", "admin"]

# The idea lives in 北石店镇, a town under 城区: 城区's screener is its screener,
# 泽州县's is a sibling unit's.
ALLOWED = {
    (C, S): {"screener_chengqu", "admin"},
    (C, X): {"screener_chengqu", "admin"},
    (S, E): {"reviewer", "admin"},
    (S, X): {"reviewer", "admin"},
    (S, C): {"reviewer", "admin"},
    (X, C): {"reviewer", "admin"},
    (E, S): {"admin"},
}
CASES = [
    (role, frm, to) for role in ROLES for frm in Status.values for to in Status.values if frm != to
]


@pytest.mark.parametrize(("role", "frm", "to"), CASES, ids=lambda v: str(v))
def test_role_state_transition_matrix(role, frm, to, idea_factory, personas):
    idea = idea_factory(status=frm)
    actor = Actor.of(personas[role])
    allowed = role in ALLOWED.get((frm, to), set())

    assert (to in allowed_targets(actor, idea)) is allowed
    if allowed:
        change = suggestion_transition(suggestion=idea, to_status=to, actor=actor, reason="理由")
        assert Suggestion.objects.get(pk=idea.pk).status == to
        assert (change.from_status, change.to_status, change.actor) == (frm, to, personas[role])
        assert StatusChange.objects.filter(suggestion=idea).count() == 1
    else:
        with pytest.raises(TransitionRefused):
            suggestion_transition(suggestion=idea, to_status=to, actor=actor, reason="理由")
        assert Suggestion.objects.get(pk=idea.pk).status == frm
        assert not StatusChange.objects.filter(suggestion=idea).exists()


@pytest.mark.parametrize(("frm", "to"), [(C, X), (S, X), (S, C), (X, C), (E, S)])
def test_set_aside_and_steps_back_need_a_reason_even_for_the_administrator(
    frm, to, idea_factory, personas
):
    idea = idea_factory(status=frm)
    with pytest.raises(TransitionRefused, match="需要填写理由"):
        suggestion_transition(
            suggestion=idea, to_status=to, actor=Actor.of(personas["admin"]), reason="  "
        )


def test_an_inactive_account_can_do_nothing(idea_factory, personas):
    admin = personas["admin"]
    admin.is_active = False
    admin.save()
    idea = idea_factory()
    with pytest.raises(TransitionRefused):
        suggestion_transition(suggestion=idea, to_status=S, actor=Actor.of(admin))
