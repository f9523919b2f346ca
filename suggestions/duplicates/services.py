"""Near-duplicate grouping in the database: the incremental check, the catch-up, the full
rebuild, the screeners' decisions and the reads the admin and the bulk workflow need.

The algorithm is in suggestions/duplicates/algorithm.py (no Django there). Grouping state lives on
Suggestion: ``duplicate_of`` is the group's representative (the idea itself for a
representative or a lone idea, NULL while not yet checked) and ``duplicate_similarity``
the similarity to the earlier idea it matched (NULL for representatives).

Incremental and rebuild agree because both apply the same rule to ideas in id order
(see duplicates.py); the check of one idea first checks any earlier idea of the campaign
still unchecked, and checks of one campaign are serialised (an advisory lock on
PostgreSQL; SQLite serialises writers anyway), so no idea misses an earlier one.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from itertools import compress

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Max, Q, Subquery

from suggestions.duplicates.algorithm import (
    MAX_PROPOSALS,
    DuplicateConfig,
    Match,
    Shingles,
    band_holders,
    band_keys,
    best_match,
    best_semantic,
    compared_sentences,
    exact_key,
    lexical_score,
    minhash,
    normalised_sentences,
    other_groups,
    sentence_keys,
    shingles,
    signature_bytes,
    signatures_agreeing,
)
from suggestions.duplicates.index import index_lookup, index_store, stored_vectors
from suggestions.duplicates.semantic import cosines, encode, from_bytes, to_bytes
from suggestions.models import (
    BoilerplateKind,
    Campaign,
    DuplicateBoilerplate,
    DuplicateMergeProposal,
    DuplicateSignature,
    MergeProposalStatus,
    Suggestion,
)

logger = logging.getLogger(__name__)

_UNSET = object()


def duplicate_config(campaign_id: int | None = None, *, learned=_UNSET) -> DuplicateConfig:
    """The rule's parameters from the settings; given a campaign, with its learned
    boilerplate (suggestions.duplicates.boilerplate) when it has any.

    The campaign's sentences are cached with the configuration under their version (how
    many there are and when they were learned, one small indexed query per call, unless
    the caller read it already: ``learned``), so a worker uses a newly learned set from
    its next check on, without a restart.
    """
    if learned is not _UNSET:
        version = learned
    else:
        version = _boilerplate_version(campaign_id) if campaign_id is not None else None
    return _config(
        settings.DUPLICATES_THRESHOLD,
        settings.DUPLICATES_NUM_PERM,
        settings.DUPLICATES_BAND_ROWS,
        settings.DUPLICATES_SEMANTIC_THRESHOLD if settings.DUPLICATES_SEMANTIC else 0.0,
        campaign_id if version else None,
        version,
    )


def _learned(campaign_id: int):
    """The campaign's boilerplate as one group: its count and latest learned_at are its
    version (no row when it has none)."""
    learned = DuplicateBoilerplate.objects.filter(campaign_id=campaign_id).order_by()
    return learned.values("campaign_id")


def _boilerplate_version(campaign_id: int) -> tuple | None:
    """(number of sentences, latest learned_at) of the campaign's boilerplate; None: none."""
    found = _learned(campaign_id).annotate(count=Count("id"), at=Max("learned_at"))
    return next(iter(found.values_list("count", "at")), None)


def _unchecked_up_to(campaign_id: int, suggestion_id: int) -> tuple[list, tuple | None]:
    """The campaign's unchecked ideas up to this one, oldest first, as (id, content), and
    the version of its boilerplate, in one round trip (served by the partial index
    sugg_dup_unchecked and, once, by the boilerplate's)."""
    learned = _learned(campaign_id)
    rows = (
        Suggestion.objects.filter(
            campaign_id=campaign_id, duplicate_of__isnull=True, pk__lte=suggestion_id
        )
        .order_by("pk")
        .annotate(
            learned_count=Subquery(learned.annotate(n=Count("id")).values("n")),
            learned_at=Subquery(learned.annotate(at=Max("learned_at")).values("at")),
        )
        .values_list("pk", "content", "learned_count", "learned_at")
    )
    pending, version = [], None
    for pk, content, count, at in rows:
        pending.append((pk, content))
        version = (count, at) if count else None  # as _boilerplate_version gives it
    return pending, version


