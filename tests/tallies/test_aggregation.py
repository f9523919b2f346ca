import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from suggestions.models import (
    Campaign,
    Channel,
    Dimension,
    IdentityType,
    Status,
    Suggestion,
    Tally,
    TallyRun,
)
from suggestions.tallies.aggregation import campaign_totals, tallies_live, tally_run
from suggestions.tallies.tasks import tally_campaign
from tests.tallies.conftest import make_ideas, move

S, E, X = Status.SHORTLISTED, Status.EXCELLENT, Status.SET_ASIDE


def _row(campaign, unit, dimension=Dimension.ALL, key=""):
    run = TallyRun.objects.filter(campaign=campaign).latest("cutoff")
    return Tally.objects.get(
        campaign=campaign, unit=unit, day=run.day, dimension=dimension, key=key
    )


@pytest.fixture
def scenario(units, campaign, personas, settled):
    """Hand-computed: 东街街道 (a town of 城区) 4 ideas, 城区 itself 2, 泽州县's town 1,
    a department 3; then 2 shortlisted in 东街, 1 of them excellent, 1 department idea set aside."""
    admin = personas["admin"]
    town = units["东街街道"]
    dongjie = make_ideas(campaign, town, 3) + make_ideas(
        campaign, town, 1, channel=Channel.MINI_PROGRAM, identity=IdentityType.EXPERT
    )
    make_ideas(campaign, units["城区"], 2, channel=Channel.PAPER)
    zezhou_town = units["泽州县"].children.first()
    make_ideas(campaign, zezhou_town, 1)
    dept = make_ideas(campaign, units["市文化和旅游局"], 3)
    move(dongjie[:2], S, admin)
    move(dongjie[:1], E, admin)
    move(dept[:1], X, admin)
    return {"zezhou_town": zezhou_town}


def test_a_tally_counts_states_and_rolls_up_through_the_hierarchy(units, campaign, scenario):
    result = tally_run(campaign_id=campaign.pk)
    assert result.written

    town = _row(campaign, units["东街街道"])
    assert (town.total, town.collected, town.shortlisted, town.excellent, town.set_aside) == (
        4,
        2,
        1,
        1,
        0,
    )
    chengqu = _row(campaign, units["城区"])
    assert (chengqu.total, chengqu.collected, chengqu.shortlisted, chengqu.excellent) == (
        6,
        4,
        1,
        1,
    )
    zezhou = _row(campaign, units["泽州县"])
    assert (zezhou.total, zezhou.collected) == (1, 1)
    city = _row(campaign, units["晋城市"])
    assert (city.total, city.collected, city.shortlisted, city.excellent, city.set_aside) == (
        10,
        7,
        1,
        1,
        1,
    )
    # Today's transitions: received counts as the day's collected, history gives the rest.
    assert (city.day_received, city.day_shortlisted, city.day_excellent, city.day_set_aside) == (
        10,
        2,
        1,
        1,
    )
    # Breakdowns.
    assert _row(campaign, units["城区"], Dimension.CHANNEL, Channel.PAPER).total == 2
    assert _row(campaign, units["晋城市"], Dimension.CHANNEL, Channel.MINI_PROGRAM).total == 1
    expert = _row(campaign, units["城区"], Dimension.IDENTITY, IdentityType.EXPERT)
    assert (expert.total, expert.collected) == (1, 1)
    # No duplicate check has run: every idea is its own group.
    assert city.groups == 10 and chengqu.groups == 6


def test_duplicate_groups_are_counted_once_per_unit_and_across_sub_units(units, campaign, settled):
    a, b = make_ideas(campaign, units["东街街道"], 2)
    (c,) = make_ideas(campaign, units["西街街道"], 1)
    Suggestion.objects.filter(pk__in=[b.pk, c.pk]).update(duplicate_of=a)
    Suggestion.objects.filter(pk=a.pk).update(duplicate_of=a)
    tally_run(campaign_id=campaign.pk)
    assert _row(campaign, units["东街街道"]).groups == 1
    assert _row(campaign, units["西街街道"]).groups == 1
    # One group spanning two streets is one group for 城区, not two.
    assert _row(campaign, units["城区"]).groups == 1


def _snapshot(campaign):
    return sorted(
        Tally.objects.filter(campaign=campaign).values_list(
            "unit_id",
            "day",
            "dimension",
            "key",
            "total",
            "collected",
            "shortlisted",
            "excellent",
            "set_aside",
            "groups",
            "day_received",
            "day_shortlisted",
            "day_excellent",
            "day_set_aside",
        )
    )


def test_running_the_tally_twice_gives_the_same_rows(units, campaign, scenario):
    tally_run(campaign_id=campaign.pk)
    first = _snapshot(campaign)
    tally_run(campaign_id=campaign.pk)
    assert _snapshot(campaign) == first
    assert len(first) > 20


@pytest.mark.django_db(transaction=True)
def test_two_tallies_running_at_once_give_the_same_rows(units, campaign, scenario):
    tally_run(campaign_id=campaign.pk)
    expected = _snapshot(campaign)
    errors = []

    def run():
        try:
            tally_run(campaign_id=campaign.pk)
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert _snapshot(campaign) == expected


