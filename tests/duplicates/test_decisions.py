"""Screeners confirm, split and merge groups, within their own units; history is kept."""

import pytest

from suggestions.duplicates.decisions import (
    DuplicateDecisionRefused,
    duplicate_group_confirm,
    duplicate_group_split,
    duplicates_merge,
)
from suggestions.duplicates.rebuild import campaign_rebuild_duplicates
from suggestions.duplicates.selectors import (
    duplicate_group_ids,
    duplicate_group_members,
    duplicate_groups_per_unit,
)
from suggestions.duplicates.services import suggestions_check_unchecked
from suggestions.models import DuplicateAction, DuplicateDecision, Suggestion

PARK = "建议在老城区增加口袋公园和健身步道，方便居民就近锻炼，每个街道至少建设两处。"
PARK_2 = "建议在老城区增加口袋公园和健身跑道，方便居民就近锻炼，每个街道至少建两处。"
PARK_3 = "您好！建议在老城区增加口袋公园和健身步道，方便居民就近锻炼。每个街道至少建设两处。"
PARKING = "建议在医院周边建设立体停车场，缓解看病停车难，同时规范路边临时停车泊位。"


def rep(idea):
    return Suggestion.objects.values_list("duplicate_of_id", flat=True).get(pk=idea.pk)


@pytest.fixture
def group(make_idea):
    """A park group spread over two units, and an unrelated parking idea in 城区."""
    ideas = {
        "park": make_idea(PARK, unit="城区"),
        "park2": make_idea(PARK_2, unit="城区"),
        "park3": make_idea(PARK_3, unit="泽州县"),
        "parking": make_idea(PARKING, unit="城区"),
    }
    suggestions_check_unchecked()
    for key, idea in ideas.items():
        ideas[key] = Suggestion.objects.get(pk=idea.pk)
    assert {rep(ideas[k]) for k in ("park", "park2", "park3")} == {ideas["park"].pk}
    return ideas


def test_a_screener_confirms_a_group_and_it_is_recorded(group, personas):
    user = personas["screener_chengqu"]
    decision = duplicate_group_confirm(suggestion=group["park2"], user=user)
    assert decision.action == DuplicateAction.CONFIRM
    assert decision.actor == user and decision.to_representative_id == group["park"].pk
    assert rep(group["park2"]) == group["park"].pk


def test_splitting_a_member_makes_it_its_own_group(group, personas):
    duplicate_group_split(suggestion=group["park2"], user=personas["screener_chengqu"])

    assert rep(group["park2"]) == group["park2"].pk
    assert rep(group["park3"]) == group["park"].pk
    decision = DuplicateDecision.objects.get()
    assert (decision.action, decision.from_representative_id) == ("split", group["park"].pk)


def test_splitting_a_representative_hands_the_group_to_its_earliest_member(group, personas):
    duplicate_group_split(suggestion=group["park"], user=personas["admin"])

    assert rep(group["park"]) == group["park"].pk
    assert rep(group["park2"]) == rep(group["park3"]) == group["park2"].pk
    assert Suggestion.objects.get(pk=group["park2"].pk).duplicate_similarity is None


def test_a_screener_cannot_split_another_units_idea(group, personas):
    with pytest.raises(DuplicateDecisionRefused):
        duplicate_group_split(suggestion=group["park3"], user=personas["screener_chengqu"])
    # Splitting the representative would move 泽州县's member too.
    with pytest.raises(DuplicateDecisionRefused):
        duplicate_group_split(suggestion=group["park"], user=personas["screener_chengqu"])
    with pytest.raises(DuplicateDecisionRefused):
        duplicate_group_confirm(suggestion=group["park"], user=personas["screener_zezhou"])
    assert rep(group["park3"]) == group["park"].pk
    assert not DuplicateDecision.objects.exists()


def test_leaders_and_reviewers_cannot_regroup(group, personas):
    for who in ("leader", "reviewer"):
        with pytest.raises(DuplicateDecisionRefused):
            duplicate_group_split(suggestion=group["park2"], user=personas[who])


def test_merging_puts_an_idea_into_another_units_group_without_touching_it(group, personas):
    # 泽州县's screener merges their own idea into 城区's parking group.
    duplicate_group_split(suggestion=group["park3"], user=personas["screener_zezhou"])
    duplicates_merge(
        suggestions=[group["park3"]], into=group["parking"], user=personas["screener_zezhou"]
    )
    assert rep(group["park3"]) == group["parking"].pk
    assert rep(group["parking"]) == group["parking"].pk
    merge = DuplicateDecision.objects.get(action=DuplicateAction.MERGE)
    assert merge.to_representative_id == group["parking"].pk
    assert Suggestion.objects.get(pk=group["park3"].pk).duplicate_similarity < 0.6


def test_merging_a_representative_brings_its_members_and_needs_all_their_units(group, personas):
    with pytest.raises(DuplicateDecisionRefused):
        duplicates_merge(
            suggestions=[group["park"]], into=group["parking"], user=personas["screener_chengqu"]
        )
    duplicates_merge(suggestions=[group["park"]], into=group["parking"], user=personas["admin"])
    assert {rep(group[k]) for k in group} == {group["parking"].pk}


def test_a_rebuild_replays_the_screeners_decisions(group, personas, campaign):
    duplicate_group_split(suggestion=group["park2"], user=personas["screener_chengqu"])
    duplicates_merge(
        suggestions=[group["parking"]], into=group["park3"], user=personas["screener_chengqu"]
    )
    before = {k: rep(v) for k, v in group.items()}

    result = campaign_rebuild_duplicates(campaign=campaign)

    assert result.decisions_replayed == 2
    assert {k: rep(v) for k, v in group.items()} == before


def test_history_cannot_be_rewritten(group, personas):
    decision = duplicate_group_confirm(suggestion=group["park"], user=personas["admin"])
    with pytest.raises(PermissionError):
        decision.save()
    with pytest.raises(PermissionError):
        DuplicateDecision.objects.all().delete()


def test_group_members_lists_the_other_ideas_of_the_group(group):
    members = list(duplicate_group_members(group["park2"]))
    assert members == [group["park"], group["park3"]]


def test_expanding_a_representative_for_the_bulk_workflow_stays_in_the_users_units(group, personas):
    ids = [group["park"].pk]
    assert duplicate_group_ids(representative_ids=ids, user=personas["screener_chengqu"]) == [
        group["park"].pk,
        group["park2"].pk,
    ]
    assert duplicate_group_ids(representative_ids=ids, user=personas["screener_zezhou"]) == [
        group["park3"].pk
    ]
    assert len(duplicate_group_ids(representative_ids=ids, user=personas["reviewer"])) == 3


def test_groups_per_unit_counts_each_group_once_per_unit(group, campaign, units, make_idea):
    make_idea("一条还没有查重的金点子，关于夜市。", unit="城区")
    counts = duplicate_groups_per_unit(campaign=campaign)
    assert counts[units["城区"].pk] == 3  # park group, parking, the unchecked one
    assert counts[units["泽州县"].pk] == 1