@lru_cache(maxsize=32)
def _config(
    threshold: float,
    num_perm: int,
    band_rows: int,
    semantic: float,
    campaign_id: int | None = None,
    version: tuple | None = None,  # part of the cache key only
) -> DuplicateConfig:
    learned = (
        DuplicateBoilerplate.objects.filter(campaign_id=campaign_id).values_list(
            "kind", "key", "sentence"
        )
        if campaign_id is not None
        else ()
    )
    boilerplate, common = set(), set()
    for kind, key, sentence in learned:
        if kind == BoilerplateKind.BIGRAM:
            common.add(key)
        else:
            boilerplate.add(sentence)
    return DuplicateConfig(
        threshold=threshold,
        num_perm=num_perm,
        band_rows=band_rows,
        semantic_threshold=semantic,
        boilerplate=frozenset(boilerplate),
        learned_common=frozenset(common),
    )


def comparable_text(content: str) -> str:
    """What is compared: the idea's content (titles are short and formulaic)."""
    return content or ""


# ------------------------------------------------------------------ incremental check


def suggestion_check_duplicates(*, suggestion_id: int) -> int | None:
    """Link one idea to its group; returns the representative's id (None if the idea is gone).

    Safe to run twice: an idea already checked is left as it is.
    """
    config = duplicate_config()
    # The idea's sentence vector is computed before the campaign is locked (60-175 ms).
    vector = _UNSET
    if config.semantic_threshold > 0:
        unchecked = Suggestion.objects.filter(pk=suggestion_id, duplicate_of__isnull=True)
        content = unchecked.values_list("content", flat=True).first()
        vector = _vector_of(content) if content is not None else _UNSET
    # Only a transaction of the check's own may commit without waiting for the disk.
    relaxed = not connection.in_atomic_block
    with transaction.atomic():
        campaign_id = _campaign_locked(suggestion_id, relaxed_commit=relaxed)
        if campaign_id is None:
            return None
        # This idea and any earlier one still unchecked (its task has not run yet, or the
        # broker was down), oldest first: otherwise this idea could not find them.
        pending, learned = _unchecked_up_to(campaign_id, suggestion_id)
        if not pending or pending[-1][0] != suggestion_id:
            return Suggestion.objects.values_list("duplicate_of_id", flat=True).get(
                pk=suggestion_id
            )
        config = duplicate_config(campaign_id, learned=learned)  # with its boilerplate
        representative = None
        for pk, content in pending:
            representative = _check_one(
                pk, campaign_id, content, config, vector if pk == suggestion_id else _UNSET
            )
        return representative


def suggestions_check_unchecked(*, campaign: Campaign | None = None) -> int:
    """Catch-up: check every idea whose duplicate_of is still NULL, oldest first."""
    pending = Suggestion.objects.filter(duplicate_of__isnull=True)
    if campaign is not None:
        pending = pending.filter(campaign=campaign)
    checked = 0
    for pk in pending.order_by("pk").values_list("pk", flat=True).iterator():
        suggestion_check_duplicates(suggestion_id=pk)  # one short transaction each
        checked += 1
    return checked


def _campaign_locked(suggestion_id: int, *, relaxed_commit: bool = False) -> int | None:
    """The idea's campaign, locked for duplicate checks (one round trip on PostgreSQL).

    With ``relaxed_commit`` (the check's transaction is its own), PostgreSQL commits it
    without waiting for its WAL to reach the disk (0.7 ms of a commit's median on the bench
    machine). A crash can lose only the last checks' results, all of a check or none of it;
    an idea left unchecked is checked again by the next check of its campaign or by the
    catch-up task. The idea itself was committed before, in a transaction of its own, and a
    screener's decision on a group flushes the WAL written before it."""
    if connection.vendor != "postgresql":
        return (
            Suggestion.objects.filter(pk=suggestion_id)
            .values_list("campaign_id", flat=True)
            .first()
        )
    table = connection.ops.quote_name(Suggestion._meta.db_table)
    # set_config(…, true) is SET LOCAL: this transaction only.
    relax = ", set_config('synchronous_commit', 'off', true)" if relaxed_commit else ""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT campaign_id, pg_advisory_xact_lock(%s, campaign_id::integer){relax} "  # noqa: S608
            f"FROM {table} WHERE id = %s",
            [_LOCK_SPACE, suggestion_id],
        )
        row = cursor.fetchone()
    return row[0] if row else None


_LOCK_SPACE = 0x6475706C  # "dupl": advisory lock key space of the duplicate checks


def duplicate_checks_lock(campaign_id: int) -> None:
    """Serialise with every duplicate check of the campaign until the transaction ends."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # Released at the end of the transaction.
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_LOCK_SPACE, campaign_id])


def compared_shingles(content: str, config: DuplicateConfig) -> Shingles:
    """An idea's 2-grams, terms and asks as the rule compares them (boilerplate left out)."""
    return _features(content, config)[2]


