"""Merge proposals: the full rebuild makes the ones the per-idea check makes.

An idea that joins a group by shared text and also matches ideas of other groups proposes
those groups to the screeners (at most MAX_PROPOSALS, best first). The per-idea check
(services._check_one, MemoryIndex without a database) and the rebuild (group_texts,
campaign_rebuild_duplicates) must give the same proposals for ideas in id order.
"""

import random
from collections import Counter

import pytest
from django.core.management import call_command

from suggestions.duplicates.algorithm import (
    MAX_PROPOSALS,
    DuplicateConfig,
    MemoryIndex,
    group_texts,
)
from suggestions.duplicates.decisions import merge_proposal_accept, merge_proposal_reject
from suggestions.duplicates.rebuild import campaign_rebuild_duplicates
from suggestions.duplicates.services import (
    suggestion_check_duplicates,
    suggestions_check_unchecked,
)
from suggestions.models import DuplicateMergeProposal, MergeProposalStatus, Suggestion
from tests.duplicates.evalset_hard import LETTER_CLOSE, LETTER_OPEN, build_hard_set

PARK = "建议在老城区增加口袋公园和健身步道，方便居民就近锻炼，每个街道至少建设两处。"
PARKING = "建议在医院周边建设立体停车场，缓解看病停车难，同时规范路边临时停车泊位。"
SCHOOL = "建议在各个小学门口设置上下学接送临时停车区，安排交警和志愿者疏导交通。"
MARKET = "希望把农贸市场的露天摊位全部搬进室内，地面硬化并且每天冲洗，夏天加装排风。"
BUS = "恳请公交公司开通夜间公交线路，末班车延长到晚上十一点，方便下晚班的职工回家。"


def bridged_texts(seed, bases=None, bridges=24):
    """The second labelled set (or its first ``bases`` base ideas with their variants),
    plus letters that each hold 2 to 5 of its original ideas, shuffled: the list order
    is the id order. Letters resemble several groups; places, contrast terms and asks
    keep some of those groups apart."""
    rng = random.Random(seed)
    items = build_hard_set()
    if bases is not None:
        originals = [i for i, item in enumerate(items) if item["kind"] == "original"]
        items = items[: originals[bases]]
    originals = [item["text"] for item in items if item["kind"] == "original"]
    texts = [item["text"] for item in items]
    for number in range(bridges):
        held = rng.sample(originals, 2 + number % 4)
        texts.append(LETTER_OPEN[number % 3] + "".join(held) + LETTER_CLOSE[number % 3])
    rng.shuffle(texts)
    return texts


def checked_one_by_one(texts, config):
    index = MemoryIndex(config)
    for text in texts:
        index.add(text)
    return index


def rebuilt(texts, config):
    grouping = group_texts(texts, config)
    return grouping, [
        (via, first, second, score)
        for (via, first, second), score in zip(
            grouping.proposals.tolist(), grouping.proposal_scores.tolist(), strict=True
        )
    ]


# --- without a database -------------------------------------------------------------------


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_rebuild_proposes_what_the_per_idea_check_proposes(seed):
    texts = bridged_texts(seed)
    config = DuplicateConfig()

    index = checked_one_by_one(texts, config)
    grouping, proposals = rebuilt(texts, config)

    assert grouping.representative.tolist() == index.representative
    assert proposals == index.proposals  # the same ideas, groups, scores and order
    per_idea = Counter(via for via, *_rest in proposals)
    assert len(proposals) > 40
    assert max(per_idea.values()) == MAX_PROPOSALS
    for via, first, second, score in proposals:
        match = index.matches[via]
        assert match is not None and not match.exact and not match.semantic
        assert first == index.representative[via] != second
        assert index.representative[second] == second  # a representative
        assert 0 < score <= 1