@pytest.mark.django_db(transaction=True)
def test_a_redelivered_tally_task_finds_its_run_instead_of_computing_a_second(
    units, campaign, scenario
):
    """A worker killed after its COMMIT, before it acknowledged the message.

    The broker then delivers the same message again: same task id, same arguments.
    apply() runs exactly that in this process, each delivery in its own committed
    transaction, on whichever database the suite runs (SQLite or PostgreSQL)."""
    runs = TallyRun.objects.filter(campaign=campaign)
    delivery = {"args": [campaign.pk], "task_id": "9b3f27ae-redelivered"}

    first = tally_campaign.apply(**delivery)
    stored = _snapshot(campaign)
    # A change between the two deliveries: a recomputing redo would count it.
    idea = Suggestion.objects.filter(campaign=campaign, status=Status.COLLECTED).first()
    Suggestion.objects.filter(pk=idea.pk).update(status=Status.EXCELLENT)
    redo = tally_campaign.apply(**delivery)

    assert first.successful() and redo.successful()
    assert redo.result == first.result
    assert runs.count() == 1
    assert runs.get().run_key == "9b3f27ae-redelivered"
    # The redo returned what the first delivery stored: nothing recomputed, nothing written.
    assert _snapshot(campaign) == stored

    # Equal to a clean run of the same data, from nothing (no key: a run of its own).
    Suggestion.objects.filter(pk=idea.pk).update(status=Status.COLLECTED)
    Tally.objects.filter(campaign=campaign).delete()
    runs.delete()
    clean = tally_run(campaign_id=campaign.pk)
    assert clean.written and clean.run.run_key not in ("", "9b3f27ae-redelivered")
    assert _snapshot(campaign) == stored
    assert len(stored) > 20


def test_a_run_key_is_one_run_per_campaign_and_calls_without_one_are_runs_of_their_own(
    units, campaign, scenario
):
    now = timezone.now()
    other = Campaign.objects.create(
        name="另一次征集", slug="other", receipt_prefix="OT2022", opens_at=now,
        closes_at=now + timedelta(days=30),
    )  # fmt: skip
    # tally_active_campaigns gives the tallies of one beat run the same key: one per campaign.
    for campaign_id in (campaign.pk, other.pk, campaign.pk):
        tally_run(campaign_id=campaign_id, run_key="beat-1")
    assert TallyRun.objects.filter(run_key="beat-1").count() == 2
    # The tally command passes no key: a new run each time.
    tally_run(campaign_id=campaign.pk)
    tally_run(campaign_id=campaign.pk)
    assert TallyRun.objects.filter(campaign=campaign).count() == 3


def test_a_run_killed_while_writing_leaves_the_previous_snapshot_intact(
    units, campaign, scenario, personas, monkeypatch
):
    tally_run(campaign_id=campaign.pk)
    before = _snapshot(campaign)
    make_ideas(campaign, units["东街街道"], 5)

    def killed(*args, **kwargs):
        raise SystemExit("worker killed")

    monkeypatch.setattr(TallyRun.objects, "create", killed)
    with pytest.raises(SystemExit):
        tally_run(campaign_id=campaign.pk, now=timezone.now() + timedelta(seconds=5))
    assert _snapshot(campaign) == before
    assert TallyRun.objects.count() == 1


def test_live_figures_are_the_snapshot_plus_the_change_since(units, campaign, scenario, personas):
    tally_run(campaign_id=campaign.pk)
    admin = personas["admin"]
    new = make_ideas(
        campaign, units["西街街道"], 3, received_at=timezone.now() + timedelta(seconds=1)
    )
    move(new[:1], S, admin)
    first = Suggestion.objects.filter(unit=units["东街街道"], status=E).first()
    move([first], S, admin, reason="撤销")

    live = tallies_live(campaign=campaign)
    chengqu = live.unit(units["城区"].pk)
    assert (chengqu.total, chengqu.collected, chengqu.shortlisted, chengqu.excellent) == (
        9,
        6,
        3,
        0,
    )
    totals = campaign_totals(campaign=campaign)
    for status in (Status.COLLECTED, S, E, X):
        assert getattr(totals, status.value) == Suggestion.objects.filter(status=status).count()
    assert totals.total == Suggestion.objects.count()


def test_without_any_tally_the_figures_are_computed_live(units, campaign, scenario):
    totals = campaign_totals(campaign=campaign)
    assert (totals.total, totals.excellent, totals.set_aside) == (10, 1, 1)


def test_a_tally_ignores_changes_after_its_cutoff_and_readers_add_them(
    units, campaign, personas, settings
):
    settings.TALLY_SETTLE_SECONDS = 60
    ideas = make_ideas(
        campaign, units["东街街道"], 2, received_at=timezone.now() - timedelta(hours=1)
    )
    move(ideas[:1], S, personas["admin"])  # decided just now: after the cutoff
    make_ideas(campaign, units["东街街道"], 1, received_at=timezone.now())  # also after it
    tally_run(campaign_id=campaign.pk)
    row = _row(campaign, units["东街街道"])
    assert (row.total, row.collected, row.shortlisted) == (2, 2, 0)
    live = tallies_live(campaign=campaign).unit(units["东街街道"].pk)
    assert (live.total, live.collected, live.shortlisted) == (3, 2, 1)


def test_a_figure_that_no_longer_exists_is_zeroed_by_the_next_run(units, campaign, settled):
    from suggestions.models import Topic

    (idea,) = make_ideas(campaign, units["东街街道"], 1)
    old_topic, new_topic = Topic.objects.order_by("sort_order")[:2]
    tally_run(campaign_id=campaign.pk)
    assert _row(campaign, units["城区"], Dimension.TOPIC, str(old_topic.pk)).total == 1
    Suggestion.objects.filter(pk=idea.pk).update(topic=new_topic)  # re-filed by staff
    tally_run(campaign_id=campaign.pk, now=timezone.now() + timedelta(seconds=1))
    assert _row(campaign, units["城区"], Dimension.TOPIC, str(old_topic.pk)).total == 0
    assert _row(campaign, units["城区"], Dimension.TOPIC, str(new_topic.pk)).total == 1
