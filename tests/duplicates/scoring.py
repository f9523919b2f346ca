"""Pairwise precision and recall of a grouping against the labelled evaluation set."""

from collections import defaultdict
from itertools import combinations

from tests.duplicates.evalset import NEAR_KINDS


def score_grouping(items, predicted_group):
    """items: the labelled set; predicted_group: position -> predicted group label.

    Precision: of all pairs put in one group, the share that truly belong together.
    Recall per kind: of the true pairs (original, variant of that kind), the share grouped.
    """
    predicted_members = defaultdict(list)
    for position, label in enumerate(predicted_group):
        predicted_members[label].append(position)
    predicted_pairs = true_positive = 0
    for members in predicted_members.values():
        for a, b in combinations(members, 2):
            predicted_pairs += 1
            true_positive += items[a]["group"] == items[b]["group"]

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
