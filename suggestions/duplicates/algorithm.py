"""Near-duplicate detection for Chinese ideas: the algorithm, without Django.

Pipeline (the same for the incremental check and the full rebuild):

1. ``normalise``: NFKC (full-width -> half-width), traditional -> simplified (zhconv),
   lower case, greeting and signature sentences dropped, then everything that is not a
   letter or digit (punctuation, whitespace, emoji) removed.
2. ``exact_key``: a 63-bit hash of the normalised text; equal keys are exact repeats.
   Everything after this step compares the text without the campaign's boilerplate
   sentences (``config.boilerplate``, learned from the campaign; ``compared_sentences``):
   the lines of a form or template that many ideas share say nothing about any of them.
3. Character 2-grams ("shingles"). Shingles inside common campaign words (建议, 加强,
   晋城, 发展 …) are *common*: they are left out of the MinHash signature and weigh
   COMMON_WEIGHT instead of WEIGHT in the similarity, so two different ideas that share
   the campaign's vocabulary do not match.
4. MinHash (multiply-shift hashing, numpy) split into LSH bands; two ideas become
   candidates when any band key is equal. Band keys are stored in the database for the
   incremental path; the rebuild groups them in memory with one sort. Only the first
   band_key_cap ideas holding a band key store it, and a later idea with that key is
   compared with those only: a key thousands of ideas hold (their minima all fell on a
   template's phrases) would otherwise make each new idea read thousands of rows.
   A second candidate path: ideas sharing a whole sentence of >= sentence_min_chars
   characters (sentence keys, stored beside the band keys; only the first
   sentence_key_cap ideas holding a sentence get its key).
5. Band candidates must first agree on enough MinHash values (``min_equal``: more for
   ideas of similar size, which can only match at a high Jaccard similarity, than for an
   idea inside a longer letter). Candidates are then verified with an exact weighted
   Jaccard similarity on integer weights
   (so the vectorised rebuild and the per-idea check compute the very same fractions);
   below the threshold, the containment (overlap / the smaller idea) can still make a
   match for ideas long enough (``_score``): pasted into a letter, a sentence dropped.
6. Conflicts decide (``conflict_reason``): different places of one kind or opposite
   contrast terms (suggestions.duplicates.gazetteer), or different asks, keep two ideas
   apart whatever their similarity.

Grouping rule (both paths): ideas are taken in id order. An idea whose normalised text
equals an earlier idea's joins the earliest such idea's group (similarity 1). Otherwise
it joins the group of the best earlier candidate (highest score, ties: the earliest) that
matches and conflicts neither with it nor with its group's representative. Otherwise it
starts its own group. The group's first idea is its representative. An idea that joined
a group by shared text and also matches ideas of other groups proposes those groups for
a merge (``other_groups``, the best MAX_PROPOSALS; screeners decide, nothing is merged on
its own). See docs/duplicates-quality.md for the measured effect of each part.

This module imports no Django (an import-linter contract keeps it so): the labelled
set and the benchmark run it without a database. The database index, the per-idea
check, the rebuild and the screeners' decisions are in suggestions.duplicates.services.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import re
import unicodedata
from array import array
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from itertools import chain
from typing import TypeVar

import numpy as np
import zhconv

from suggestions.duplicates.gazetteer import Gazetteer, conflict, default_gazetteer

# Words every idea in this campaign uses; their 2-grams barely say what an idea is about.
COMMON_WORDS: tuple[str, ...] = (
    "建议", "意见", "加强", "加大", "加快", "推进", "推动", "提升", "提高", "完善", "健全",
    "建立", "建设", "发展", "促进", "优化", "改善", "落实", "开展", "实施", "强化", "增加",
    "晋城", "晋城市", "全市", "我市", "城市", "城区", "政府", "部门", "相关", "有关", "工作",
    "问题", "进一步", "力度", "管理", "服务", "群众", "市民", "百姓", "老百姓", "居民",
    "我们", "希望", "能够", "可以", "应该", "需要", "目前", "现在", "一些", "方面",
    "金点子", "高质量", "积极", "有效", "措施", "机制", "体系", "水平", "质量", "环境",
    "改造", "治理", "整治", "保障", "创新", "满意度", "力量", "贡献", "实惠",
)  # fmt: skip
WEIGHT = 4
COMMON_WEIGHT = 1

# Greetings are cut from the start of the text and sign-offs (thanks, names, dates)
# from its end; the middle of an idea is never touched. Matched after NFKC and
# conversion to simplified characters.
_GREETING = re.compile(
    r"^\s*(?:尊敬的[^，,:：。！!？?\s]{0,14}|各位领导(?:们)?好?|(?:领导|领导们|你|您|大家)好[啊呀]?)"
    r"\s*[，,:：。！!～~\s]+"
)
_SIGNOFF = re.compile(
    r"(?:谢谢|感谢|多谢|此致|敬礼|此致敬礼|望采纳|请采纳|恳请采纳|不当之处请指正)\w{0,6}|"
    r"以上(?:是|为)?(?:我的|个人)?(?:一点|一些|几点)?(?:建议|意见|想法)\w{0,10}|"
    r"(?:一(?:位|名|个))?(?:普通|热心|忠实)?(?:的)?(?:市民|群众|居民|网友|党员|职工|老百姓|退休职工)"
    r"\w{0,4}?(?:\d{4}年)?(?:\d{1,2}月\d{1,2}日)?|"
    r"(?:联系人|署名|姓名|建议人)\w{0,6}|(?:\d{4}年)?\d{1,2}月\d{1,2}日|\d{4}年"
)
# A half-width full stop ends a sentence too (phones' keyboards type it), unless it is a
# decimal point (3.5米).
_SENTENCE_END = re.compile(
    r"(?:[。！？!?；;\n\r]|(?<!\d)\.(?!\d))+|[，,:：](?=\s*(?:谢谢|此致|敬礼|以上))"
)
# Characters zhconv changes on their own. A text with none of them is left as it is:
# converting every text would cost more than half of the normalisation time. (Phrase-only
# rules such as 回覆 -> 回复 are then skipped for texts that are otherwise simplified.)
_TRADITIONAL = frozenset(
    key for key, value in zhconv.zhconv.getdict("zh-cn").items() if len(key) == 1 and key != value
)
_NOT_WORD = re.compile(r"[\W_]+")

_MASK64 = np.uint64(0xFFFFFFFFFFFFFFFF)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX = np.uint64(0xBF58476D1CE4E5B9)
CODE_BASE = 0x110000  # a 2-gram's code: ord(first) * 0x110000 + ord(second)


@dataclass(frozen=True)
class DuplicateConfig:
    """Tunable parameters; the Django settings map onto these (see services_duplicates)."""

    threshold: float = 0.6
    num_perm: int = 64
    band_rows: int = 4
    seed: int = 20210601
    # Candidates from the LSH bands must also agree on this share of MinHash values
    # (an estimate of the Jaccard similarity of their distinctive 2-grams) before the
    # exact similarity is computed: cheap, and it removes chance band collisions.
    min_agreement: float = 0.3
    # Ideas of similar size must agree on more: the least Jaccard similarity at which
    # their sizes let them match, less this allowance (see min_equal).
    agreement_slack: float = 0.15
    # Only the first band_key_cap ideas holding a band key store it in their index entry;
    # a later idea holding it is compared with those first holders only (the many copies
    # of a popular idea all meet its early copies there). Bounds what one key brings to a
    # check, and the pairs a crowded band makes in the rebuild (see _run_pairs).
    band_key_cap: int = 128
    common_words: tuple[str, ...] = COMMON_WORDS
    drop_greetings: bool = True
    # Length-robust matching: the weighted overlap divided by the *smaller* idea's weight
    # ("containment") also makes a match when it reaches this value, so an idea pasted
    # into a letter or with a sentence dropped still matches. Only when the smaller idea
    # has at least min_contained distinctive 2-grams: a short text is contained in many.
    containment: float = 0.8
    min_contained: int = 12
    # A second candidate path for containment (MinHash estimates Jaccard, which is low
    # for a short text inside a long one): ideas sharing a whole sentence of at least
    # sentence_min_chars characters are candidates. Only the first sentence_key_cap ideas
    # holding a sentence get its key (a sentence many ideas share is boilerplate).
    sentence_min_chars: int = 8
    sentence_key_cap: int = 16
    # The campaign's boilerplate: normalised sentences that many of its ideas hold (a
    # form's printed lines, a template's fixed lines; learned by
    # suggestions.duplicates.boilerplate). They are taken out before anything is compared
    # (see compared_sentences) and get no sentence key; the exact key still covers them.
    boilerplate: frozenset[str] = field(default=frozenset(), repr=False)
    # 2-gram codes the campaign's ideas use so often (a template's phrases, its own
    # vocabulary) that they weigh like COMMON_WORDS: learned alongside the boilerplate.
    learned_common: frozenset[int] = field(default=frozenset(), repr=False)
    # Places and contrast terms decide (suggestions.duplicates.gazetteer): ideas naming
    # different places of one kind, or opposite terms, are never grouped.
    use_terms: bool = True
    # Ideas whose asks (sentences with 建议, 希望 …) share less than this are different
    # ideas, however similar the rest (see conflict_reason); 0 turns the check off.
    ask_overlap: float = 0.5
    # The semantic stage (suggestions/duplicates/semantic.py): an idea without a lexical
    # match joins the earlier idea whose sentence vector has the highest cosine at or above
    # this, unless they conflict (places, contrast terms, asks). 0 turns the stage off;
    # 1 stores vectors but compares nothing (see compares_meaning).
    semantic_threshold: float = 0.0
    # Derived, filled in __post_init__.
    common_codes: np.ndarray = field(init=False, repr=False, compare=False)
    common_set: frozenset[int] = field(init=False, repr=False, compare=False)
    gazetteer: Gazetteer | None = field(init=False, repr=False, compare=False)
    perm_a: np.ndarray = field(init=False, repr=False, compare=False)
    perm_b: np.ndarray = field(init=False, repr=False, compare=False)

    @property
    def compares_meaning(self) -> bool:
        """Whether the semantic stage groups anything (a threshold of 1 only collects)."""
        return 0 < self.semantic_threshold < 1

    def __post_init__(self):
        if self.num_perm % self.band_rows:
            raise ValueError("num_perm must be a multiple of band_rows")
        codes = set()
        for word in self.common_words:
            word = normalise(word, drop_greetings=False)
            codes.update(_bigram_codes(word))
        codes.update(self.learned_common)
        object.__setattr__(self, "common_codes", np.array(sorted(codes), dtype=np.int64))
        object.__setattr__(self, "common_set", frozenset(codes))
        object.__setattr__(self, "gazetteer", default_gazetteer() if self.use_terms else None)
        rng = np.random.default_rng(self.seed)
        # Multiply-shift hashing: odd 64-bit multipliers, any 64-bit offsets.
        a = rng.integers(0, 2**63, size=self.num_perm, dtype=np.uint64) * np.uint64(2) + np.uint64(
            1
        )
        b = rng.integers(0, 2**63, size=self.num_perm, dtype=np.uint64)
        object.__setattr__(self, "perm_a", a)
        object.__setattr__(self, "perm_b", b)

    @property
    def bands(self) -> int:
        return self.num_perm // self.band_rows


# ---------------------------------------------------------------------------- normalising


def normalise(text: str, *, drop_greetings: bool = True) -> str:
    """The comparable core of an idea's text (see the module docstring)."""
    return "".join(normalised_sentences(text, drop_greetings=drop_greetings))