def test_a_letter_holding_five_ideas_proposes_the_three_best_other_groups():
    market_edited = MARKET.replace("夏天加装排风", "夏天装上风扇")  # matches less well
    letter = "各位领导好！" + PARK + PARKING + SCHOOL + market_edited + BUS + "谢谢！"
    texts = [PARK, PARKING, SCHOOL, MARKET, BUS, letter, "我想说几件事。" + letter]
    config = DuplicateConfig()

    index = checked_one_by_one(texts, config)
    grouping, proposals = rebuilt(texts, config)

    assert proposals == index.proposals
    assert grouping.representative.tolist() == [0, 1, 2, 3, 4, 0, 0]
    # The letter joins the park group (ties: the earliest) and matches four other groups,
    # the market one less well than the rest: the best three are proposed, best first
    # (ties: the earliest candidate).
    assert [row[:3] for row in proposals[:3]] == [(5, 0, 1), (5, 0, 2), (5, 0, 4)]
    assert [row[3] for row in proposals[:3]] == [1.0, 1.0, 1.0]
    # The letter sent again with one sentence more joins the letter's group and proposes
    # the same three groups.
    assert [row[:3] for row in proposals[3:]] == [(6, 0, 1), (6, 0, 2), (6, 0, 4)]


def test_exact_repeats_and_lone_ideas_propose_nothing():
    letter = PARK + PARKING
    grouping, proposals = rebuilt([PARK, PARKING, letter, letter, SCHOOL], DuplicateConfig())
    assert grouping.representative.tolist() == [0, 1, 0, 0, 4]
    assert [row[:3] for row in proposals] == [(2, 0, 1)]


def test_a_group_whose_representative_names_another_place_is_not_proposed():
    park_here = "阳城县" + PARK
    # Joins the 阳城县 group: no place of its own, so no conflict.
    park_copy = PARK[:-3] + "一处。"
    letter = "高平市" + PARK + PARKING  # 高平市 conflicts with the park group's 阳城县
    texts = [PARKING, park_here, park_copy, letter]
    config = DuplicateConfig()

    index = checked_one_by_one(texts, config)
    grouping, proposals = rebuilt(texts, config)

    assert grouping.representative.tolist() == index.representative == [0, 1, 1, 0]
    assert proposals == index.proposals == []


# --- through the database -----------------------------------------------------------------


def _proposals():
    return sorted(
        DuplicateMergeProposal.objects.values_list(
            "via_id", "first_id", "second_id", "similarity", "status"
        )
    )


def test_the_rebuild_makes_the_proposals_the_per_idea_check_made(make_idea, campaign):
    texts = bridged_texts(seed=5, bases=12, bridges=12)
    ideas = [make_idea(text) for text in texts]
    order = list(range(len(ideas)))
    random.Random(4).shuffle(order)  # tasks do not run in submission order
    for i in order:
        suggestion_check_duplicates(suggestion_id=ideas[i].pk)
    checked = _proposals()
    pks = sorted(DuplicateMergeProposal.objects.values_list("pk", flat=True))
    ids = [idea.pk for idea in ideas]
    _grouping, expected = rebuilt(texts, DuplicateConfig())
    assert len(checked) >= 10
    assert checked == sorted(
        (ids[via], ids[first], ids[second], round(score, 4), MergeProposalStatus.PENDING)
        for via, first, second, score in expected
    )

    result = campaign_rebuild_duplicates(campaign=campaign)

    assert result.merge_proposals == len(checked)
    assert _proposals() == checked
    # The same proposals again: the rows are kept, not rewritten.
    assert sorted(DuplicateMergeProposal.objects.values_list("pk", flat=True)) == pks

    DuplicateMergeProposal.objects.all().delete()
    campaign_rebuild_duplicates(campaign=campaign)
    assert _proposals() == checked


def _bridge(make_idea):
    park, parking = make_idea(PARK), make_idea(PARKING)
    letter = make_idea(PARK + PARKING)
    suggestions_check_unchecked()
    return park, parking, letter


def test_a_rebuild_replaces_stale_pending_proposals(make_idea, campaign):
    park, parking, letter = _bridge(make_idea)
    made = DuplicateMergeProposal.objects.get()
    assert (made.via_id, made.first_id, made.second_id) == (letter.pk, park.pk, parking.pk)
    right = made.similarity
    # Stale: a proposal the rule no longer makes, and one with an outdated similarity.
    stale = DuplicateMergeProposal.objects.create(
        campaign=campaign, via=parking, first=parking, second=park, similarity=0.7
    )
    DuplicateMergeProposal.objects.filter(pk=made.pk).update(similarity=0.65)

    result = campaign_rebuild_duplicates(campaign=campaign)

    assert result.merge_proposals == 1
    assert not DuplicateMergeProposal.objects.filter(pk__in=[stale.pk, made.pk]).exists()
    assert _proposals() == [(letter.pk, park.pk, parking.pk, right, MergeProposalStatus.PENDING)]


