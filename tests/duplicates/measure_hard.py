"""Print per-kind precision/recall on both labelled sets (no database).

.venv/bin/python -m tests.duplicates.measure_hard
"""

from suggestions.duplicates.algorithm import (
    DuplicateConfig,
    group_texts,
    learn_boilerplate,
    learn_common,
)
from tests.duplicates.evalset import build_eval_set
from tests.duplicates.evalset_hard import build_hard_set
from tests.duplicates.scoring import score_grouping
from tests.duplicates.scoring_hard import score_hard

VARIANTS = [
    ("default", DuplicateConfig()),
    ("no places/terms", DuplicateConfig(use_terms=False)),
    ("no ask check", DuplicateConfig(ask_overlap=0)),
    ("no containment", DuplicateConfig(containment=1.01)),
    (
        "none of these (the old rule)",
        DuplicateConfig(use_terms=False, ask_overlap=0, containment=1.01),
    ),
]


def main():
    old, hard = build_eval_set(), build_hard_set()
    print(f"old set: {len(old)} ideas; hard set: {len(hard)} ideas")
    for label, config in VARIANTS:
        g_old = group_texts([i["text"] for i in old], config)
        g_hard = group_texts([i["text"] for i in hard], config)
        s_old = score_grouping(old, g_old.representative.tolist())
        s_hard = score_hard(hard, g_hard.representative.tolist())
        kinds = " ".join(f"{k}={v:.3f}" for k, v in sorted(s_old["recall_by_kind"].items()))
        print(f"{label}\n  old:  precision={s_old['precision']:.4f} {kinds}")
        rec = " ".join(f"{k}={v:.2f}" for k, v in s_hard["recall"].items())
        neg = " ".join(f"{k}={v:.2f}" for k, v in s_hard["grouped"].items())
        print(
            f"  hard: precision={s_hard['precision']:.4f} edits={s_hard['recall_edits']:.3f} "
            f"| recall {rec} | wrongly grouped {neg}"
        )


def templates():
    """The second set with its template kinds, without and with boilerplate learned from
    the set itself (the portal's default threshold: max(20, 0.5 % of the distinct ideas))."""
    items = build_hard_set(templates=True)
    texts = [item["text"] for item in items]
    learned = learn_boilerplate(texts, DuplicateConfig())
    old = build_eval_set()
    old_texts = [item["text"] for item in old]
    for label, config in [
        ("first set", DuplicateConfig()),
        (
            "first set, its own common 2-grams learned",
            DuplicateConfig(learned_common=learn_common(old_texts, DuplicateConfig())),
        ),
    ]:
        score = score_grouping(old, group_texts(old_texts, config).representative.tolist())
        kinds = " ".join(f"{k}={v:.3f}" for k, v in sorted(score["recall_by_kind"].items()))
        print(f"{label}: precision={score['precision']:.4f} {kinds}")
    print(f"\nhard set with templates: {len(items)} ideas; {len(learned)} sentences learned:")
    for sentence, holders in sorted(learned.items(), key=lambda row: (-row[1], row[0])):
        print(f"  {holders:4d} {sentence}")
    sentences = DuplicateConfig(boilerplate=frozenset(learned))
    common = learn_common(texts, sentences)
    print(f"  and {len(common)} common 2-grams (used by at least 10 % of the distinct ideas)")
    for label, config in [
        ("without boilerplate", DuplicateConfig()),
        ("with the learned sentences only", sentences),
        (
            "with the learned sentences and common 2-grams",
            DuplicateConfig(boilerplate=frozenset(learned), learned_common=common),
        ),
    ]:
        score = score_hard(items, group_texts(texts, config).representative.tolist())
        rec = " ".join(f"{k}={v:.2f}" for k, v in score["recall"].items())
        neg = " ".join(f"{k}={v:.2f}" for k, v in score["grouped"].items())
        print(
            f"{label}\n  precision={score['precision']:.4f} ({score['predicted_pairs']} pairs) "
            f"edits={score['recall_edits']:.3f} | recall {rec} | wrongly grouped {neg}"
        )


if __name__ == "__main__":
    main()
    templates()
