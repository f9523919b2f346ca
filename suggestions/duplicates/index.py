"""Where the near-duplicate index keys live, and the one look-up the per-idea check makes.

PostgreSQL: one DuplicateSignature row per idea holds its keys as a bigint[] with a GIN
index (``keys && ARRAY[...]``); the signature comes back in the same round trip, and so
does the idea's earliest exact twin. Other
databases (SQLite, for development and tests): the same keys are also written one row per
key to DuplicateBand, whose btree serves the look-up. Either way DuplicateSignature.keys
holds every idea's keys, sorted. The layout was chosen by measurement (docs/duplicates.md).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from typing import NamedTuple

import numpy as np
from django.db import connection

from suggestions.duplicates.semantic import DIMENSIONS, from_bytes
from suggestions.models import DuplicateBand, DuplicateSignature, Suggestion

# An entry's columns besides its idea and campaign, in the order the rebuild copies them.
ENTRY_COLUMNS = ("exact_key", "minhash", "distinct_grams", "keys", "vector", "semantic_match")


def keys_in_arrays() -> bool:
    """Whether the database looks keys up in DuplicateSignature.keys (PostgreSQL)."""
    return connection.vendor == "postgresql"


class Found(NamedTuple):
    """What one look-up found among the campaign's earlier ideas."""

    banded: list[int]  # ideas sharing an LSH band key ...
    signatures: list[bytes]  # ... their MinHash signatures, in the same order ...
    distinct: list[int]  # ... and their numbers of distinctive 2-grams (0: not known)
    sentences: dict[int, set[int]]  # ideas sharing sentence keys -> the keys shared
    # The earliest earlier idea with the same exact key and its representative; when there
    # is one, nothing else is looked up (a later exact repeat never beats its first twin).
    exact: tuple[int, int | None] | None = None


def index_lookup(
    *,
    campaign_id: int,
    bands: Sequence[int],
    sentences: Sequence[int],
    before: int,
    exact_key: int | None = None,
) -> Found:
    """Earlier ideas of the campaign with the same exact key or, failing one, holding any
    of the band or sentence keys."""
    found = Found([], [], [], {})
    if exact_key is None and not bands and not sentences:
        return found
    if keys_in_arrays():
        return _lookup_arrays(found, campaign_id, bands, sentences, before, exact_key)
    if exact_key is not None:
        twin = (
            DuplicateSignature.objects.filter(
                campaign_id=campaign_id, exact_key=exact_key, suggestion_id__lt=before
            )
            .order_by("suggestion_id")
            .values_list("suggestion_id", "suggestion__duplicate_of_id")
            .first()
        )
        if twin is not None:
            return found._replace(exact=twin)
    wanted_sentences = set(sentences)
    wanted_bands = set(bands)
    banded: set[int] = set()
    for key, other in DuplicateBand.objects.filter(
        campaign_id=campaign_id, key__in=wanted_bands | wanted_sentences, suggestion_id__lt=before
    ).values_list("key", "suggestion_id"):
        if key in wanted_bands:
            banded.add(other)
        else:
            found.sentences.setdefault(other, set()).add(key)
    for other, signature, distinct in (
        DuplicateSignature.objects.filter(suggestion_id__in=banded)
        .order_by("suggestion_id")
        .values_list("suggestion_id", "minhash", "distinct_grams")
    ):
        found.banded.append(other)
        found.signatures.append(signature)
        found.distinct.append(distinct or 0)
    return found


def _lookup_arrays(found, campaign_id, bands, sentences, before, exact_key) -> Found:
    """The look-up on PostgreSQL: one round trip, the exact twin first."""
    table = DuplicateSignature._meta.db_table
    ideas = Suggestion._meta.db_table
    wanted_sentences = set(sentences)
    # An idea can collide on many band keys: the signature comes back only for rows sharing
    # a band, the keys array only for the few rows that share a sentence (at most
    # sentence_key_cap per sentence). Which band keys a row shares is told by its signature
    # (algorithm.band_holders), not by the database: testing each band against each row's
    # array took about 40 % of the look-up's server time. With an exact twin, the one-time
    # filter NOT EXISTS skips the key scan altogether.
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH twin AS (SELECT e.suggestion_id, s.duplicate_of_id FROM {table} e "  # noqa: S608
            f"JOIN {ideas} s ON s.id = e.suggestion_id "
            "WHERE e.campaign_id = %s AND e.exact_key = %s AND e.suggestion_id < %s "
            "ORDER BY e.suggestion_id LIMIT 1) "
            "SELECT suggestion_id, duplicate_of_id, NULL::bytea, NULL::integer, NULL::bigint[], "
            "true FROM twin UNION ALL "
            "SELECT suggestion_id, NULL, CASE WHEN keys && %s::bigint[] THEN minhash END, "
            "distinct_grams, CASE WHEN keys && %s::bigint[] THEN keys END, false "
            f"FROM {table} WHERE keys && %s::bigint[] AND campaign_id = %s "
            "AND suggestion_id < %s AND NOT EXISTS (SELECT FROM twin)",
            [
                *(campaign_id, exact_key, before),
                *(list(bands), list(sentences), [*bands, *sentences], campaign_id, before),
            ],
        )
        for other, twin_group, signature, distinct, held, is_twin in cursor.fetchall():
            if is_twin:
                return found._replace(exact=(other, twin_group))
            if signature is not None:
                found.banded.append(other)
                found.signatures.append(signature)
                found.distinct.append(distinct or 0)
            if held is not None:
                found.sentences[other] = wanted_sentences.intersection(held)
    return found


