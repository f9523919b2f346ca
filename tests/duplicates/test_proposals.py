"""Merge proposals: the full rebuild makes the ones the per-idea check makes.

An idea that joins a group by shared text and also matches ideas of other groups proposes
those groups to the screeners (at most MAX_PROPOSALS, best first). The per-idea check
(services._check_one, MemoryIndex without a database) and the rebuild (group_texts,
campaign_rebuild_duplicates) must give the same proposals for ideas in id order.
"""

import random
from collections import Counter

import pytest

from suggestions.duplicates.algorithm import (
    MAX_PROPOSALS,
    DuplicateConfig,
    MemoryIndex,
    group_texts,
)
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
