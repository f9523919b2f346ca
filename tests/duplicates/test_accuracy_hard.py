"""Accuracy on the second labelled set (evalset_hard.py), per kind (no database needed)."""

import pytest

from suggestions.duplicates.algorithm import (
    DuplicateConfig,
    MemoryIndex,
    group_texts,
    learn_boilerplate,
)
from tests.duplicates.evalset_hard import (
    EDIT_KINDS,
    NEGATIVE_KINDS,
    TEMPLATE_KINDS,
    build_hard_set,
)
from tests.duplicates.scoring_hard import score_hard


@pytest.fixture(scope="module")
def labelled():
    return build_hard_set()


@pytest.fixture(scope="module")
def grouped(labelled):
    return group_texts([item["text"] for item in labelled], DuplicateConfig())


def test_the_set_holds_every_kind_it_promises(labelled):
    kinds = {item["kind"] for item in labelled}
    promised = {"original", "resend", "reworded", *EDIT_KINDS, *NEGATIVE_KINDS}
    assert kinds >= promised - set(TEMPLATE_KINDS)
    assert len(labelled) >= 300
    with_templates = build_hard_set(templates=True)
    assert with_templates[: len(labelled)] == labelled  # appended, the items above unchanged
    assert {item["kind"] for item in with_templates} >= promised


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


def test_learned_boilerplate_keeps_different_ideas_in_one_template_apart():
    items = build_hard_set(templates=True)
    texts = [item["text"] for item in items]
    learned = frozenset(learn_boilerplate(texts, DuplicateConfig()))
    without = score_hard(items, group_texts(texts, DuplicateConfig()).representative.tolist())
    config = DuplicateConfig(boilerplate=learned)
    score = score_hard(items, group_texts(texts, config).representative.tolist())
    print(without, score)  # the template kinds' figures, with -s
    assert without["precision"] < 0.8  # the templates group different ideas
    assert score["precision"] >= 0.95, score
    assert score["recall"]["template"] == 1.0, score
    assert score["recall"]["template_resend"] >= 0.7, score  # see docs/duplicates.md
    assert score["grouped"]["template_other"] <= 0.05, score
    assert score["recall_edits"] >= 0.80, score
