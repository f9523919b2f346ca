"""simulate_campaign adds a plausible adoption history; the figures agree with count(*)."""

import io

import pytest
from django.core.management import call_command
from django.db.models import Count

from suggestions.models import (
    Campaign,
    Implementation,
    ImplementationChange,
    ImplementationStatus,
    Status,
)
from suggestions.tallies.aggregation import UnitTree, implementation_figures
from tests.implementation.conftest import ASSIGNED_STATES, today

St = ImplementationStatus


@pytest.fixture
def simulated(units):
    call_command(
        "simulate_campaign", "--scale", "0.05", "--seed", "7", stdout=io.StringIO(),
        stderr=io.StringIO(),
    )  # fmt: skip
    return Campaign.objects.get(slug="jc2021")


def test_every_excellent_idea_has_a_record_and_an_unbroken_history(simulated):
    excellent = simulated.suggestions.filter(status=Status.EXCELLENT).count()
    assert excellent > 50
    assert Implementation.objects.filter(campaign=simulated).count() == excellent
    states = dict(Implementation.objects.values_list("status").annotate(n=Count("id")).order_by())
    adopted = sum(states.get(s, 0) for s in (St.ADOPTED, *ASSIGNED_STATES))
    assert 0.2 < adopted / excellent < 0.45
    assert states.get(St.CONFIRMED, 0) > 0 and states.get(St.IN_PROGRESS, 0) > 0
    for impl in Implementation.objects.all():
        current = St.PENDING
        chain = list(impl.history.order_by("at", "id").values_list("from_status", "to_status"))
        for frm, to in chain:
            assert frm == current
            current = to
        assert current == impl.status and impl.version == len(chain)


def test_the_simulated_figures_equal_count_star(simulated):
    tree = UnitTree.load()
    city = implementation_figures(campaign=simulated, tree=tree)[tree.root_id()]
    live = Implementation.objects.filter(campaign=simulated, suggestion__status=Status.EXCELLENT)
    assert city.excellent == simulated.suggestions.filter(status=Status.EXCELLENT).count()
    assert city.assigned == live.filter(status__in=ASSIGNED_STATES).count()
    assert city.confirmed == live.filter(status=St.CONFIRMED).count()
    overdue = live.filter(status__in=(St.ASSIGNED, St.IN_PROGRESS), due_date__lt=today()).count()
    assert city.overdue == overdue > 0
    assert ImplementationChange.objects.filter(public=True).count() > 0
