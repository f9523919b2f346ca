"""The third labelled set (evalset_topics.py): different ideas on one topic stay apart, and
the re-wordings in it really are written in other words (no database needed)."""

from collections import Counter
from math import comb

import pytest

from suggestions.duplicates.algorithm import DuplicateConfig, group_texts
from suggestions.duplicates.semantic import comparable_sentences
from tests.duplicates.evalset_topics import build_topic_set, score_topics
from tests.duplicates.test_accuracy import simulate_incremental


@pytest.fixture(scope="module")
def labelled():
    return build_topic_set()


def _bigrams(text):
    compact = comparable_sentences(text).replace("。", "")
    return {compact[i : i + 2] for i in range(len(compact) - 1)}


def test_each_topic_holds_several_different_proposals_each_re_worded(labelled):
    per_topic = Counter(item["topic"] for item in labelled if item["kind"] == "original")
    assert len(per_topic) >= 10 and min(per_topic.values()) >= 6
    originals = {item["group"]: item for item in labelled if item["kind"] == "original"}
    reworded = [item for item in labelled if item["kind"] == "reworded"]
    assert {item["group"] for item in reworded} == set(originals)
    for item in reworded:
        assert labelled[item["base"]] is originals[item["group"]]
        # Written in other words: most of the original's 2-grams are gone.
        own, other = _bigrams(originals[item["group"]]["text"]), _bigrams(item["text"])
        assert len(own & other) < 0.5 * min(len(own), len(other)), item["text"]


def test_the_scoring_counts_pairs_of_one_proposal_and_of_different_ones(labelled):
    by_proposal = score_topics(labelled, [item["group"] for item in labelled])
    assert by_proposal == {
        "precision": 1.0,
        "predicted_pairs": len(labelled) // 2,
        "wrong_pairs": 0,
        "reworded": 1.0,
    }
    one_group = score_topics(labelled, [0] * len(labelled))
    assert one_group["predicted_pairs"] == comb(len(labelled), 2)
    assert one_group["wrong_pairs"] == comb(len(labelled), 2) - len(labelled) // 2
    alone = score_topics(labelled, list(range(len(labelled))))
    assert alone["reworded"] == 0.0 and alone["predicted_pairs"] == 0


def test_the_lexical_stage_groups_no_two_different_proposals_on_a_topic(labelled):
    texts = [item["text"] for item in labelled]
    grouping = group_texts(texts, DuplicateConfig())
    scores = score_topics(labelled, grouping.representative.tolist())
    assert scores["wrong_pairs"] == 0
    assert simulate_incremental(texts, DuplicateConfig()) == grouping.representative.tolist()
