"""The semantic stage on the three labelled sets, and its cost per idea (no database).

.venv/bin/python -m tests.duplicates.measure_semantic [--stored 50000] [--fresh]

Prints, within one run (the machine is shared: compare rows of one run, not across runs):
precision and recall per kind of edit on the three labelled sets without the semantic stage
and with it at several thresholds; how well the cosines rank a re-wording against different
ideas on its topic (third set); the time to encode an idea (in a batch and one at a time);
and the time of the candidate search (cosines with every stored vector) at ``--stored``
random stored vectors. The sets' vectors are kept in var/semantic-eval-vectors.npz between
runs (keyed by a hash of the texts; --fresh re-encodes).

Another model can be judged on the same sets without adding it to the project:

    .venv/bin/python -m tests.duplicates.measure_semantic --export-texts texts.json
    (encode each list of texts.json with the model, one L2-normalised row per text, and
     save the arrays under the same keys with numpy.savez, e.g. other.npz)
    .venv/bin/python -m tests.duplicates.measure_semantic --vectors other.npz --no-cost

The texts exported are what the project's model sees (`semantic.comparable_sentences`).
"""

import argparse
import hashlib
import json
import time
from pathlib import Path

import numpy as np

from suggestions.duplicates.algorithm import DuplicateConfig, group_texts
from suggestions.duplicates.semantic import (
    comparable_sentences,
    cosines,
    dequantise,
    encode,
    quantise,
)
from tests.duplicates.evalset import build_eval_set
from tests.duplicates.evalset_hard import build_hard_set
from tests.duplicates.evalset_topics import build_topic_set, score_topics
from tests.duplicates.scoring import score_grouping
from tests.duplicates.scoring_hard import score_hard

THRESHOLDS = (0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.94, 0.96)
CACHE = Path(__file__).resolve().parents[2] / "var" / "semantic-eval-vectors.npz"
SET_NAMES = ("own", "hard", "topics")


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


def _row(label, sets, config, vectors):
    (old, hard, topics), (v_old, v_hard, v_topics) = sets, vectors
    g_old = group_texts([i["text"] for i in old], config, vectors=v_old)
    g_hard = group_texts([i["text"] for i in hard], config, vectors=v_hard)
    g_topics = group_texts([i["text"] for i in topics], config, vectors=v_topics)
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
    s_topics = score_topics(topics, g_topics.representative.tolist())
    print(
        f"  topic set: precision={s_topics['precision']:.4f} pairs={s_topics['predicted_pairs']}"
        f" wrong={s_topics['wrong_pairs']} semantic={int(g_topics.semantic.sum())}"
        f" | recall reworded={s_topics['reworded']:.2f}"
    )


def _ranking(topics, vectors):
    """How the cosines order a re-wording's original against the other ideas of its topic."""
    floats = dequantise(vectors)
    matrix = floats @ floats.T
    reworded = [i for i, item in enumerate(topics) if item["kind"] == "reworded"]
    nearest = sum(int(np.argmax(matrix[i, :i]) == topics[i]["base"]) for i in reworded)
    same = np.array([matrix[i, topics[i]["base"]] for i in reworded])
    different = np.array(
        [
            matrix[a, b]
            for a in range(len(topics))
            for b in range(a + 1, len(topics))
            if topics[a]["topic"] == topics[b]["topic"] and topics[a]["group"] != topics[b]["group"]
        ]
    )
    print(
        f"topic set, cosines: re-wording and its original median {np.median(same):.2f}"
        f" (10th percentile {np.percentile(same, 10):.2f}); different ideas on one topic median"
        f" {np.median(different):.2f} (90th percentile {np.percentile(different, 90):.2f},"
        f" max {different.max():.2f}); the share of (re-wording, different idea) pairs ranked"
        f" right {(same[:, None] > different[None, :]).mean():.3f}; the nearest earlier idea is"
        f" the original for {nearest} of {len(reworded)} re-wordings"
    )


def _external(path: str, sets) -> list[np.ndarray]:
    """int8 vectors of each set from another model's numpy.savez file (rows in set order)."""
    stored = np.load(path)
    vectors = []
    for name, items in zip(SET_NAMES, sets, strict=True):
        rows = np.asarray(stored[name])
        if rows.shape[0] != len(items):
            raise SystemExit(f"{path}: {name} has {rows.shape[0]} rows, the set {len(items)}")
        if rows.dtype != np.int8:
            rows = rows / np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-12)
            rows = quantise(rows)
        vectors.append(rows)
    return vectors


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--stored", type=int, default=50_000)
    parser.add_argument("--fresh", action="store_true")
    parser.add_argument("--export-texts", metavar="JSON", help="write the texts and stop")
    parser.add_argument("--vectors", metavar="NPZ", help="another model's vectors of the sets")
    parser.add_argument("--no-cost", action="store_true", help="skip the timings")
    args = parser.parse_args()
    sets = build_eval_set(), build_hard_set(), build_topic_set()
    named = dict(zip(SET_NAMES, sets, strict=True))
    if args.export_texts:
        texts = {name: [comparable_sentences(i["text"]) for i in s] for name, s in named.items()}
        Path(args.export_texts).write_text(json.dumps(texts, ensure_ascii=False))
        print(f"wrote {args.export_texts}: " + ", ".join(f"{k} {len(v)}" for k, v in texts.items()))
        return
    print(", ".join(f"{name} set: {len(items)} ideas" for name, items in named.items()))
    if args.vectors:
        vectors = _external(args.vectors, sets)
        print(f"vectors from {args.vectors}")
    else:
        encoded = [_vectors(n, [i["text"] for i in s], args.fresh) for n, s in named.items()]
        vectors = [v for v, _ in encoded]
        if any(ms for _, ms in encoded):
            timings = ", ".join(f"{n} {ms:.0f}" for n, (_, ms) in zip(named, encoded, strict=True))
            print(f"encode, in one batch per set (ms/idea): {timings}")

    _row("no semantic stage", sets, DuplicateConfig(), (None, None, None))
    for threshold in THRESHOLDS:
        config = DuplicateConfig(semantic_threshold=threshold)
        _row(f"semantic stage, cosine >= {threshold}", sets, config, vectors)
    config = DuplicateConfig(semantic_threshold=0.65, use_terms=False, ask_overlap=0)
    _row("semantic 0.65 WITHOUT the places/terms/asks veto", sets, config, vectors)
    _ranking(sets[2], vectors[2])
    if args.no_cost:
        return
    hard, v_hard = sets[1], vectors[1]

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
