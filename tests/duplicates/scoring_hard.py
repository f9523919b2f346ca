"""Per-kind figures of a grouping on the second labelled set (evalset_hard.py)."""

from collections import defaultdict

from tests.duplicates.evalset_hard import EDIT_KINDS, NEGATIVE_KINDS, POSITIVE_KINDS
from tests.duplicates.scoring import grouped_pairs


def score_hard(items, predicted_group):
    """items: build_hard_set(); predicted_group: position -> predicted group label.

    precision: of all pairs put in one group, the share that are the same idea.
    recall[kind]: of the variants of a positive kind, the share grouped with their base.
    grouped[kind]: of the different ideas of a negative kind, the share wrongly grouped
    with the base they were made from.
    """
    pairs, correct = grouped_pairs(items, predicted_group)
    found, total = defaultdict(int), defaultdict(int)
    for position, item in enumerate(items):
        if item["kind"] == "original":
            continue
        total[item["kind"]] += 1
        found[item["kind"]] += predicted_group[position] == predicted_group[item["base"]]
    edits = sum(found[k] for k in EDIT_KINDS) / sum(total[k] for k in EDIT_KINDS)
    return {
        "precision": correct / pairs if pairs else 1.0,
        "predicted_pairs": pairs,
        "recall": {k: found[k] / total[k] for k in POSITIVE_KINDS if total[k]},
        "recall_edits": edits,
        "grouped": {k: found[k] / total[k] for k in NEGATIVE_KINDS if total[k]},
        "counts": dict(total),
    }
