"""Print precision/recall of the grouping on the labelled set, for the default and ablations.

/work/venv/bin/python -m tests.duplicates.measure_eval
"""

import time

from suggestions.duplicates.algorithm import DuplicateConfig, group_texts
from tests.duplicates.evalset import build_eval_set
from tests.duplicates.scoring import score_grouping

VARIANTS = [
    ("default (threshold 0.6)", DuplicateConfig()),
    ("threshold 0.5", DuplicateConfig(threshold=0.5)),
    ("threshold 0.7", DuplicateConfig(threshold=0.7)),
    ("no common-word weighting", DuplicateConfig(common_words=())),
    ("no greeting/signature drop", DuplicateConfig(drop_greetings=False)),
    ("128 permutations", DuplicateConfig(num_perm=128)),
]


def main():
    items = build_eval_set()
    texts = [item["text"] for item in items]
    print(f"labelled set: {len(items)} ideas, {len({i['group'] for i in items})} true groups")
    for label, config in VARIANTS:
        started = time.perf_counter()
        grouping = group_texts(texts, config)
        elapsed = time.perf_counter() - started
        score = score_grouping(items, grouping.representative.tolist())
        kinds = " ".join(f"{k}={v:.3f}" for k, v in sorted(score["recall_by_kind"].items()))
        print(
            f"{label:28} precision={score['precision']:.4f} recall_near={score['recall_near']:.4f}"
            f" recall_resend={score['recall_resend']:.4f} pairs={grouping.candidate_pairs}"
            f" {elapsed:.2f}s | {kinds}"
        )


if __name__ == "__main__":
    main()
