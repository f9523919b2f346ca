"""The semantic stage on both labelled sets, and its cost per idea (no database).

.venv/bin/python -m tests.duplicates.measure_semantic [--stored 50000] [--fresh]

Prints, within one run (the machine is shared: compare rows of one run, not across runs):
precision and recall per kind of edit on both labelled sets without the semantic stage
and with it at several thresholds; the time to encode an idea (in a batch and one at a
time); and the time of the candidate search (cosines with every stored vector) at
``--stored`` random stored vectors. The sets' vectors are kept in
var/semantic-eval-vectors.npz between runs (keyed by a hash of the texts; --fresh
re-encodes).
"""

import argparse
import hashlib
import time
from pathlib import Path

import numpy as np

from suggestions.duplicates.algorithm import DuplicateConfig, group_texts
from suggestions.duplicates.semantic import cosines, encode, quantise
from tests.duplicates.evalset import build_eval_set
from tests.duplicates.evalset_hard import build_hard_set
from tests.duplicates.scoring import score_grouping
from tests.duplicates.scoring_hard import score_hard

THRESHOLDS = (0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.94, 0.96)
CACHE = Path(__file__).resolve().parents[2] / "var" / "semantic-eval-vectors.npz"


def _vectors(name: str, texts: list[str], fresh: bool) -> tuple[np.ndarray, float]:
    """int8 vectors of the texts and the encoding time per idea (ms; 0 when cached)."""
    digest = hashlib.sha256("\x00".join(texts).encode()).hexdigest()[:16]
    stored = dict(np.load(CACHE)) if CACHE.exists() and not fresh else {}
    if f"{name}-{digest}" in stored:
        return stored[f"{name}-{digest}"], 0.0
    started = time.perf_counter()
    vectors = quantise(encode(texts))
    per_idea = (time.perf_counter() - started) * 1000 / len(texts)
    stored[f"{name}-{digest}"] = vectors
    CACHE.parent.mkdir(exist_ok=True)
    np.savez(CACHE, **stored)
    return vectors, per_idea


def _row(label, old, hard, config, v_old, v_hard):
    g_old = group_texts([i["text"] for i in old], config, vectors=v_old)
    g_hard = group_texts([i["text"] for i in hard], config, vectors=v_hard)
    s_old = score_grouping(old, g_old.representative.tolist())
    s_hard = score_hard(hard, g_hard.representative.tolist())
    kinds = " ".join(f"{k}={v:.3f}" for k, v in sorted(s_old["recall_by_kind"].items()))
    print(f"{label}")
    print(
        f"  own set:  precision={s_old['precision']:.4f} pairs={s_old['predicted_pairs']}"
        f" semantic={int(g_old.semantic.sum())} | {kinds}"
    )
    rec = " ".join(f"{k}={v:.2f}" for k, v in s_hard["recall"].items())
    neg = " ".join(f"{k}={v:.2f}" for k, v in s_hard["grouped"].items())
    print(
        f"  hard set: precision={s_hard['precision']:.4f} pairs={s_hard['predicted_pairs']}"
        f" semantic={int(g_hard.semantic.sum())} edits={s_hard['recall_edits']:.3f}"
        f" | recall {rec} | wrongly grouped {neg}"
    )


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--stored", type=int, default=50_000)
    parser.add_argument("--fresh", action="store_true")
    args = parser.parse_args()
    old, hard = build_eval_set(), build_hard_set()
    print(f"own set: {len(old)} ideas; hard set: {len(hard)} ideas")
    v_hard, ms_hard = _vectors("hard", [i["text"] for i in hard], args.fresh)
    v_old, ms_old = _vectors("own", [i["text"] for i in old], args.fresh)
    if ms_hard or ms_old:
        print(f"encode, in one batch per set: hard {ms_hard:.0f} ms/idea, own {ms_old:.0f} ms/idea")

    _row("no semantic stage", old, hard, DuplicateConfig(), None, None)
    for threshold in THRESHOLDS:
        config = DuplicateConfig(semantic_threshold=threshold)
        _row(f"semantic stage, cosine >= {threshold}", old, hard, config, v_old, v_hard)
    config = DuplicateConfig(semantic_threshold=0.65, use_terms=False, ask_overlap=0)
    _row("semantic 0.65 WITHOUT the places/terms/asks veto", old, hard, config, v_old, v_hard)

    # Cost per idea.
    sample = [i["text"] for i in hard[:20]]
    encode(sample[:1])  # model loaded
    started = time.perf_counter()
    for text in sample:
        encode([text])
    one = (time.perf_counter() - started) * 1000 / len(sample)
    print(f"encode one idea at a time: {one:.0f} ms/idea (mean of {len(sample)})")
    rng = np.random.default_rng(1)
    stored = rng.standard_normal((args.stored, 512)).astype(np.float32)
    stored = quantise(stored / np.linalg.norm(stored, axis=1, keepdims=True))
    probe = v_hard[0]
    timings = []
    for _ in range(10):
        started = time.perf_counter()
        cos = cosines(probe, stored)
        (cos >= 0.65).nonzero()
        timings.append((time.perf_counter() - started) * 1000)
    print(
        f"candidate search over {args.stored} stored vectors (brute force, int8 -> float32):"
        f" median {np.median(timings):.1f} ms, min {min(timings):.1f} ms (10 runs);"
        f" {stored.nbytes / 2**20:.0f} MB held"
    )
    # The rebuild's all-pairs pass over the same number of vectors.
    from suggestions.duplicates.algorithm import _semantic_pairs

    count = min(args.stored, 20_000)
    started = time.perf_counter()
    _semantic_pairs(stored[:count], np.zeros(count, dtype=bool), 0.65)
    print(
        f"rebuild, all pairs of {count} stored vectors: {time.perf_counter() - started:.1f} s"
        " (grows with the square of the count)"
    )


if __name__ == "__main__":
    main()
