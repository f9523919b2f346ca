"""Why two ideas were (or were not) grouped: a display aid for screeners, without Django.

``explain(text_a, text_b, config)`` gives the score the grouping rule used, its Jaccard and
containment parts, the places each idea names, the conflict that kept them apart (if any),
and each text cut into runs of shared and own characters, so a page can highlight the
shared text (escape every run before marking it up: they are user text).

A character counts as shared when a 2-gram it belongs to (in the normalised text, as the
grouping compares) occurs in the other idea. Greetings and sign-offs that the grouping drops
may still show as shared when both texts hold them; the campaign's boilerplate sentences
(config.boilerplate), which the grouping leaves out, are not marked.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

import zhconv

from suggestions.duplicates.algorithm import (
    CODE_BASE,  # the 2-gram code layout the shingles use
    COMMON_WEIGHT,
    WEIGHT,
    DuplicateConfig,
    compared_sentences,
    conflict_reason,
    match_score,
    normalised_sentences,
    shingles,
    similarity,
)


@dataclass(frozen=True)
class Explanation:
    score: float  # what the grouping rule compares (0: no match)
    jaccard: float
    containment: float  # weighted overlap / the smaller idea's weight
    places_a: tuple[str, ...]  # place names (not contrast words), sorted
    places_b: tuple[str, ...]
    conflict: str | None  # why they are different ideas despite the text, if so
    segments_a: tuple[tuple[str, bool], ...]  # (run of text a, shared with b?)
    segments_b: tuple[tuple[str, bool], ...]


def explain(text_a: str, text_b: str, config: DuplicateConfig) -> Explanation:
    a, b = _features(text_a, config), _features(text_b, config)
    inter = WEIGHT * len(a.distinctive & b.distinctive) + COMMON_WEIGHT * len(a.common & b.common)
    smaller = min(a.weight, b.weight)
    codes_a, codes_b = a.distinctive | a.common, b.distinctive | b.common
    return Explanation(
        score=match_score(a, b, config),
        jaccard=similarity(a, b),
        containment=inter / smaller if smaller else 0.0,
        places_a=_places(a.terms),
        places_b=_places(b.terms),
        conflict=conflict_reason(a, b, config),
        segments_a=_segments(text_a, codes_b),
        segments_b=_segments(text_b, codes_a),
    )


def _features(text, config):
    sentences = normalised_sentences(text, drop_greetings=config.drop_greetings)
    sentences = compared_sentences(sentences, config)  # the campaign's boilerplate left out
    return shingles("".join(sentences), config, sentences=sentences)


def _places(terms) -> tuple[str, ...]:
    return tuple(sorted(name for kind, name in terms if not kind.startswith("contrast")))


def _comparable(char: str) -> str:
    """One character as the grouping sees it ('' for punctuation, spaces, symbols)."""
    folded = zhconv.convert(unicodedata.normalize("NFKC", char), "zh-cn").lower()
    return "".join(c for c in folded if c.isalnum())


def _segments(text: str, other_codes: frozenset[int]) -> tuple[tuple[str, bool], ...]:
    folded = [_comparable(char) for char in text]
    # Positions of comparable characters, in order (punctuation is skipped, as normalise does).
    positions = [i for i, f in enumerate(folded) if f]
    shared = [False] * len(text)
    for left, right in zip(positions, positions[1:], strict=False):
        code = ord(folded[left][-1]) * CODE_BASE + ord(folded[right][0])
        if code in other_codes:
            shared[left] = shared[right] = True
    runs: list[tuple[str, bool]] = []
    for char, flag in zip(text, shared, strict=True):
        if runs and runs[-1][1] == flag:
            runs[-1] = (runs[-1][0] + char, flag)
        else:
            runs.append((char, flag))
    return tuple(runs)
