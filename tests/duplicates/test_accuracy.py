"""Accuracy of the grouping on the labelled evaluation set (no database needed)."""

import pytest

from suggestions.duplicates.algorithm import (
    DuplicateConfig,
    MemoryIndex,
    group_texts,
    is_sentence_key,
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


def test_a_crowded_band_key_is_stored_and_compared_by_its_first_holders_only(labelled):
    """With a cap of 2, the vectorised rebuild and the per-idea rule still agree on every
    group and on which band keys each idea stores, and a later holder of a crowded key
    still meets its first holders (an exact repeat aside, copies share crowded keys)."""
    import numpy as np

    texts = [item["text"] for item in labelled[:900]]
    config = DuplicateConfig(band_key_cap=2)
    grouping = group_texts(texts, config)
    index = MemoryIndex(config)
    for text in texts:
        index.add(text)

    assert index.representative == grouping.representative.tolist()
    holders = {key: ideas for key, ideas in index._keys.items() if not is_sentence_key(key)}
    assert max(map(len, holders.values())) == 2
    stored = sorted(
        (int(doc), int(grouping.band_keys[doc, band]))
        for doc, band in zip(*np.nonzero(grouping.band_stored), strict=True)
    )
    assert stored == sorted((doc, key) for key, ideas in holders.items() for doc in ideas)
    # The cap bit: some keys are held by more ideas than store them.
    crowded = np.unique(grouping.band_keys[grouping.has_bands], return_counts=True)[1]
    assert crowded.max() > 2
    uncapped = group_texts(texts, DuplicateConfig())
    assert grouping.candidate_pairs < uncapped.candidate_pairs