def index_store(
    *,
    suggestion_id: int,
    campaign_id: int,
    exact_key: int,
    minhash: bytes,
    distinct_grams: int,
    keys: Iterable[int],
    vector: bytes | None = None,
    semantic_match: bool = False,
    group: tuple[int, float | None] | None = None,
) -> None:
    """Write (or replace) one idea's entry; with ``group`` (representative, similarity),
    also the idea's group, in the same round trip on PostgreSQL."""
    keys = sorted(set(keys))
    if keys_in_arrays():
        entry = [exact_key, minhash, distinct_grams, keys, vector, semantic_match]
        _store_arrays(suggestion_id, campaign_id, entry, group)
        _forget_vector(campaign_id, suggestion_id)
        return
    if group is not None:
        Suggestion.objects.filter(pk=suggestion_id).update(
            duplicate_of_id=group[0], duplicate_similarity=group[1]
        )
    DuplicateSignature.objects.bulk_create(
        [
            DuplicateSignature(
                suggestion_id=suggestion_id,
                campaign_id=campaign_id,
                exact_key=exact_key,
                minhash=minhash,
                distinct_grams=distinct_grams,
                keys=keys,
                vector=vector,
                semantic_match=semantic_match,
            )
        ],
        update_conflicts=True,
        unique_fields=["suggestion"],
        update_fields=["campaign", *ENTRY_COLUMNS],
    )
    _forget_vector(campaign_id, suggestion_id)
    DuplicateBand.objects.filter(suggestion_id=suggestion_id).delete()
    DuplicateBand.objects.bulk_create(
        DuplicateBand(campaign_id=campaign_id, suggestion_id=suggestion_id, key=key) for key in keys
    )


def _store_arrays(suggestion_id: int, campaign_id: int, entry: list, group) -> None:
    """The upsert of index_store on PostgreSQL, with the group's UPDATE in the same statement."""
    table = DuplicateSignature._meta.db_table
    columns = ", ".join(ENTRY_COLUMNS)  # keys, the fourth, needs its type when empty
    grouped, grouping = "", []
    if group is not None:
        grouped = (
            f"WITH grouped AS (UPDATE {Suggestion._meta.db_table} "  # noqa: S608
            "SET duplicate_of_id = %s, duplicate_similarity = %s WHERE id = %s) "
        )
        grouping = [group[0], group[1], suggestion_id]
    with connection.cursor() as cursor:
        cursor.execute(
            f"{grouped}INSERT INTO {table} (suggestion_id, campaign_id, {columns}) "  # noqa: S608
            "VALUES (%s, %s, %s, %s, %s, %s::bigint[], %s, %s) ON CONFLICT (suggestion_id) DO "
            "UPDATE SET campaign_id = EXCLUDED.campaign_id, "
            + ", ".join(f"{column} = EXCLUDED.{column}" for column in ENTRY_COLUMNS),
            [*grouping, suggestion_id, campaign_id, *entry],
        )


def index_keys(suggestion_id: int) -> list[int]:
    """One idea's keys, sorted (empty if it is not indexed)."""
    row = DuplicateSignature.objects.filter(suggestion_id=suggestion_id).values_list(
        "keys", flat=True
    )
    return list(row.first() or [])


def index_entries(campaign_id: int | None = None) -> list[tuple[int, int]]:
    """Every (idea, key) of the index, sorted: for comparing two states in tests."""
    rows = DuplicateSignature.objects.all()
    if campaign_id is not None:
        rows = rows.filter(campaign_id=campaign_id)
    return sorted(
        (pk, key) for pk, keys in rows.values_list("suggestion_id", "keys") for key in keys
    )


