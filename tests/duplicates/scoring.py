"""Pairwise precision and recall of a grouping against the labelled evaluation set."""

from collections import defaultdict
from itertools import combinations

from tests.duplicates.evalset import NEAR_KINDS


def grouped_pairs(items, predicted_group) -> tuple[int, int]:
    """(pairs put in one group, of those the pairs whose items share their "group" label)."""
    members = defaultdict(list)
    for position, label in enumerate(predicted_group):
        members[label].append(position)
    pairs = correct = 0
    for positions in members.values():
        for a, b in combinations(positions, 2):
            pairs += 1
            correct += items[a]["group"] == items[b]["group"]
    return pairs, correct


def score_grouping(items, predicted_group):
    """items: the labelled set; predicted_group: position -> predicted group label.

    Precision: of all pairs put in one group, the share that truly belong together.
    Recall per kind: of the true pairs (original, variant of that kind), the share grouped.
    """
    predicted_pairs, true_positive = grouped_pairs(items, predicted_group)

    originals = {
        item["group"]: position
        for position, item in enumerate(items)
        if item["kind"] in ("original", "hard_negative")
    }
    found = defaultdict(int)
    total = defaultdict(int)
    for position, item in enumerate(items):
        if item["kind"] in ("original", "hard_negative"):
            continue
        origin = originals[item["group"]]
        total[item["kind"]] += 1
        found[item["kind"]] += predicted_group[position] == predicted_group[origin]
    recall = {kind: found[kind] / total[kind] for kind in total}
    near_total = sum(total[k] for k in NEAR_KINDS)
    return {
        "precision": true_positive / predicted_pairs if predicted_pairs else 1.0,
        "predicted_pairs": predicted_pairs,
        "recall_near": sum(found[k] for k in NEAR_KINDS) / near_total,
        "recall_resend": recall.get("resend", 1.0),
        "recall_by_kind": recall,
    }
