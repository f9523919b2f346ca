"""采纳率, 落实率 and overdue per unit: the aggregation module agrees with count(*)."""

import random
from datetime import timedelta

from django.db.models import Q
from django.urls import reverse

from suggestions.models import ADOPTED_STATES, Implementation, ImplementationStatus, Status
from suggestions.tallies.aggregation import UnitTree, implementation_figures
from tests.factories import SuggestionFactory
from tests.implementation.conftest import ASSIGNED_STATES, today

St = ImplementationStatus
LATE = (St.ASSIGNED, St.IN_PROGRESS)


def _random_world(campaign, units, seed=7):
    rnd = random.Random(seed)
    names = ["北石店镇", "东街街道", "巴公镇", "城区", "泽州县", "市文化和旅游局"]
    for _ in range(60):
        idea = SuggestionFactory(
            campaign=campaign, unit=units[rnd.choice(names)], status=Status.EXCELLENT
        )
        state = rnd.choice([None, *St.values])
        if state is None:
            continue  # excellent, no record yet: counts as not adopted (yet)
        extra = {}
        if state in ASSIGNED_STATES:
            extra = {
                "lead_unit": units[rnd.choice(names)],
                "due_date": today() + timedelta(days=rnd.choice([-5, -1, 0, 3])),
            }
        Implementation.objects.create(suggestion=idea, campaign=campaign, status=state, **extra)
    # Not excellent any more: never counted.
    withdrawn = SuggestionFactory(campaign=campaign, unit=units["城区"], status=Status.SHORTLISTED)
    Implementation.objects.create(suggestion=withdrawn, campaign=campaign, status=St.ADOPTED)


def test_figures_equal_count_star_for_every_unit(campaign, units):
    _random_world(campaign, units)
    tree = UnitTree.load()
    figures = implementation_figures(campaign=campaign, tree=tree)
    root = tree.root_id()
    for name in ["晋城市", "城区", "泽州县", "北石店镇", "市文化和旅游局", "高平市"]:
        unit = units[name]
        got = figures.get(unit.pk)
        ideas = Q(
            suggestion__campaign=campaign,
            suggestion__status=Status.EXCELLENT,
        )
        mine = Implementation.objects.filter(ideas, suggestion__unit__path__startswith=unit.path)
        led = Implementation.objects.filter(ideas, lead_unit__path__startswith=unit.path)
        excellent = campaign.suggestions.filter(
            status=Status.EXCELLENT, unit__path__startswith=unit.path
        ).count()
        expected = {
            "excellent": excellent,
            "adopted": mine.filter(status__in=ADOPTED_STATES).count(),
            "reference": mine.filter(status=St.REFERENCE).count(),
            "not_adopted": mine.filter(status=St.NOT_ADOPTED).count(),
            "assigned": led.filter(status__in=ASSIGNED_STATES).count(),
            "in_progress": led.filter(status=St.IN_PROGRESS).count(),
            "completed": led.filter(status=St.COMPLETED).count(),
            "confirmed": led.filter(status=St.CONFIRMED).count(),
            "overdue": led.filter(status__in=LATE, due_date__lt=today()).count(),
        }
        actual = {key: getattr(got, key) if got else 0 for key in expected}
        assert actual == expected, name
    city = figures[root]
    assert city.excellent == campaign.suggestions.filter(status=Status.EXCELLENT).count()
    assert city.adoption_rate == city.adopted / city.excellent
    assert city.completion_rate == city.confirmed / city.assigned


def test_figures_for_some_units_equal_those_of_the_whole_roll_up(campaign, units):
    """The dashboard rolls up into its page's units only: same figures for those units,
    none for the others."""
    _random_world(campaign, units, seed=11)
    tree = UnitTree.load()
    everything = implementation_figures(campaign=campaign, tree=tree)
    rnd = random.Random(3)
    for _ in range(20):
        some = set(rnd.sample(sorted(tree.units), rnd.randint(1, 12)))
        partial = implementation_figures(campaign=campaign, tree=tree, unit_ids=some)
        assert set(partial) <= some
        for uid in some:
            assert partial.get(uid) == everything.get(uid), tree.units[uid]["name"]


def test_the_dashboard_shows_the_citys_figures(client, personas, campaign, units):
    _random_world(campaign, units)
    client.force_login(personas["leader"])
    html = client.get(reverse("tallies:dashboard")).content.decode()
    city = implementation_figures(campaign=campaign)[UnitTree.load().root_id()]

    def figure(name):
        marker = f'data-figure="{name}">'
        start = html.index(marker) + len(marker)
        return html[start : html.index("<", start)]

    assert figure("impl-excellent") == f"{city.excellent:,}"
    assert figure("impl-adopted") == f"{city.adopted:,}"
    assert figure("impl-overdue") == f"{city.overdue:,}"
    assert figure("impl-adoption-rate") == f"{100 * city.adopted / city.excellent:.1f}%"
    assert 'id="implementation-table"' in html