def _features(
    content: str, config: DuplicateConfig, *, conflicts: bool = True
) -> tuple[list[str], str, Shingles]:
    """The idea's normalised sentences, its normalised text (the exact key's, boilerplate
    included) and its 2-grams, terms and asks (boilerplate left out; without
    ``conflicts``, the 2-grams only)."""
    sentences = normalised_sentences(comparable_text(content), drop_greetings=config.drop_greetings)
    compared = compared_sentences(sentences, config)
    joined = "".join(compared)
    return (
        sentences,
        "".join(sentences),
        shingles(joined, config, sentences=compared, conflicts=conflicts),
    )


def _propose_merges(pk, campaign_id, joined, mine, candidates, representatives, groups, config):
    """The other groups the idea also matches become proposals for the desk, not merges.

    A pair of groups a screener has already accepted or rejected (either order, through
    any idea) is not proposed again: the rebuild leaves such pairs out the same way."""
    found = other_groups(
        mine,
        joined=joined,
        candidates=candidates,
        representatives=representatives,
        config=config,
        groups=groups,
    )[:MAX_PROPOSALS]
    if not found:
        return
    others = [group for group, _other, _score in found]
    decided = {
        frozenset(pair)
        for pair in DuplicateMergeProposal.objects.filter(campaign_id=campaign_id)
        .exclude(status=MergeProposalStatus.PENDING)
        .filter(Q(first_id=joined, second_id__in=others) | Q(second_id=joined, first_id__in=others))
        .values_list("first_id", "second_id")
    }
    DuplicateMergeProposal.objects.bulk_create(
        [
            DuplicateMergeProposal(
                campaign_id=campaign_id,
                via_id=pk,
                first_id=joined,
                second_id=group,
                similarity=round(score, 4),
            )
            for group, _other, score in found
            if frozenset((joined, group)) not in decided
        ],
        ignore_conflicts=True,
    )


def _vector_of(content: str) -> bytes | None:
    """The idea's stored vector (None: nothing to encode, or the model failed)."""
    try:
        return to_bytes(encode([comparable_text(content)])[0])
    except Exception:  # a broken text or model must not stop the lexical check
        logger.exception("could not encode an idea for the semantic duplicate stage")
        return None


def _semantic_match(
    pk: int, campaign_id: int, mine: Shingles, vector: bytes, config: DuplicateConfig
) -> tuple[Match, int | None] | None:
    """The semantic stage (an idea without a lexical match): the match and the
    representative of the idea matched."""
    ids, rows = stored_vectors(campaign_id, pk)
    cos = cosines(from_bytes([vector])[0], rows)
    near = {int(ids[i]): float(cos[i]) for i in (cos >= config.semantic_threshold).nonzero()[0]}
    if not near:
        return None
    candidates, groups, representatives = [], {}, {}
    rows = Suggestion.objects.filter(pk__in=near).values_list(
        "pk", "content", "duplicate_of_id", "duplicate_of__content"
    )
    for other, text, other_rep, rep_text in rows:
        candidates.append((other, near[other], _features(text, config)[2]))
        representatives[other] = other_rep
        if other_rep and other_rep != other:
            groups[other] = _features(rep_text, config)[2]
    match = best_semantic(mine, candidates=candidates, config=config, groups=groups)
    return None if match is None else (match, representatives[match.other_id])