def normalised_sentences(text: str, *, drop_greetings: bool = True) -> list[str]:
    """The normalised text's sentences (their concatenation is ``normalise(text)``)."""
    text = unicodedata.normalize("NFKC", text or "")
    if not _TRADITIONAL.isdisjoint(text):
        text = zhconv.convert(text, "zh-cn")
    text = text.lower()
    if drop_greetings:
        while True:
            cut = _GREETING.sub("", text, count=1)
            if cut == text:
                break
            text = cut
    sentences = [_NOT_WORD.sub("", part) for part in _SENTENCE_END.split(text)]
    sentences = [part for part in sentences if part]
    if drop_greetings:
        while len(sentences) > 1 and _SIGNOFF.fullmatch(sentences[-1]):
            sentences.pop()
    return sentences


# Sentence keys are tagged above the 40-bit LSH band keys, so both share one index table.
_SENTENCE_TAG = 1 << 41


def sentence_keys(sentences: Iterable[str], config: DuplicateConfig) -> list[int]:
    """Keys of an idea's sentences long enough to make candidates (see sentence_min_chars),
    boilerplate sentences left out."""
    keys = {
        _SENTENCE_TAG | (exact_key(sentence) >> 23)
        for sentence in sentences
        if len(sentence) >= config.sentence_min_chars and sentence not in config.boilerplate
    }
    return sorted(keys)


def compared_sentences(sentences: list[str], config: DuplicateConfig) -> list[str]:
    """The sentences an idea is compared by: its normalised sentences without the
    campaign's boilerplate (config.boilerplate). An idea made only of boilerplate keeps
    them all: emptied, it would have no 2-gram and could match nothing but an exact repeat.
    """
    if not config.boilerplate:
        return sentences
    kept = [sentence for sentence in sentences if sentence not in config.boilerplate]
    return kept or sentences


def is_sentence_key(key: int) -> bool:
    return key >= _SENTENCE_TAG


