"""Accuracy on the second labelled set (evalset_hard.py), per kind (no database needed)."""

import pytest

from suggestions.duplicates.algorithm import DuplicateConfig, MemoryIndex, group_texts
from tests.duplicates.evalset_hard import EDIT_KINDS, NEGATIVE_KINDS, build_hard_set
from tests.duplicates.scoring_hard import score_hard


@pytest.fixture(scope="module")
def labelled():
    return build_hard_set()


@pytest.fixture(scope="module")
def grouped(labelled):
    return group_texts([item["text"] for item in labelled], DuplicateConfig())


def test_the_set_holds_every_kind_it_promises(labelled):
    kinds = {item["kind"] for item in labelled}
    assert kinds >= {"original", "resend", "reworded", *EDIT_KINDS, *NEGATIVE_KINDS}
    assert len(labelled) >= 300


def test_precision_and_recall_per_kind_meet_the_targets(labelled, grouped):
    score = score_hard(labelled, grouped.representative.tolist())
    print(score)  # the per-kind figures, with -s
    assert score["precision"] >= 0.95, score
    assert score["recall"]["resend"] == 1.0, score
    assert score["recall_edits"] >= 0.80, score
    for kind in EDIT_KINDS:
        assert score["recall"][kind] >= 0.70, (kind, score)
    assert score["grouped"]["other_place"] <= 0.05, score
    assert score["grouped"]["contrast"] <= 0.10, score
    assert score["grouped"]["other_ask"] <= 0.10, score


def test_the_per_idea_check_groups_the_hard_set_as_the_rebuild_does(labelled, grouped):
    index = MemoryIndex(DuplicateConfig())
    for item in labelled:
        index.add(item["text"])
    assert index.representative == grouped.representative.tolist()