def test_a_rebuild_never_proposes_again_what_a_screener_rejected(make_idea, campaign, personas):
    park, parking, letter = _bridge(make_idea)
    proposal = DuplicateMergeProposal.objects.get()
    merge_proposal_reject(proposal=proposal, user=personas["screener_chengqu"])
    # Another idea resembling both groups, and a rejected proposal of the same pair the
    # other way round (another idea, the groups in the other order).
    other = make_idea("尊敬的领导：" + PARKING + PARK)
    suggestion_check_duplicates(suggestion_id=other.pk)
    DuplicateMergeProposal.objects.filter(via=other).delete()
    DuplicateMergeProposal.objects.create(
        campaign=campaign,
        via=other,
        first=parking,
        second=park,
        similarity=0.9,
        status=MergeProposalStatus.REJECTED,
    )
    before = _proposals()

    result = campaign_rebuild_duplicates(campaign=campaign)

    assert result.merge_proposals == 0
    assert _proposals() == before
    assert not DuplicateMergeProposal.objects.filter(status=MergeProposalStatus.PENDING).exists()
    proposal.refresh_from_db()
    assert proposal.decided_by == personas["screener_chengqu"]
    assert Suggestion.objects.get(pk=parking.pk).duplicate_of_id == parking.pk


def test_the_per_idea_check_never_proposes_again_what_a_screener_rejected(make_idea, personas):
    park, parking, letter = _bridge(make_idea)
    merge_proposal_reject(
        proposal=DuplicateMergeProposal.objects.get(), user=personas["screener_chengqu"]
    )
    other = make_idea("尊敬的领导：" + PARKING + PARK)

    suggestion_check_duplicates(suggestion_id=other.pk)

    assert Suggestion.objects.get(pk=other.pk).duplicate_of_id in (park.pk, parking.pk)
    assert not DuplicateMergeProposal.objects.filter(via=other).exists()
    assert not DuplicateMergeProposal.objects.filter(status=MergeProposalStatus.PENDING).exists()


def test_an_accepted_proposal_stays_and_its_merge_is_replayed(make_idea, campaign, personas):
    park, parking, letter = _bridge(make_idea)
    proposal = DuplicateMergeProposal.objects.get()
    merge_proposal_accept(proposal=proposal, user=personas["screener_chengqu"])
    assert Suggestion.objects.get(pk=parking.pk).duplicate_of_id == park.pk
    before = _proposals()

    result = campaign_rebuild_duplicates(campaign=campaign)

    assert result.merge_proposals == 0
    assert _proposals() == before
    assert before[0][-1] == MergeProposalStatus.ACCEPTED
    assert Suggestion.objects.get(pk=parking.pk).duplicate_of_id == park.pk


def test_a_rebuild_keeps_the_proposals_of_other_campaigns(make_idea, campaign, other_campaign):
    make_idea(PARK, target=other_campaign)
    make_idea(PARKING, target=other_campaign)
    make_idea(PARK + PARKING, target=other_campaign)
    make_idea(SCHOOL)
    suggestions_check_unchecked()
    theirs = _proposals()
    assert len(theirs) == 1

    campaign_rebuild_duplicates(campaign=campaign)

    assert _proposals() == theirs


def test_the_find_duplicates_command_reports_the_proposals(make_idea, campaign, capsys):
    _bridge(make_idea)
    DuplicateMergeProposal.objects.all().delete()

    call_command("find_duplicates", "--campaign", campaign.slug)

    out = capsys.readouterr().out
    assert "merge proposals written (1 pending, 0 stale ones removed)" in out
    assert "1 merge proposals pending;" in out
    assert DuplicateMergeProposal.objects.count() == 1
