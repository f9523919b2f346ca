"""Accuracy of the grouping on the labelled evaluation set (no database needed)."""

import pytest

from suggestions.duplicates.algorithm import (
    DuplicateConfig,
    MemoryIndex,
    group_texts,
)
from tests.duplicates.evalset import build_eval_set
from tests.duplicates.scoring import score_grouping


@pytest.fixture(scope="module")
def labelled():
    items = build_eval_set()
    assert len(items) >= 2000
    return items


@pytest.fixture(scope="module")
def grouped(labelled):
    return group_texts([item["text"] for item in labelled], DuplicateConfig())


def test_the_labelled_set_covers_every_kind_of_repeat_and_hard_negative(labelled):
    kinds = {item["kind"] for item in labelled}
    assert kinds >= {
        "original", "hard_negative", "resend", "edit", "reorder", "greeting", "traditional",
        "combo",
    }  # fmt: skip


def test_grouping_meets_the_precision_and_recall_targets(labelled, grouped):
    score = score_grouping(labelled, grouped.representative.tolist())
    assert score["precision"] >= 0.97, score
    assert score["recall_near"] >= 0.90, score
    assert score["recall_resend"] == 1.0, score


def test_common_campaign_words_do_not_make_slogans_match(labelled):
    slogans = [i["text"] for i in labelled if i["kind"] == "hard_negative" and len(i["text"]) < 30]
    assert len(slogans) >= 40
    grouping = group_texts(slogans, DuplicateConfig())
    assert (grouping.representative == range(len(slogans))).all()


def simulate_incremental(texts, config):
    """The per-idea rule with an in-memory index, as the database service applies it."""
    index = MemoryIndex(config)
    for text in texts:
        index.add(text)
    return index.representative


@pytest.mark.slow
def test_the_vectorised_rebuild_gives_the_same_groups_as_the_per_idea_rule(labelled, grouped):
    texts = [item["text"] for item in labelled]
    assert simulate_incremental(texts, DuplicateConfig()) == grouped.representative.tolist()


def test_normalising_in_worker_processes_gives_the_same_grouping(labelled, grouped, monkeypatch):
    """Blocks of 300 texts, two worker processes, results taken in order: every array the
    rebuild writes is the same as normalised in one process."""
    import numpy as np

    import suggestions.duplicates.algorithm as algorithm

    monkeypatch.setattr(algorithm, "_BLOCK", 300)  # several blocks in flight
    texts = [item["text"] for item in labelled]
    one = group_texts(texts, DuplicateConfig())
    two = group_texts(texts, DuplicateConfig(), processes=2)

    assert one.representative.tolist() == grouped.representative.tolist()
    for name in (
        "representative",
        "similarity",
        "exact_keys",
        "signatures",
        "band_keys",
        "has_bands",
        "sentence_docs",
        "sentence_keys",
        "proposals",
    ):
        assert np.array_equal(getattr(one, name), getattr(two, name), equal_nan=True), name
