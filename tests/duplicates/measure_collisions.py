"""How often unrelated ideas collide in an LSH band, on the labelled sets and the bench's
generated ideas (no database). A high rate means many candidates per check and per rebuild.

.venv/bin/python -m tests.duplicates.measure_collisions
"""

import sys
from pathlib import Path

import numpy as np

from suggestions.duplicates.algorithm import (
    DuplicateConfig,
    _band_keys,
    _bucket_pairs_flat,
    _shingle_all,
)
from tests.duplicates.evalset import build_eval_set
from tests.duplicates.evalset_hard import build_hard_set

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from duplicates import make_ideas  # noqa: E402


def collision_rate(texts, groups, config):
    """(unrelated pairs sharing a band key, unrelated pairs in all, their ratio)."""
    n = len(texts)
    shingled = _shingle_all(texts, config, lambda message: None)
    keys = _band_keys(shingled.signatures, config)
    docs = np.flatnonzero(shingled.distinct > 0)
    pairs = np.unique(
        np.concatenate([_bucket_pairs_flat(keys[docs, b], docs, n) for b in range(keys.shape[1])])
    )
    group = np.asarray(groups)
    colliding = int((group[pairs // n] != group[pairs % n]).sum())
    _values, sizes = np.unique(group, return_counts=True)
    unrelated = n * (n - 1) // 2 - int((sizes * (sizes - 1) // 2).sum())
    return colliding, unrelated, colliding / unrelated


def main():
    config = DuplicateConfig()
    texts, planted = make_ideas(20_000)
    sets = [
        ("first labelled set", [(i["text"], i["group"]) for i in build_eval_set()]),
        ("second labelled set", [(i["text"], i["group"]) for i in build_hard_set()]),
        (
            "bench, 20,000 generated ideas",
            [(t, i if p < 0 else p) for i, (t, p) in enumerate(zip(texts, planted, strict=True))],
        ),
    ]
    for name, items in sets:
        colliding, unrelated, rate = collision_rate(*zip(*items, strict=True), config)
        print(f"{name}: {colliding} of {unrelated} unrelated pairs share a band key ({rate:.1e})")


if __name__ == "__main__":
    main()