def exact_key(normalised: str) -> int:
    """A signed 63-bit hash of the normalised text (fits a database bigint)."""
    digest = hashlib.blake2b(normalised.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big") >> 1


def _bigram_codes(normalised: str) -> set[int]:
    return {
        ord(normalised[i]) * CODE_BASE + ord(normalised[i + 1]) for i in range(len(normalised) - 1)
    }


@dataclass(frozen=True)
class Shingles:
    """One idea's 2-grams split into distinctive and common ones."""

    distinctive: frozenset[int]
    common: frozenset[int]
    # Places and contrast terms the idea names (see suggestions.duplicates.gazetteer).
    terms: frozenset[tuple[str, str]] = frozenset()
    # Distinctive 2-grams of the idea's asks: its sentences with 建议, 希望, 呼吁 … (only
    # when shingles() was given the sentences).
    asks: frozenset[int] = frozenset()

    @property
    def weight(self) -> int:
        return WEIGHT * len(self.distinctive) + COMMON_WEIGHT * len(self.common)


_ASK = re.compile(r"建议|希望|呼吁|恳请|请求|应该|应当|能否|能不能|可否|要求")


def shingles(
    normalised: str,
    config: DuplicateConfig,
    *,
    sentences: Sequence[str] | None = None,
    conflicts: bool = True,
) -> Shingles:
    """An idea's 2-grams, terms and (given its normalised sentences) asks; without
    ``conflicts``, the 2-grams only (enough for ``lexical_score``)."""
    codes = _bigram_codes(normalised)
    common = codes & config.common_set
    if not conflicts:
        return Shingles(frozenset(codes - common), frozenset(common))
    return Shingles(
        frozenset(codes - common),
        frozenset(common),
        _terms(normalised, config),
        _asks(sentences or (), config),
    )


def _terms(normalised: str, config: DuplicateConfig) -> frozenset[tuple[str, str]]:
    return config.gazetteer.terms(normalised) if config.gazetteer else frozenset()


def _asks(sentences: Iterable[str], config: DuplicateConfig) -> frozenset[int]:
    asks: set[int] = set()
    for sentence in sentences:
        if _ASK.search(sentence):
            asks.update(_bigram_codes(sentence))
    return frozenset(asks - config.common_set)


def conflict_reason(a: Shingles, b: Shingles, config: DuplicateConfig) -> str | None:
    """Why two similar ideas are still different ideas, or None.

    Places or contrast terms conflict (suggestions.duplicates.gazetteer.conflict), or both
    ideas state asks (at least 4 distinctive 2-grams each) and less than ask_overlap of
    the smaller idea's asks are in the other's: the same frame asking for something else.
    """
    reason = conflict(a.terms, b.terms)
    if reason:
        return reason
    if config.ask_overlap > 0 and len(a.asks) >= 4 and len(b.asks) >= 4:
        shared = len(a.asks & b.asks) / min(len(a.asks), len(b.asks))
        if shared < config.ask_overlap:
            return f"asks differ ({shared:.0%} shared)"
    return None


def similarity(a: Shingles, b: Shingles) -> float:
    """Weighted Jaccard similarity: common 2-grams count COMMON_WEIGHT, others WEIGHT."""
    inter = WEIGHT * len(a.distinctive & b.distinctive) + COMMON_WEIGHT * len(a.common & b.common)
    union = a.weight + b.weight - inter
    return inter / union if union else 0.0


def _score(inter, weight_a, weight_b, distinct_a, distinct_b, config):
    """The matching score from overlap and sizes (scalars or numpy arrays alike).

    Jaccard when it reaches the threshold; otherwise the containment when that reaches
    config.containment and the smaller idea is long enough; otherwise 0 (no match).
    Integer arithmetic up to the divisions, so both paths compute the same fractions.
    """
    union = weight_a + weight_b - inter
    smaller = np.minimum(weight_a, weight_b)
    with np.errstate(divide="ignore", invalid="ignore"):
        jaccard = np.where(union > 0, inter / np.maximum(union, 1), 0.0)
        contained = np.where(smaller > 0, inter / np.maximum(smaller, 1), 0.0)
    long_enough = np.minimum(distinct_a, distinct_b) >= config.min_contained
    by_containment = long_enough & (contained >= config.containment)
    return np.where(jaccard >= config.threshold, jaccard, np.where(by_containment, contained, 0.0))


def match_score(a: Shingles, b: Shingles, config: DuplicateConfig) -> float:
    """How strongly two ideas match (0 when they do not: too different, or terms conflict)."""
    score = lexical_score(a, b, config)
    return score if score and not conflict_reason(a, b, config) else 0.0


def lexical_score(a: Shingles, b: Shingles, config: DuplicateConfig) -> float:
    """How strongly two ideas' 2-grams match (0: too different), places and asks aside."""
    inter = WEIGHT * len(a.distinctive & b.distinctive) + COMMON_WEIGHT * len(a.common & b.common)
    return float(_score(inter, a.weight, b.weight, len(a.distinctive), len(b.distinctive), config))


# ------------------------------------------------------------------ learned boilerplate


def boilerplate_candidates(sentences: Iterable[str], config: DuplicateConfig) -> set[str]:
    """An idea's sentences that count towards the campaign's boilerplate: long enough for a
    sentence key (sentence_min_chars), and asking for nothing (no 建议, 希望 … see _ASK):
    a sentence that asks is what ideas are about, and one many ideas share is a popular
    proposal, which must still group its ideas rather than be taken out of them."""
    return {
        sentence
        for sentence in sentences
        if len(sentence) >= config.sentence_min_chars and not _ASK.search(sentence)
    }


@dataclass
class SentenceCounts:
    """How many distinct ideas hold each candidate sentence (see count_sentences)."""

    ideas: int  # texts read
    distinct: int  # distinct normalised texts: an exact repeat counts once
    keys: np.ndarray  # int64 exact_key() of each sentence, sorted
    holders: np.ndarray  # int64 distinct ideas holding it


def count_sentences(
    texts: Iterable[str], config: DuplicateConfig, progress: Callable[[int], None] | None = None
) -> SentenceCounts:
    """Count, over the texts, the distinct ideas holding each boilerplate candidate.

    Ideas are told apart by their normalised text (``exact_key``): an idea resent 50 times
    counts once, or a single resent idea would become boilerplate. Only 16 bytes per
    (idea, sentence) are kept, as integer keys; ``sentence_texts`` finds the sentences of
    the keys wanted afterwards.
    """
    idea_parts, sentence_parts, every_idea = array("q"), array("q"), array("q")
    for count, text in enumerate(texts, start=1):
        sentences = normalised_sentences(text, drop_greetings=config.drop_greetings)
        idea = exact_key("".join(sentences))
        every_idea.append(idea)
        mine = [exact_key(sentence) for sentence in boilerplate_candidates(sentences, config)]
        sentence_parts.extend(mine)
        idea_parts.extend([idea] * len(mine))
        if progress and count % 10_000 == 0:
            progress(10_000)
    if progress and len(every_idea) % 10_000:
        progress(len(every_idea) % 10_000)
    distinct = len(_sorted_unique(np.frombuffer(every_idea, dtype=np.int64)))
    sentences = np.frombuffer(sentence_parts, dtype=np.int64)
    ideas = np.frombuffer(idea_parts, dtype=np.int64)
    # Unique (sentence, idea) pairs: an exact repeat, or a sentence twice in one idea,
    # holds a sentence once.
    order = np.lexsort((ideas, sentences))
    sentences, ideas = sentences[order], ideas[order]
    first = np.ones(len(sentences), dtype=bool)
    first[1:] = (sentences[1:] != sentences[:-1]) | (ideas[1:] != ideas[:-1])
    sentences = sentences[first]
    new_run = np.ones(len(sentences), dtype=bool)
    new_run[1:] = sentences[1:] != sentences[:-1]
    starts = np.flatnonzero(new_run)
    holders = np.diff(np.r_[starts, len(sentences)]).astype(np.int64)
    return SentenceCounts(len(every_idea), distinct, sentences[starts], holders)


def count_bigrams(
    texts: Iterable[str], config: DuplicateConfig, progress: Callable[[int], None] | None = None
) -> tuple[int, dict[int, int]]:
    """(distinct ideas, the number of distinct ideas using each 2-gram code), counted over
    the compared text (boilerplate sentences of ``config`` left out). Ideas are told apart by
    their normalised text, as in ``count_sentences``."""
    seen: set[int] = set()
    counts: dict[int, int] = {}
    batch = array("q")

    def flush():
        if batch:
            codes, found = np.unique(np.frombuffer(batch, dtype=np.int64), return_counts=True)
            for code, count in zip(codes.tolist(), found.tolist(), strict=True):
                counts[code] = counts.get(code, 0) + count
            del batch[:]

    for number, text in enumerate(texts, start=1):
        sentences = normalised_sentences(text, drop_greetings=config.drop_greetings)
        key = exact_key("".join(sentences))
        if key not in seen:
            seen.add(key)
            batch.extend(_bigram_codes("".join(compared_sentences(sentences, config))))
            if len(batch) >= 5_000_000:
                flush()
        if progress and number % 10_000 == 0:
            progress(10_000)
    flush()
    return len(seen), counts


def sentence_texts(
    texts: Iterable[str], keys: Iterable[int], config: DuplicateConfig
) -> dict[int, str]:
    """The normalised sentence of each key (``exact_key``), reading the texts only until
    every key is found (boilerplate is found early: many ideas hold it)."""
    wanted, found = set(keys), {}
    for text in texts:
        if not wanted:
            break
        sentences = normalised_sentences(text, drop_greetings=config.drop_greetings)
        for sentence in boilerplate_candidates(sentences, config):
            key = exact_key(sentence)
            if key in wanted:
                found[key] = sentence
                wanted.discard(key)
    return found


def boilerplate_threshold(distinct: int, min_ideas: int, share: float) -> int:
    """Distinct ideas a sentence must be held by to be boilerplate: at least ``min_ideas``,
    and at least ``share`` of the campaign's distinct ideas (rounded up)."""
    return max(min_ideas, int(np.ceil(share * distinct)))


def learn_common(
    texts: Sequence[str], config: DuplicateConfig, *, min_ideas: int = 20, share: float = 0.10
) -> frozenset[int]:
    """The 2-gram codes at least ``boilerplate_threshold(distinct, min_ideas, share)``
    distinct ideas use, counted without ``config.boilerplate``, as the portal learns them;
    ``DuplicateConfig(learned_common=…)`` then weighs them as common words."""
    distinct, used = count_bigrams(texts, config)
    threshold = boilerplate_threshold(distinct, min_ideas, share)
    return frozenset(code for code, count in used.items() if count >= threshold)


def learn_boilerplate(
    texts: Sequence[str], config: DuplicateConfig, *, min_ideas: int = 20, share: float = 0.005
) -> dict[str, int]:
    """The boilerplate of a set of texts, without a database: each sentence held by at
    least ``boilerplate_threshold`` distinct ideas, with the number holding it.
    ``DuplicateConfig(boilerplate=frozenset(learned))`` then applies it."""
    counts = count_sentences(texts, config)
    threshold = boilerplate_threshold(counts.distinct, min_ideas, share)
    chosen = counts.holders >= threshold
    found = sentence_texts(texts, counts.keys[chosen].tolist(), config)
    return {
        found[key]: holders
        for key, holders in zip(
            counts.keys[chosen].tolist(), counts.holders[chosen].tolist(), strict=True
        )
    }


# ---------------------------------------------------------------------- MinHash and LSH


def _spread(codes: np.ndarray) -> np.ndarray:
    """Map 2-gram codes to well-spread 32-bit values (as uint64)."""
    with np.errstate(over="ignore"):
        return (codes.astype(np.uint64) * _GOLDEN) >> np.uint64(32)


def _minhash(values: np.ndarray, indptr: np.ndarray, config: DuplicateConfig) -> np.ndarray:
    """Signatures (docs x num_perm, uint32) of the flattened distinctive codes.

    ``values`` holds every document's codes back to back, ``indptr`` where each starts
    (CSR layout). Documents without codes get an all-ones signature; callers skip them.
    """
    n = len(indptr) - 1
    sig = np.full((n, config.num_perm), 0xFFFFFFFF, dtype=np.uint32)
    nonempty = np.flatnonzero(np.diff(indptr) > 0)
    if len(values) == 0:
        return sig
    h = _spread(values)
    starts = indptr[nonempty]
    with np.errstate(over="ignore"):
        for k in range(config.num_perm):
            hashed = (h * config.perm_a[k] + config.perm_b[k]) >> np.uint64(32)
            sig[nonempty, k] = np.minimum.reduceat(hashed, starts).astype(np.uint32)
    return sig


def _band_keys(sig: np.ndarray, config: DuplicateConfig, chunk: int = 50_000) -> np.ndarray:
    """One signed 63-bit key per (document, band); equal keys make candidates.

    A block of documents at a time: the signatures widened to 64 bits take 8 times
    their own size (512 MB at 1,000,000 ideas)."""
    n = sig.shape[0]
    keys = np.empty((n, config.bands), dtype=np.int64)
    for start in range(0, n, chunk):
        part = sig[start : start + chunk]
        rows = part.reshape(len(part), config.bands, config.band_rows).astype(np.uint64)
        with np.errstate(over="ignore"):
            acc = (np.arange(1, config.bands + 1, dtype=np.uint64) * _GOLDEN)[None, :].repeat(
                len(part), 0
            )
            for r in range(config.band_rows):
                acc = (acc ^ rows[:, :, r]) * _MIX
                acc ^= acc >> np.uint64(31)
        # 40-bit keys: a chance collision only adds a candidate that verification drops,
        # and (key, position) then packs into one int64, so the rebuild sorts plain integers.
        keys[start : start + len(part)] = (acc >> np.uint64(24)).astype(np.int64)
    return keys


def minhash(shingled: Shingles, config: DuplicateConfig) -> np.ndarray:
    """MinHash signature (num_perm uint32) of one idea's distinctive 2-grams: the values
    ``_minhash`` gives, in one step over a (2-grams x num_perm) block instead of a loop
    over the permutations (0.5 ms an idea otherwise, on the per-idea check's path)."""
    if not shingled.distinctive:
        return np.full(config.num_perm, 0xFFFFFFFF, dtype=np.uint32)
    h = _spread(np.fromiter(shingled.distinctive, dtype=np.int64, count=len(shingled.distinctive)))
    with np.errstate(over="ignore"):
        hashed = (h[:, None] * config.perm_a[None, :] + config.perm_b[None, :]) >> np.uint64(32)
    return hashed.min(axis=0).astype(np.uint32)


def band_keys(
    shingled: Shingles, config: DuplicateConfig, signature: np.ndarray | None = None
) -> list[int]:
    """LSH band keys of one idea (empty when it has no distinctive 2-gram); pass its
    ``minhash`` signature when it is already computed."""
    if not shingled.distinctive:
        return []
    if signature is None:
        signature = minhash(shingled, config)
    return _band_keys(signature[None, :], config)[0].tolist()


def signature_bytes(signature: np.ndarray) -> bytes:
    return signature.astype("<u4").tobytes()


def min_equal(distinct_a, distinct_b, config: DuplicateConfig) -> np.ndarray:
    """How many MinHash values two ideas with these numbers of distinctive 2-grams must
    share to be compared exactly (scalars or arrays alike; 0 stands for a number not
    known, and asks only min_agreement).

    The share of equal values estimates the Jaccard similarity of the distinctive 2-grams
    (standard error at most 0.5 / sqrt(num_perm): 0.0625 at 64). Two ideas match only at a
    Jaccard similarity of ``threshold``, or at a containment of ``containment`` (c), which
    for sizes s <= l is a Jaccard similarity of c·r / (1 + r·(1 - c)), r = s / l. The
    lower of the two, less agreement_slack (the sampling error, and the common 2-grams
    that weigh in the exact score but not in the signature), is asked for, and never less
    than min_agreement. Ideas of about equal size need 45 % instead of 30 %; an idea inside
    a letter 2.5 times as long still needs only 30 %. (At 1,000,000 bench ideas: 2.9 of
    18.5 million band pairs compared exactly instead of all, and no group changed.)
    """
    a = np.asarray(distinct_a, dtype=np.float64)
    b = np.asarray(distinct_b, dtype=np.float64)
    small, large = np.minimum(a, b), np.maximum(a, b)
    ratio = np.where(large > 0, small / np.maximum(large, 1), 0.0)
    c = config.containment
    contained = c * ratio / (1 + ratio * (1 - c)) if c <= 1 else np.inf
    need = np.minimum(config.threshold, contained) - config.agreement_slack
    least = np.ceil(config.min_agreement * config.num_perm)
    return np.maximum(least, np.ceil(need * config.num_perm)).astype(np.int64)


def agrees(
    a: np.ndarray,
    b: bytes | np.ndarray,
    config: DuplicateConfig,
    *,
    distinct_a: int,
    distinct_b: int,
) -> bool:
    """Whether two signatures agree enough to be compared exactly (see min_equal)."""
    other = np.frombuffer(b, dtype="<u4") if isinstance(b, bytes | memoryview) else b
    return int((a == other).sum()) >= int(min_equal(distinct_a, distinct_b, config))


def signatures_agreeing(
    a: np.ndarray,
    others: Sequence[bytes],
    config: DuplicateConfig,
    *,
    distinct: int,
    others_distinct: Sequence[int],
) -> np.ndarray:
    """``agrees`` for many stored signatures at once (a bool per signature)."""
    if not others:
        return np.zeros(0, dtype=bool)
    rows = np.frombuffer(b"".join(others), dtype="<u4").reshape(len(others), config.num_perm)
    return (rows == a).sum(axis=1) >= min_equal(distinct, others_distinct, config)


def band_holders(
    bands: Sequence[int], signatures: Sequence[bytes], config: DuplicateConfig
) -> dict[int, int]:
    """How many of the ideas with these signatures have each of these band keys among
    their own.

    Below band_key_cap this is how many store the key: an idea keeps every band key of its
    own that fewer than band_key_cap earlier ideas store. A key whose count reaches the cap
    is stored by exactly band_key_cap ideas, unless some of them have since been deleted."""
    counts = dict.fromkeys(bands, 0)
    if not bands or not signatures:
        return counts
    rows = np.frombuffer(b"".join(signatures), dtype="<u4").reshape(len(signatures), -1)
    theirs = _band_keys(rows, config)
    for band in counts:
        counts[band] = int((theirs == band).any(axis=1).sum())
    return counts


# --------------------------------------------------------------------- incremental rule


@dataclass(frozen=True)
class Match:
    """The earlier idea a new one joins, and how similar they are."""

    other_id: int
    similarity: float
    exact: bool
    semantic: bool = False  # found by the semantic stage (similarity is then a cosine)


def best_match(
    new: Shingles,
    *,
    exact_ids: Iterable[int],
    candidates: Iterable[tuple[int, Shingles]],
    config: DuplicateConfig,
    groups: Mapping[int, Shingles] | None = None,
) -> Match | None:
    """Apply the grouping rule to one idea, given its earlier exact repeats and candidates.

    ``groups`` maps a candidate to its group's representative when that is another idea:
    a candidate is taken only if the new idea conflicts neither with it nor with its
    representative (so a group never gathers different places through a link that names
    none). Candidates are tried best first: highest score, then earliest.
    """
    exact_ids = list(exact_ids)
    if exact_ids:
        return Match(min(exact_ids), 1.0, True)
    scored = []
    for other_id, other in candidates:
        sim = match_score(new, other, config)
        if sim > 0:
            scored.append((-sim, other_id))
    for negative_sim, other_id in sorted(scored):
        group = (groups or {}).get(other_id)
        if group is not None and conflict_reason(new, group, config):
            continue
        return Match(other_id, -negative_sim, False)
    return None


def best_semantic(
    new: Shingles,
    *,
    candidates: Iterable[tuple[int, float, Shingles]],
    config: DuplicateConfig,
    groups: Mapping[int, Shingles] | None = None,
) -> Match | None:
    """The semantic stage for an idea that has no lexical match.

    ``candidates`` are earlier ideas with their cosine (``semantic.cosines``) and features;
    the highest cosine at or above config.semantic_threshold wins (ties: the earliest),
    skipping any candidate that conflicts with the new idea, or whose group's
    representative (``groups``, as in ``best_match``) does: the model does not tell places,
    opposite terms or other asks apart, so the lexical stage's veto applies unchanged.
    """
    if not config.compares_meaning:
        return None
    for other_id, cosine, other in sorted(candidates, key=lambda c: (-c[1], c[0])):
        if cosine < config.semantic_threshold or conflict_reason(new, other, config):
            continue
        group = (groups or {}).get(other_id)
        if group is not None and conflict_reason(new, group, config):
            continue
        return Match(other_id, float(cosine), False, semantic=True)
    return None


# A new idea that resembles more groups than the one it joins proposes only the best few.
MAX_PROPOSALS = 3


def other_groups(
    new: Shingles,
    *,
    joined: int | None,
    candidates: Iterable[tuple[int, Shingles]],
    representatives: Mapping[int, int],
    config: DuplicateConfig,
    groups: Mapping[int, Shingles] | None = None,
) -> list[tuple[int, int, float]]:
    """Groups besides the one joined that the new idea also matches (best first).

    The rule joins one group only; these are offered to screeners as merge proposals,
    never merged on their own. Each entry is (that group's representative, the matching
    candidate, the score); a group whose representative conflicts with the new idea
    (places, contrast terms, asks) is left out, as ``best_match`` would leave it.
    """
    best: dict[int, tuple[float, int]] = {}
    for other_id, other in candidates:
        group = representatives.get(other_id)
        if group is None:  # (not ``or``: position 0 is a representative in MemoryIndex)
            group = other_id
        if group == joined:
            continue
        sim = match_score(new, other, config)
        if sim <= 0:
            continue
        rep = (groups or {}).get(other_id)
        if rep is not None and conflict_reason(new, rep, config):
            continue
        if group not in best or (-sim, other_id) < (-best[group][0], best[group][1]):
            best[group] = (sim, other_id)
    ranked = sorted(best.items(), key=lambda item: (-item[1][0], item[1][1]))
    return [(group, other_id, sim) for group, (sim, other_id) in ranked]


class MemoryIndex:
    """The per-idea check against an index held in memory, without a database.

    The same steps as the database check (suggestions.duplicates.services._check_one):
    exact repeat first; else candidates are the earlier ideas sharing an LSH band key
    (the first band_key_cap holders) whose MinHash signatures agree, plus those sharing a
    sentence key (the first sentence_key_cap holders only); then ``best_match``; after a
    lexical match, the merge proposals (``other_groups``, the best MAX_PROPOSALS). Ideas
    are numbered 0, 1, … in the order they are added; ``add`` returns the idea's
    representative.
    """

    def __init__(self, config: DuplicateConfig):
        self.config = config
        self._exact: dict[int, int] = {}
        self._keys: dict[int, list[int]] = {}
        self._shingles: list[Shingles] = []
        self._signatures: list[np.ndarray] = []
        self.representative: list[int] = []
        self.matches: list[Match | None] = []
        # (idea, representative of the group it joined, other group's representative, score)
        self.proposals: list[tuple[int, int, int, float]] = []

    def add(self, text: str) -> int:
        config = self.config
        position = len(self._shingles)
        sentences = normalised_sentences(text, drop_greetings=config.drop_greetings)
        key = exact_key("".join(sentences))  # the whole text: boilerplate included
        compared = compared_sentences(sentences, config)
        mine = shingles("".join(compared), config, sentences=compared)
        signature = minhash(mine, config)
        exact = self._exact.get(key)
        keys: list[int] = []
        candidates: set[int] = set()
        if exact is None:
            for band in band_keys(mine, config, signature):
                if len(self._keys.get(band, ())) < config.band_key_cap:
                    keys.append(band)
                candidates.update(
                    other
                    for other in self._keys.get(band, ())
                    if agrees(
                        signature,
                        self._signatures[other],
                        config,
                        distinct_a=len(mine.distinctive),
                        distinct_b=len(self._shingles[other].distinctive),
                    )
                )
            for sentence in sentence_keys(sentences, config):
                holders = self._keys.get(sentence, ())
                if len(holders) < config.sentence_key_cap:
                    keys.append(sentence)
                    candidates.update(holders)
        compared = [(other, self._shingles[other]) for other in sorted(candidates)]
        groups = {
            other: self._shingles[self.representative[other]]
            for other in candidates
            if self.representative[other] != other
        }
        match = best_match(
            mine,
            exact_ids=[] if exact is None else [exact],
            candidates=compared,
            config=config,
            groups=groups,
        )
        self._exact.setdefault(key, position)
        for indexed in keys:
            self._keys.setdefault(indexed, []).append(position)
        self._shingles.append(mine)
        self._signatures.append(signature)
        rep = position if match is None else self.representative[match.other_id]
        if match is not None and not match.exact and not match.semantic:
            found = other_groups(
                mine,
                joined=rep,
                candidates=compared,
                representatives={other: self.representative[other] for other in candidates},
                config=config,
                groups=groups,
            )[:MAX_PROPOSALS]
            self.proposals.extend((position, rep, group, score) for group, _other, score in found)
        self.representative.append(rep)
        self.matches.append(match)
        return rep


# ------------------------------------------------------------------------ full rebuild


@dataclass
class Grouping:
    """Result of grouping n texts given in id order (positions, not database ids)."""

    representative: np.ndarray  # int64 position of each text's representative
    similarity: np.ndarray  # float64, NaN for representatives
    candidate_pairs: int
    exact_keys: np.ndarray  # int64 per text
    band_keys: np.ndarray  # int64 (texts x bands); rows of texts without bands are unused
    has_bands: np.ndarray  # bool per text
    # bool (texts x bands): the band keys the text's index entry holds (it is among the
    # first band_key_cap texts holding the key).
    band_stored: np.ndarray
    signatures: np.ndarray  # uint32 (texts x num_perm)
    # Sentence keys kept for the index (the first sentence_key_cap holders of each):
    # position of the text and its key, one entry per (text, key).
    sentence_docs: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    sentence_keys: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    conflicts: int = 0  # pairs similar enough that their places or terms kept apart
    # Texts that joined their group through the semantic stage (empty when it is off).
    semantic: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    # Merge proposals, as the per-idea check makes them (``other_groups``, at most
    # MAX_PROPOSALS per idea): positions (the idea, the representative of the group it
    # joined, the representative of the other group), one row per proposal, and the
    # score of the other group's best candidate.
    proposals: np.ndarray = field(default_factory=lambda: np.zeros((0, 3), dtype=np.int64))
    proposal_scores: np.ndarray = field(default_factory=lambda: np.zeros(0))
    # How many distinctive 2-grams each signature was made from (see min_equal).
    distinct_grams: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))