def _check_one(
    pk: int, campaign_id: int, content: str, config: DuplicateConfig, vector=_UNSET
) -> int:
    if vector is _UNSET:
        vector = _vector_of(content) if config.semantic_threshold > 0 else None
    sentences, norm, mine = _features(content, config)
    key = exact_key(norm)
    signature = minhash(mine, config)
    bands = band_keys(mine, config, signature)
    own_sentences = sentence_keys(sentences, config)
    # The earliest earlier idea with the same normalised text and its representative or,
    # without one, the ideas sharing keys.
    found = index_lookup(
        campaign_id=campaign_id, exact_key=key, bands=bands, sentences=own_sentences, before=pk
    )
    exact = found.exact
    if exact:
        # A later exact repeat never beats its earliest twin, so it needs no keys.
        bands, own_sentences = [], []
    candidates: list[tuple[int, Shingles]] = []
    representatives: dict[int, int] = {}
    kept_sentences: list[int] = []
    agreeing: set[int] = set()
    if bands or own_sentences:
        holders: dict[int, set[int]] = {}
        for other, shared in found.sentences.items():
            for sentence in shared:
                holders.setdefault(sentence, set()).add(other)
        # Only the first sentence_key_cap holders of a sentence are indexed and compared
        # (the rebuild applies the same cap).
        sharing = set()
        for sentence in own_sentences:
            if len(holders.get(sentence, ())) < config.sentence_key_cap:
                kept_sentences.append(sentence)
                sharing |= holders.get(sentence, set())
        agree = signatures_agreeing(
            signature,
            found.signatures,
            config,
            distinct=len(mine.distinctive),
            others_distinct=found.distinct,
        )
        agreeing = sharing | set(compress(found.banded, agree))
        # Only the first band_key_cap holders of a band key store it (the rebuild applies
        # the same cap); this idea was compared with them all the same.
        held = band_holders(bands, found.signatures, config)
        bands = [band for band in bands if held[band] < config.band_key_cap]
    # A candidate is taken only if the idea conflicts neither with it nor with its group's
    # representative, whose text comes with the candidate (one join, no extra round trip).
    groups: dict[int, Shingles] = {}
    if agreeing:
        rows = Suggestion.objects.filter(pk__in=agreeing).values_list(
            "pk", "content", "duplicate_of_id", "duplicate_of__content"
        )
        compared: dict[int, Shingles] = {}  # a representative shared by candidates: once
        for other, text, other_rep, rep_text in rows:
            representatives[other] = other_rep
            # Most candidates are dismissed on their 2-grams alone; places, terms and asks
            # (a third of the time spent on a candidate) are read only for the others,
            # which leaves best_match and other_groups the same candidates with a score.
            if not lexical_score(mine, _features(text, config, conflicts=False)[2], config):
                continue
            compared[other] = _features(text, config)[2]
            candidates.append((other, compared[other]))
            if other_rep and other_rep != other:
                if other_rep not in compared:
                    compared[other_rep] = _features(rep_text, config)[2]
                groups[other] = compared[other_rep]
    match = best_match(
        mine,
        exact_ids=[exact[0]] if exact else [],
        candidates=candidates,
        config=config,
        groups=groups,
    )
    if match is None and vector is not None and config.compares_meaning:
        found = _semantic_match(pk, campaign_id, mine, vector, config)
        if found is not None:
            match, other_rep = found
            representatives[match.other_id] = other_rep
    if match is None:
        representative, similarity_value = pk, None
    else:
        other_rep = exact[1] if match.exact else representatives[match.other_id]
        representative = other_rep or match.other_id
        similarity_value = match.similarity
    if match is not None and not match.exact and not match.semantic:
        _propose_merges(
            pk, campaign_id, representative, mine, candidates, representatives, groups, config
        )
    # The idea's group, and its index entry (normally nothing to replace: an unchecked idea
    # has none yet).
    index_store(
        group=(representative, similarity_value),
        suggestion_id=pk,
        campaign_id=campaign_id,
        exact_key=key,
        minhash=signature_bytes(signature),
        distinct_grams=len(mine.distinctive),
        keys=bands + kept_sentences,
        vector=vector,
        semantic_match=match is not None and match.semantic,
    )
    return representative


def campaign_store_missing_vectors(
    *, campaign: Campaign, batch_size: int = 64, progress=None
) -> int:
    """Encode and store the sentence vector of every checked idea of the campaign that has
    none (loaded in bulk, or checked while the semantic stage was off). Groups are not
    touched: with a threshold below 1, `find_duplicates` afterwards uses the vectors.
    Returns how many vectors were stored; ideas with nothing comparable keep none."""
    pending = list(
        DuplicateSignature.objects.filter(campaign=campaign, vector__isnull=True)
        .order_by("suggestion_id")
        .values_list("suggestion_id", flat=True)
    )
    stored = 0
    for start in range(0, len(pending), batch_size):
        part = pending[start : start + batch_size]
        contents = dict(Suggestion.objects.filter(pk__in=part).values_list("pk", "content"))
        ids = [pk for pk in part if pk in contents]
        vectors = encode([comparable_text(contents[pk]) for pk in ids])
        for pk, vector in zip(ids, vectors, strict=True):
            blob = to_bytes(vector)
            if blob is not None:
                # Only where still missing: a check running meanwhile has stored its own.
                stored += DuplicateSignature.objects.filter(
                    suggestion_id=pk, vector__isnull=True
                ).update(vector=blob)
        if progress:
            progress(len(part))
    return stored