# ------------------------------------------------------------------ semantic candidates
#
# Brute force over the campaign's stored vectors (exact, so the per-idea check finds what
# the rebuild finds; docs/duplicates-semantic.md has the measurements). The database rows
# are the source of truth: each check compares the count, sum and maximum of the ids of
# the campaign's stored vectors (one index-only scan of dupsig_vectors) with this
# process's copy; when they differ it reads the ids and fetches only the vectors it has
# not seen, so several worker nodes each keep their own copy of the same rows. A vector
# never changes once written except through index_store, which drops this process's
# cached copy; a deleted idea drops out with its id.

_vectors: dict[int, tuple[np.ndarray, np.ndarray]] = {}  # campaign -> (sorted ids, int8 rows)
_vectors_lock = threading.Lock()
_NO_IDS = np.zeros(0, dtype=np.int64)
_NO_ROWS = np.zeros((0, DIMENSIONS), dtype=np.int8)


def _forget_vector(campaign_id: int, suggestion_id: int) -> None:
    with _vectors_lock:
        ids, rows = _vectors.get(campaign_id, (_NO_IDS, _NO_ROWS))
        at = np.searchsorted(ids, suggestion_id)
        if at < len(ids) and ids[at] == suggestion_id:
            _vectors[campaign_id] = (np.delete(ids, at), np.delete(rows, at, axis=0))


def forget_vectors() -> None:
    """Drop every cached vector (tests; after a campaign's ideas were re-encoded)."""
    with _vectors_lock:
        _vectors.clear()


_VECTOR_IDS = "FROM {table} WHERE campaign_id = %s AND vector IS NOT NULL AND suggestion_id < %s"


def stored_vectors(campaign_id: int, before: int) -> tuple[np.ndarray, np.ndarray]:
    """The campaign's stored vectors of ideas with an id below ``before``: (ids, int8 rows)."""
    where = _VECTOR_IDS.format(table=DuplicateSignature._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(*), sum(suggestion_id), max(suggestion_id) {where}",  # noqa: S608
            [campaign_id, before],
        )
        count, total, highest = cursor.fetchone()
    with _vectors_lock:
        ids, rows = _vectors.get(campaign_id, (_NO_IDS, _NO_ROWS))
    below = int(np.searchsorted(ids, before))
    if below == count and (
        count == 0 or (int(ids[:below].sum()) == int(total) and int(ids[below - 1]) == highest)
    ):
        return ids[:below], rows[:below]
    sql = f"SELECT suggestion_id {where} ORDER BY suggestion_id"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [campaign_id, before])
        held = np.array([row[0] for row in cursor.fetchall()], dtype=np.int64)
    at = np.minimum(np.searchsorted(ids, held), max(len(ids) - 1, 0))
    known = (ids[at] == held) if len(ids) else np.zeros(len(held), dtype=bool)
    missing = held[~known]
    if len(missing):
        fetched_ids, blobs = [], []
        for start in range(0, len(missing), 5000):
            part = missing[start : start + 5000].tolist()
            for pk, blob in DuplicateSignature.objects.filter(suggestion_id__in=part).values_list(
                "suggestion_id", "vector"
            ):
                if blob is not None:
                    fetched_ids.append(pk)
                    blobs.append(blob)
        with _vectors_lock:
            ids, rows = _vectors.get(campaign_id, (_NO_IDS, _NO_ROWS))
            new_ids = np.array(fetched_ids, dtype=np.int64)
            keep = ~np.isin(new_ids, ids)
            ids = np.concatenate([ids, new_ids[keep]])
            rows = np.concatenate([rows, from_bytes(blobs)[keep]])
            order = np.argsort(ids, kind="stable")
            ids, rows = ids[order], rows[order]
            _vectors[campaign_id] = (ids, rows)
    if not len(held):
        return _NO_IDS, _NO_ROWS
    at = np.minimum(np.searchsorted(ids, held), len(ids) - 1)
    found = ids[at] == held  # a vector removed meanwhile is left out
    held, held_rows = held[found], rows[at[found]]
    with _vectors_lock:
        # The copy keeps exactly the database's ids below ``before`` (deleted ones go).
        ids, rows = _vectors.get(campaign_id, (_NO_IDS, _NO_ROWS))
        later = ids >= before
        _vectors[campaign_id] = (
            np.concatenate([held, ids[later]]),
            np.concatenate([held_rows, rows[later]]),
        )
    return held, held_rows