def group_texts(
    texts: Sequence[str],
    config: DuplicateConfig,
    *,
    progress: Callable[[str], None] | None = None,
    chunk: int = 100_000,
    vectors: np.ndarray | None = None,
    processes: int = 1,
) -> Grouping:
    """Group texts (already in id order) with the rule above, vectorised.

    ``vectors``: the texts' stored sentence vectors (n x 512 int8, a row of zeros for a
    text without one) for the semantic stage (config.semantic_threshold > 0); texts
    without a vector take no part in it. ``processes``: how many worker processes
    normalise the texts (the same groups whatever the number).

    Memory stays O(number of 2-grams + candidate pairs): no Python object per pair.
    """
    say = progress or (lambda message: None)
    n = len(texts)
    if n >= 2**22:
        raise ValueError("group_texts packs positions into 22 bits; split the campaign.")
    shingled = _shingle_all(texts, config, say, processes)
    keys, earliest = shingled.exact_keys, shingled.earliest
    sentence_docs, sentence_keys_flat = shingled.sentence_docs, shingled.sentence_keys
    sig, distinct = shingled.signatures, shingled.distinct
    say(f"{len(shingled.columns)} distinct 2-grams per text in total")
    say(f"MinHash signatures ({config.num_perm} permutations) computed")
    bkeys = _band_keys(sig, config)
    # A later exact repeat can never be a better match than its earliest twin (same
    # 2-grams, and ties go to the earlier idea), so only first occurrences get bands.
    has_bands = (distinct > 0) & (earliest == np.arange(n))
    pairs, banded, band_stored = _band_candidates(bkeys, has_bands, sig, distinct, n, config, chunk)
    by_sentence = _bucket_pairs_flat(sentence_keys_flat & np.int64(2**40 - 1), sentence_docs, n)
    say(
        f"{banded} band collisions from {config.bands} LSH bands, "
        f"{len(pairs)} pairs agree on enough MinHash values (at least "
        f"{int(min_equal(0, 0, config))}/{config.num_perm}), {len(by_sentence)} share a sentence"
    )
    pairs = np.concatenate([pairs, by_sentence])
    banded += len(by_sentence)
    del by_sentence
    pairs.sort()  # in place: a sorted copy took 150 MB more at 1,000,000 ideas
    if len(pairs):
        pairs = pairs[np.r_[True, pairs[1:] != pairs[:-1]]]

    # The exact score of every candidate pair; only pairs that match are kept.
    first, second, sims = _matching_pairs(shingled, config, n, pairs, chunk // 4)
    del shingled, pairs
    say("candidate pairs verified")

    # Candidates of each doc, best first: highest score, then earliest.
    order = np.lexsort((first, -sims, second))
    first, second, sims = first[order], second[order], sims[order]
    runs = {}
    if len(second):
        run_starts = np.flatnonzero(np.r_[True, second[1:] != second[:-1]])
        run_ends = np.r_[run_starts[1:], len(second)]
        for begin, end in zip(run_starts.tolist(), run_ends.tolist(), strict=True):
            runs[int(second[begin])] = (begin, end)
    repeat = earliest < np.arange(n)
    checks = config.gazetteer is not None or config.ask_overlap > 0
    cache: dict[int, Shingles] = {}
    wanted = np.unique(np.concatenate([first, second])) if checks else first[:0]
    if processes > 1 and len(wanted) > _BLOCK:
        # The texts of the matching pairs, read for their places, terms and asks below:
        # worked out in the worker processes beforehand (the loop below is sequential).
        blocks = (
            [texts[position] for position in wanted[start : start + _BLOCK].tolist()]
            for start in range(0, len(wanted), _BLOCK)
        )
        found = chain.from_iterable(_in_workers(_conflict_features, blocks, config, processes))
        cache.update(zip(wanted.tolist(), found, strict=True))
        say(f"places, terms and asks of {len(wanted)} texts read in {processes} processes")

    def features(position: int) -> Shingles:  # only what conflict_reason reads
        if position not in cache:
            cache[position] = _conflict_features([texts[position]], config)[0]
        return cache[position]

    semantic = (
        _semantic_pairs(vectors, repeat, config.semantic_threshold)
        if vectors is not None and config.compares_meaning
        else {}
    )
    if semantic:
        say(f"{sum(map(len, semantic.values()))} semantic candidate pairs")
    rep_list = list(range(n))
    proposal_rows, proposal_scores = array("q"), array("d")  # (via, joined, other) flat
    match_sim = np.full(n, np.nan)
    by_meaning = np.zeros(n, dtype=bool)
    conflicts = 0
    # Indexed one candidate at a time: lists of every pair would hold a Python int each.
    first_list, sims_list = first, sims
    for pos in sorted(set(runs) | set(np.flatnonzero(repeat).tolist()) | set(semantic)):
        if repeat[pos]:  # exact repeats win: the earliest text with the same normalised text
            rep_list[pos] = rep_list[int(earliest[pos])]
            match_sim[pos] = 1.0
            continue
        begin, end = runs.get(pos, (0, 0))
        for k in range(begin, end):
            other = first_list[k]
            group = rep_list[other]
            if checks and (
                conflict_reason(features(pos), features(other), config)
                or (group != other and conflict_reason(features(pos), features(group), config))
            ):
                conflicts += 1
                continue
            rep_list[pos] = group
            match_sim[pos] = sims_list[k]
            # The other groups its remaining candidates belong to become merge proposals,
            # as other_groups gives them to the per-idea check: the run is ordered by
            # (-score, candidate), so a group's first candidate without a conflict is its
            # best one, and groups come best first. (The candidates before k conflict with
            # the idea or with their group's representative: other_groups skips them too.)
            proposed = {group}
            for j in range(k + 1, end):
                if len(proposed) > MAX_PROPOSALS:
                    break
                other = first_list[j]
                other_group = rep_list[other]
                if other_group in proposed or (
                    checks
                    and (
                        conflict_reason(features(pos), features(other), config)
                        or (
                            other_group != other
                            and conflict_reason(features(pos), features(other_group), config)
                        )
                    )
                ):
                    continue
                proposed.add(other_group)
                proposal_rows.extend((pos, group, other_group))
                proposal_scores.append(sims_list[j])
            break
        else:
            if pos not in semantic:
                continue
            found = best_semantic(
                features(pos),
                candidates=[(other, cos, features(other)) for other, cos in semantic.get(pos, ())],
                config=config,
                groups={
                    other: features(rep_list[other])
                    for other, _cos in semantic.get(pos, ())
                    if rep_list[other] != other
                },
            )
            if found is not None:
                rep_list[pos] = rep_list[found.other_id]
                match_sim[pos] = found.similarity
                by_meaning[pos] = True
    if checks:
        say(f"{conflicts} similar candidates kept apart by places, terms or asks")
    representative = np.array(rep_list, dtype=np.int64)
    say("groups assigned")
    return Grouping(
        representative,
        match_sim,
        banded,
        keys,
        bkeys,
        has_bands,
        band_stored,
        sig,
        sentence_docs,
        sentence_keys_flat,
        conflicts,
        by_meaning,
        proposals=np.frombuffer(proposal_rows, dtype=np.int64).reshape(-1, 3).copy(),
        proposal_scores=np.frombuffer(proposal_scores, dtype=np.float64).copy(),
        distinct_grams=distinct,
    )


def _semantic_pairs(
    vectors: np.ndarray, repeat: np.ndarray, threshold: float
) -> dict[int, list[tuple[int, float]]]:
    """For each text with a vector (not an exact repeat): the earlier texts with a vector
    whose cosine reaches the threshold. Brute force in blocks; the cosines are computed as
    ``semantic.cosines`` computes them (exact integer dot products, then float64), so the
    rebuild and the per-idea check compare the same numbers."""
    vectors = np.asarray(vectors).reshape(len(repeat), -1)
    held = np.flatnonzero(vectors.any(axis=1))
    if len(held) < 2:
        return {}
    matrix = vectors[held].astype(np.float32)
    squares = np.einsum("ij,ij->i", matrix, matrix).astype(np.float64)
    found: dict[int, list[tuple[int, float]]] = {}
    start = 1
    while start < len(held):
        # About 4 million cosines (32 MB) per block.
        stop = min(start + max(64, 4_000_000 // (start + 64)), len(held))
        dots = (matrix[start:stop] @ matrix[:stop].T).astype(np.float64)
        norms = np.sqrt(squares[:stop][None, :] * squares[start:stop][:, None])
        cos = dots / norms
        # Only earlier texts: column j < row i.
        cos[np.arange(stop)[None, :] >= np.arange(start, stop)[:, None]] = -np.inf
        rows, cols = np.nonzero(cos >= threshold)
        for row, col in zip(rows.tolist(), cols.tolist(), strict=True):
            pos = int(held[start + row])
            if not repeat[pos]:
                found.setdefault(pos, []).append((int(held[col]), float(cos[row, col])))
        start = stop
    return found


# np.unique and np.isin were 10-70x slower than a plain sort on this numpy build, so
# these helpers use np.sort / np.searchsorted.
def _sorted_unique(values: np.ndarray) -> np.ndarray:
    values = np.sort(values)
    if len(values) < 2:
        return values
    keep = np.empty(len(values), dtype=bool)
    keep[0] = True
    np.not_equal(values[1:], values[:-1], out=keep[1:])
    return values[keep]


def _member(values: np.ndarray, sorted_set: np.ndarray) -> np.ndarray:
    if not len(sorted_set):
        return np.zeros(len(values), dtype=bool)
    index = np.minimum(np.searchsorted(sorted_set, values), len(sorted_set) - 1)
    return sorted_set[index] == values


def _earliest_equal(keys: np.ndarray) -> np.ndarray:
    """For each position, the first position holding the same key."""
    order = np.argsort(keys, kind="stable")
    ordered = keys[order]
    new_run = np.ones(len(keys), dtype=bool)
    new_run[1:] = ordered[1:] != ordered[:-1]
    run_first = order[np.maximum.accumulate(np.where(new_run, np.arange(len(keys)), 0))]
    earliest = np.empty(len(keys), dtype=np.int64)
    earliest[order] = run_first
    return earliest


def _capped_sentence_keys(docs, keys, earliest, cap):
    """(doc, key) of first occurrences, only the first ``cap`` holders of each key."""
    first = earliest[docs] == docs
    docs, keys = docs[first], keys[first]
    if not len(docs):
        return docs, keys
    order = np.lexsort((docs, keys))
    docs, keys = docs[order], keys[order]
    new_run = np.ones(len(keys), dtype=bool)
    new_run[1:] = keys[1:] != keys[:-1]
    run_start = np.maximum.accumulate(np.where(new_run, np.arange(len(keys)), 0))
    keep = np.arange(len(keys)) - run_start < cap
    return docs[keep], keys[keep]


@dataclass
class _Shingled:
    """Every text's 2-grams and what the rebuild derives from them, in compact arrays."""

    # Each text's distinct 2-grams as a sparse row (CSR): ``columns`` number them (int32,
    # in the order the campaign first used them, sorted within a row), ``roots`` hold the
    # square root of their weight (int8: 2 for WEIGHT, 1 for COMMON_WEIGHT), so that the
    # product of two rows is the weight of each 2-gram both hold.
    columns: np.ndarray
    roots: np.ndarray
    indptr: np.ndarray  # int64 (n + 1): where each text's 2-grams start
    distinct: np.ndarray  # int64: distinctive (not common) 2-grams per text
    totals: np.ndarray  # int64: each text's weight (WEIGHT or COMMON_WEIGHT per 2-gram)
    signatures: np.ndarray  # uint32 (n x num_perm) MinHash of the distinctive 2-grams
    exact_keys: np.ndarray  # int64
    earliest: np.ndarray  # int64: the first position with the same exact key
    sentence_docs: np.ndarray  # capped sentence keys: (position, key) pairs
    sentence_keys: np.ndarray


_BLOCK = 20_000  # texts normalised and shingled at a time


def _normalise_block(
    texts: Sequence[str], config: DuplicateConfig
) -> tuple[array, list[str], array, array]:
    """The per-text part of _shingle_all for one block (plain Python, the larger part of
    the time): the exact keys, the compared texts, and the sentence keys as (position in
    the block, key) pairs."""
    exact_keys, compared_texts, key_docs, key_values = array("q"), [], array("q"), array("q")
    for position, raw in enumerate(texts):
        sentences = normalised_sentences(raw, drop_greetings=config.drop_greetings)
        text = "".join(sentences)
        exact_keys.append(exact_key(text))  # the whole text: boilerplate included
        compared = compared_sentences(sentences, config)
        compared_texts.append(text if compared is sentences else "".join(compared))
        mine = sentence_keys(sentences, config)
        if mine:
            key_values.extend(mine)
            key_docs.extend([position] * len(mine))
    return exact_keys, compared_texts, key_docs, key_values


def _conflict_features(texts: Sequence[str], config: DuplicateConfig) -> list[Shingles]:
    """What conflict_reason reads of each text: its places and terms, and its asks."""
    found = []
    for text in texts:
        sentences = compared_sentences(
            normalised_sentences(text, drop_greetings=config.drop_greetings), config
        )
        found.append(
            Shingles(
                frozenset(),
                frozenset(),
                _terms("".join(sentences), config),
                _asks(sentences, config),
            )
        )
    return found


_worker_config: DuplicateConfig | None = None
T = TypeVar("T")


def _start_worker(config: DuplicateConfig) -> None:
    global _worker_config
    _worker_config = config


def _run_in_worker(
    function: Callable[[Sequence[str], DuplicateConfig], T], encoded: list[bytes]
) -> T:
    assert _worker_config is not None  # noqa: S101 - set by the pool's initializer
    return function([text.decode() for text in encoded], _worker_config)


def _in_workers(
    function: Callable[[Sequence[str], DuplicateConfig], T],
    blocks: Iterable[Sequence[str]],
    config: DuplicateConfig,
    processes: int,
) -> Iterator[T]:
    """``function(block, config)`` of each block of texts, in order, in ``processes`` worker
    processes, while the caller works on the results already back. At most two blocks
    per process are in flight, so the texts are not all copied at once."""
    # "spawn": a fresh interpreter with only this module, not a copy of the caller (a
    # forked Django process would share its database connections and count its memory).
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(
        processes, mp_context=context, initializer=_start_worker, initargs=(config,)
    ) as pool:
        pending: deque[Future] = deque()
        for block in blocks:
            # Sent as bytes: pickling a str caches its UTF-8 copy inside the caller's
            # string, which stays for as long as the texts do (300 MB at 1,000,000).
            encoded = [text.encode() for text in block]
            pending.append(pool.submit(_run_in_worker, function, encoded))
            if len(pending) >= 2 * processes:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def _normalised_blocks(
    texts: Sequence[str], config: DuplicateConfig, processes: int
) -> Iterator[tuple[array, list[str], array, array]]:
    """_normalise_block of each block of _BLOCK texts, in order; with ``processes`` > 1 and
    more than one block, in worker processes (see _in_workers)."""
    starts = range(0, len(texts), _BLOCK)
    if processes <= 1 or len(starts) <= 1:
        for start in starts:
            yield _normalise_block(texts[start : start + _BLOCK], config)
        return
    blocks = (texts[start : start + _BLOCK] for start in starts)
    yield from _in_workers(_normalise_block, blocks, config, processes)


def _shingle_all(
    texts: Sequence[str], config: DuplicateConfig, say, processes: int = 1
) -> _Shingled:
    """Normalise, shingle and MinHash the texts a block at a time.

    Normalised strings and per-block temporaries are dropped as each block is done; a
    text's 2-grams are kept as 4-byte column numbers and 1-byte weights, so memory grows
    with the number of 2-grams (5 bytes each) and the vocabulary.
    """
    n = len(texts)
    # An upper bound of the 2-gram count: a text has fewer distinct 2-grams than
    # characters. Pages of these buffers that are never written are never resident.
    capacity = max(sum(map(len, texts)), 1)
    columns = np.empty(capacity, dtype=np.int32)
    roots = np.empty(capacity, dtype=np.int8)
    used = 0
    # The 2-gram codes seen so far, sorted, with the column each was given.
    vocabulary = np.zeros(0, dtype=np.int64)
    column_of = np.zeros(0, dtype=np.int32)
    indptr = np.zeros(n + 1, dtype=np.int64)
    distinct = np.zeros(n, dtype=np.int64)
    totals = np.zeros(n, dtype=np.int64)
    signatures = np.full((n, config.num_perm), 0xFFFFFFFF, dtype=np.uint32)
    exact_keys = np.zeros(n, dtype=np.int64)
    # (doc, sentence key) pairs, packed 8 bytes each rather than as Python ints.
    sentence_doc_parts, sentence_key_parts = array("q"), array("q")
    blocks = _normalised_blocks(texts, config, processes)
    for start, (block_keys, block, key_docs, key_values) in zip(
        range(0, n, _BLOCK), blocks, strict=True
    ):
        stop = min(start + _BLOCK, n)
        sentence_key_parts.extend(key_values)
        sentence_doc_parts.extend(start + doc for doc in key_docs)
        exact_keys[start:stop] = np.frombuffer(block_keys, dtype=np.int64)
        # UTF-32 code points, pairs within a text, unique (doc, code) sorted by doc, code.
        lengths = np.fromiter((len(s) for s in block), dtype=np.int64, count=len(block))
        points = np.frombuffer("".join(block).encode("utf-32-le"), dtype=np.uint32)
        del block
        doc_of_point = np.repeat(np.arange(len(lengths), dtype=np.int64), lengths)
        same_doc = doc_of_point[:-1] == doc_of_point[1:]
        block_codes = points[:-1][same_doc].astype(np.int64) * CODE_BASE + points[1:][same_doc]
        packed = _sorted_unique((doc_of_point[:-1][same_doc] << np.int64(41)) | block_codes)
        del points, doc_of_point, same_doc, block_codes
        block_codes, block_docs = packed & np.int64(2**41 - 1), packed >> np.int64(41)
        del packed
        counts = np.bincount(block_docs, minlength=stop - start)
        common = _member(block_codes, config.common_codes)
        distinct[start:stop] = np.bincount(block_docs[~common], minlength=stop - start)
        totals[start:stop] = WEIGHT * distinct[start:stop] + COMMON_WEIGHT * (
            counts - distinct[start:stop]
        )
        dist_indptr = np.zeros(stop - start + 1, dtype=np.int64)
        np.cumsum(distinct[start:stop], out=dist_indptr[1:])
        signatures[start:stop] = _minhash(block_codes[~common], dist_indptr, config)
        # New 2-grams get the next column numbers; the vocabulary stays sorted.
        new = _sorted_unique(block_codes)
        new = new[~_member(new, vocabulary)]
        at = np.searchsorted(vocabulary, new)
        vocabulary = np.insert(vocabulary, at, new)
        column_of = np.insert(
            column_of, at, np.arange(len(column_of), len(column_of) + len(new), dtype=np.int32)
        )
        block_columns = column_of[np.searchsorted(vocabulary, block_codes)].astype(np.int64)
        # Sorted within each text, as sparse products expect (canonical CSR rows).
        order = np.argsort((block_docs << np.int64(32)) | block_columns)
        columns[used : used + len(order)] = block_columns[order]
        roots[used : used + len(order)] = np.where(common[order], 1, 2)
        indptr[start + 1 : stop + 1] = used + np.cumsum(counts)
        used += len(order)
        del block_codes, block_docs, block_columns, order, common
    say(f"normalised {n} texts")
    earliest = _earliest_equal(exact_keys)
    sentence_docs, sentence_keys_flat = _capped_sentence_keys(
        np.frombuffer(sentence_doc_parts, dtype=np.int64).copy(),
        np.frombuffer(sentence_key_parts, dtype=np.int64).copy(),
        earliest,
        config.sentence_key_cap,
    )
    return _Shingled(
        columns[:used],
        roots[:used],
        indptr,
        distinct,
        totals,
        signatures,
        exact_keys,
        earliest,
        sentence_docs,
        sentence_keys_flat,
    )


def _band_candidates(
    bkeys: np.ndarray,
    has_bands: np.ndarray,
    sig: np.ndarray,
    distinct: np.ndarray,
    n: int,
    config: DuplicateConfig,
    chunk: int,
) -> tuple[np.ndarray, int, np.ndarray]:
    """Unique (earlier * n + later) pairs sharing a band key whose signatures agree (the
    earlier one among the key's first band_key_cap holders), the number of band
    collisions looked at, and which band keys each text's entry stores (n x bands).

    One band at a time, and each slice of a band's pairs checked for agreement before the
    next is made: the collisions are never all held at once.
    """
    docs = np.flatnonzero(has_bands)
    stored = np.zeros(bkeys.shape, dtype=bool)
    kept, collisions, cap = [np.zeros(0, dtype=np.int64)], 0, config.band_key_cap
    for band in range(bkeys.shape[1]):
        for pairs in _run_pairs(bkeys[docs, band], docs, n, cap=cap, first=stored[:, band]):
            collisions += len(pairs)
            kept.append(_agreeing_pairs(pairs, sig, distinct, n, config, chunk))
    pairs = np.concatenate(kept)
    del kept
    pairs.sort()  # in place: one copy of the agreeing pairs fewer at the peak
    pairs = pairs[np.r_[True, pairs[1:] != pairs[:-1]]] if len(pairs) else pairs
    return pairs, collisions, stored


def _bucket_pairs_flat(keys: np.ndarray, docs: np.ndarray, n: int) -> np.ndarray:
    """Unique (earlier, later) pairs of docs sharing a key (keys < 2**40, docs < 2**23)."""
    return _sorted_unique(np.concatenate([np.zeros(0, dtype=np.int64), *_run_pairs(keys, docs, n)]))


def _run_pairs(
    keys: np.ndarray,
    docs: np.ndarray,
    n: int,
    max_pairs: int = 1_000_000,
    *,
    cap: int | None = None,
    first: np.ndarray | None = None,
) -> Iterator[np.ndarray]:
    """Every (earlier * n + later) pair of docs sharing a key (keys < 2**40, docs < 2**23),
    in slices of at most ``max_pairs`` (a doc with more earlier partners is a slice of its
    own); a pair sharing several keys comes once per key.

    With ``cap``, the earlier doc of a pair is one of the first ``cap`` docs holding the
    key; ``first`` (bool, indexed by doc) is then set for those first holders."""
    if not len(docs):
        return
    packed = np.sort((keys << np.int64(23)) | docs)
    flat_keys, flat_docs = packed >> np.int64(23), packed & np.int64(2**23 - 1)
    del packed
    new_run = np.ones(len(flat_keys), dtype=bool)
    new_run[1:] = flat_keys[1:] != flat_keys[:-1]
    del flat_keys
    run_start = np.maximum.accumulate(np.where(new_run, np.arange(len(new_run)), 0))
    earlier_count = np.arange(len(new_run)) - run_start  # earlier members of my run
    if cap is not None:
        if first is not None:
            first[flat_docs[earlier_count < cap]] = True
        earlier_count = np.minimum(earlier_count, cap)
    ends = np.cumsum(earlier_count)
    begin = 0
    while begin < len(earlier_count):
        base = int(ends[begin - 1]) if begin else 0
        end = max(int(np.searchsorted(ends, base + max_pairs, side="right")), begin + 1)
        counts = earlier_count[begin:end]
        total = int(counts.sum())
        if total:
            later = np.repeat(flat_docs[begin:end], counts)
            # Offsets 0..count-1 within each run, added to the run's start.
            offsets = np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)
            yield flat_docs[np.repeat(run_start[begin:end], counts) + offsets] * n + later
        begin = end


def _agreeing_pairs(
    pairs: np.ndarray,
    sig: np.ndarray,
    distinct: np.ndarray,
    n: int,
    config: DuplicateConfig,
    chunk: int,
) -> np.ndarray:
    keep = np.zeros(len(pairs), dtype=bool)
    for start in range(0, len(pairs), chunk):
        part = pairs[start : start + chunk]
        first, second = part // n, part % n
        equal = (sig[first] == sig[second]).sum(axis=1)
        keep[start : start + chunk] = equal >= min_equal(distinct[first], distinct[second], config)
    return pairs[keep]


def _matching_pairs(
    shingled: _Shingled, config: DuplicateConfig, n: int, pairs: np.ndarray, chunk: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The pairs (earlier, later positions) whose score is above zero, and the score.

    Scored a slice at a time: the per-pair temporaries of all pairs at once took about
    1.5 GB at 1,000,000 ideas."""
    from scipy import sparse

    width = int(shingled.columns.max()) + 1 if len(shingled.columns) else 1
    matrix = sparse.csr_matrix(
        (shingled.roots, shingled.columns, shingled.indptr), shape=(n, width)
    )
    totals, distinct = shingled.totals, shingled.distinct
    firsts, seconds, scores = [], [], []
    for start in range(0, len(pairs), chunk):
        part = pairs[start : start + chunk]
        first, second = part // n, part % n  # first < second
        # Roots multiply to the weight of each 2-gram both texts hold (2 x 2 or 1 x 1).
        inter = np.asarray(matrix[first].multiply(matrix[second]).sum(axis=1)).ravel()
        sims = _score(
            inter, totals[first], totals[second], distinct[first], distinct[second], config
        )
        good = sims > 0
        firsts.append(first[good])
        seconds.append(second[good])
        scores.append(sims[good])
    if not firsts:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0)
    return np.concatenate(firsts), np.concatenate(seconds), np.concatenate(scores)
