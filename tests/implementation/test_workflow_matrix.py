"""Every role × state × action of the implementation workflow, allowed and refused."""

from datetime import timedelta

import pytest

from suggestions.common.rules import Actor
from suggestions.implementation.workflow import (
    TRANSITIONS,
    Inputs,
    TransitionRefused,
    allowed_actions,
    implementation_act,
)
from suggestions.models import (
    Implementation,
    ImplementationAction,
    ImplementationChange,
    ImplementationStatus,
)
from tests.implementation.conftest import today

St, Act = ImplementationStatus, ImplementationAction
ROLES = ["screener_chengqu", "screener_zezhou", "reviewer", "leader", "admin"]
CITY = {"reviewer", "admin"}
# The idea comes from 巴公镇 (泽州县) and is assigned to 城区: 城区's screener is the
# lead unit's staff, 泽州县's screener is the idea's own unit's and may only read.
LEAD = {"screener_chengqu", "admin"}
ADMIN = {"admin"}

ALLOWED = {
    (Act.ADOPT, St.PENDING): CITY,
    (Act.REFERENCE, St.PENDING): CITY,
    (Act.NOT_ADOPT, St.PENDING): CITY,
    (Act.REOPEN, St.REFERENCE): ADMIN,
    (Act.REOPEN, St.NOT_ADOPTED): ADMIN,
    (Act.ASSIGN, St.ADOPTED): CITY,
    (Act.PROGRESS, St.ASSIGNED): LEAD,
    (Act.PROGRESS, St.IN_PROGRESS): LEAD,
    (Act.COMPLETE, St.ASSIGNED): LEAD,
    (Act.COMPLETE, St.IN_PROGRESS): LEAD,
    (Act.CONFIRM, St.COMPLETED): CITY,
    (Act.SEND_BACK, St.COMPLETED): CITY,
    **{(Act.REPLY, state): CITY for state in St.values if state != St.PENDING},
}
TARGET = {
    Act.ADOPT: St.ADOPTED,
    Act.REFERENCE: St.REFERENCE,
    Act.NOT_ADOPT: St.NOT_ADOPTED,
    Act.REOPEN: St.PENDING,
    Act.ASSIGN: St.ASSIGNED,
    Act.PROGRESS: St.IN_PROGRESS,
    Act.COMPLETE: St.COMPLETED,
    Act.CONFIRM: St.CONFIRMED,
    Act.SEND_BACK: St.IN_PROGRESS,
}
CASES = [(role, state, action) for role in ROLES for state in St.values for action in Act.values]


def test_the_table_and_the_matrix_name_the_same_steps():
    table = {(action, state) for action, step in TRANSITIONS.items() for state in step.sources}
    assert table == set(ALLOWED)


@pytest.mark.parametrize(("role", "state", "action"), CASES, ids=lambda v: str(v))
def test_role_state_action_matrix(role, state, action, impl_factory, personas, units):
    impl = impl_factory(status=state, percent=20)
    actor = Actor.of(personas[role])
    allowed = role in ALLOWED.get((action, state), set())
    inputs = Inputs(
        note="说明",
        percent=50,
        lead_unit=units["城区"],
        co_units=(units["市文化和旅游局"],),
        due_date=today() + timedelta(days=10),
    )

    assert (action in allowed_actions(actor, impl)) is allowed
    if allowed:
        change = implementation_act(implementation=impl, action=action, actor=actor, inputs=inputs)
        current = Implementation.objects.get(pk=impl.pk)
        assert current.status == TARGET.get(action, state)
        assert current.version == 1
        assert (change.from_status, change.to_status, change.actor, change.action) == (
            state,
            current.status,
            personas[role],
            action,
        )
        assert ImplementationChange.objects.filter(implementation=impl).count() == 1
    else:
        with pytest.raises(TransitionRefused):
            implementation_act(implementation=impl, action=action, actor=actor, inputs=inputs)
        current = Implementation.objects.get(pk=impl.pk)
        assert (current.status, current.version, current.percent) == (state, 0, 20)
        assert not ImplementationChange.objects.filter(implementation=impl).exists()
