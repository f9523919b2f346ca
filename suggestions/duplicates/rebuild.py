"""Rebuilding a campaign's near-duplicate groups in one pass (manage.py find_duplicates).

The rebuild and the per-idea check apply the same rule (suggestions.duplicates.algorithm)
to ideas in id order, so they agree, merge proposals included; screeners' splits and
merges are replayed after it.
"""

from __future__ import annotations

import hashlib
import io
import logging
from array import array
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from django.conf import settings
from django.db import connection, transaction

from suggestions.duplicates.algorithm import Grouping, group_texts
from suggestions.duplicates.decisions import _apply_merge, _apply_represent, _apply_split
from suggestions.duplicates.index import ENTRY_COLUMNS, forget_vectors, keys_in_arrays
from suggestions.duplicates.semantic import DIMENSIONS
from suggestions.duplicates.services import (
    comparable_text,
    duplicate_checks_lock,
    duplicate_config,
    suggestions_check_unchecked,
)
from suggestions.models import (
    Campaign,
    DuplicateAction,
    DuplicateBand,
    DuplicateDecision,
    DuplicateMergeProposal,
    DuplicateSignature,
    MergeProposalStatus,
    Suggestion,
)

if TYPE_CHECKING:
    from django.db.backends.utils import CursorWrapper
    from django.db.models import Model

logger = logging.getLogger(__name__)


@dataclass
class RebuildResult:
    ideas: int
    groups: int
    grouped_ideas: int  # ideas that are not their own representative
    candidate_pairs: int
    decisions_replayed: int
    merge_proposals: int = 0  # pending after the rebuild
    index_entries_written: int = 0


def campaign_rebuild_duplicates(
    *, campaign: Campaign, progress: Callable[[str], None] | None = None
) -> RebuildResult:
    """Recompute every group of a campaign from scratch, then replay screeners' decisions."""
    say = progress or (lambda message: None)
    config = duplicate_config(campaign.pk)  # with the campaign's boilerplate
    pks, texts = array("q"), []
    # Streamed: a list of a million (pk, content) rows would double the texts' memory.
    rows = Suggestion.objects.filter(campaign=campaign).order_by("pk").values_list("pk", "content")
    for pk, text in rows.iterator(chunk_size=_CHUNK):
        pks.append(pk)
        texts.append(comparable_text(text))
    ids = np.frombuffer(pks, dtype=np.int64).copy()
    del pks
    say(f"read {len(ids)} ideas")
    # Stored sentence vectors are kept, never recomputed (encoding costs 60-175 ms an
    # idea); ideas without one take no part in the semantic stage, as in the check.
    vectors = _stored_vectors(campaign, ids)
    say(f"{int(vectors.any(axis=1).sum())} stored sentence vectors read")
    grouping = group_texts(
        texts,
        config,
        progress=say,
        vectors=vectors if config.compares_meaning else None,
        processes=settings.DUPLICATES_REBUILD_PROCESSES,
    )
    del texts
    representative_ids = ids[grouping.representative]
    with transaction.atomic():
        duplicate_checks_lock(campaign.pk)
        entries = _write_index(campaign.pk, ids, grouping, vectors, say)
        say(f"index written ({entries} entries)")
        changed = _write_groups(campaign, ids, representative_ids, grouping.similarity)
        say(f"groups written ({changed} ideas changed)")
        proposals, removed = _write_proposals(campaign, ids, grouping)
        say(f"merge proposals written ({proposals} pending, {removed} stale ones removed)")
        replayed = _replay_decisions(campaign)
        if replayed:
            say(f"{replayed} screener decisions replayed")
        # Ideas that arrived while the texts were grouped were checked against the old
        # index, which is gone: they are checked again, against the new one.
        late = Suggestion.objects.filter(campaign=campaign, pk__gt=int(ids[-1]) if len(ids) else 0)
        late_count = late.update(duplicate_of=None, duplicate_similarity=None)
    forget_vectors()
    if changed >= max(VACUUM_AFTER, len(ids) // 10):
        _vacuum_suggestions(say)
    if late_count:
        suggestions_check_unchecked(campaign=campaign)
        say(f"{late_count} ideas that arrived during the rebuild checked")
    return RebuildResult(
        ideas=len(ids),
        groups=int(np.unique(representative_ids).size),
        grouped_ideas=int((representative_ids != ids).sum()),
        candidate_pairs=grouping.candidate_pairs,
        decisions_replayed=replayed,
        merge_proposals=proposals,
        index_entries_written=entries,
    )


_CHUNK = 20_000


def _stored_vectors(campaign: Campaign, ids: np.ndarray) -> np.ndarray:
    """The ideas' stored vectors, one int8 row per idea in ``ids`` (zeros: none stored)."""
    vectors = np.zeros((len(ids), DIMENSIONS), dtype=np.int8)
    rows = (
        DuplicateSignature.objects.filter(campaign=campaign, vector__isnull=False)
        .values_list("suggestion_id", "vector")
        .iterator(chunk_size=_CHUNK)
    )
    for pk, blob in rows:
        at = int(np.searchsorted(ids, pk))
        if at < len(ids) and ids[at] == pk:
            vectors[at] = np.frombuffer(bytes(blob), dtype=np.int8)
    return vectors


# A rebuild that rewrote at least this many groups (and a tenth of the campaign) vacuums.
VACUUM_AFTER = 10_000


def _vacuum_suggestions(say: Callable[[str], None]) -> None:
    """After many groups were rewritten, clean the dead row versions on PostgreSQL now.

    Every rewritten idea leaves a dead version of its row, and of its entry in the partial
    index of unchecked ideas that each check reads first: at 1,000,000 rewritten ideas that
    query took 9-13 ms instead of 0.3 ms until a VACUUM. Autovacuum gets there too, later
    (and not at all where it is off). Not inside a transaction (a test's, for one).
    """
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return
    table = connection.ops.quote_name(Suggestion._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM (ANALYZE) {table}")
    say("ideas' table vacuumed (dead row versions of the rewritten groups removed)")


def _remove_index(campaign_id: int) -> None:
    """Remove the campaign's index entries.

    On PostgreSQL, when no other campaign is indexed, TRUNCATE: deleted rows would stay in
    the files as dead tuples until a VACUUM FULL, so every rebuild would leave the table
    about twice its live size (measured: 321 MB instead of 160 MB at 150,000 ideas).
    """
    if (
        connection.vendor == "postgresql"
        and not DuplicateSignature.objects.exclude(campaign_id=campaign_id).exists()
        and not DuplicateBand.objects.exclude(campaign_id=campaign_id).exists()
    ):
        tables = [DuplicateSignature._meta.db_table, DuplicateBand._meta.db_table]
        with connection.cursor() as cursor:
            # Deferred foreign-key checks of rows written earlier in this transaction must
            # run first: TRUNCATE refuses a table with pending trigger events.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"TRUNCATE {', '.join(tables)}")
        return
    DuplicateBand.objects.filter(campaign_id=campaign_id)._raw_delete(DuplicateBand.objects.db)
    DuplicateSignature.objects.filter(campaign_id=campaign_id)._raw_delete(
        DuplicateSignature.objects.db
    )


@contextmanager
def _indexes_rebuilt_after(
    models_: Iterable[type[Model]], say: Callable[[str], None]
) -> Iterator[None]:
    """On PostgreSQL, drop the secondary indexes, load, then build them in one pass each.

    Building a btree once from sorted input is several times faster than maintaining it
    for millions of inserted rows. DROP INDEX locks the table until COMMIT, so checks of
    other campaigns wait for the rebuild (seconds; a rebuild is an operator's command).
    """
    if connection.vendor != "postgresql":
        yield
        return
    tables = [model._meta.db_table for model in models_]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = ANY(%s) "
            "AND indexname NOT IN (SELECT conname FROM pg_constraint)",
            [tables],
        )
        indexes = cursor.fetchall()
        for name, _definition in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
    yield
    with connection.cursor() as cursor:
        # Deferred foreign-key checks must run before an index can be built on the table.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
        for name, definition in indexes:
            cursor.execute(definition)
            say(f"index {name} built")
        # Fresh statistics: with those of the emptied table the planner combines the
        # campaign btree (every row of the campaign) with the GIN look-up, and a check
        # takes 25-90 ms instead of under 1 ms (measured at 300,000 ideas).
        for table in tables:
            cursor.execute(f'ANALYZE "{table}"')


# Above this share of entries to write, the index is rewritten from scratch (its indexes
# dropped and built again); below it, only the entries that differ are replaced.
REWRITE_INDEX_SHARE = 0.1


def _write_index(
    campaign_id: int,
    ids: np.ndarray,
    grouping: Grouping,
    vectors: np.ndarray,
    say: Callable[[str], None],
) -> int:
    """Write every idea's entry: its signature, sorted keys (LSH bands, then its capped
    sentence keys), stored vector and whether it matched semantically; on databases
    without key arrays, also one DuplicateBand row per key. Returns how many entries were
    written.

    On PostgreSQL, entries already stored as they would be written are left alone: with
    the ideas and the rule unchanged, a rebuild writes none, and building the GIN index
    over a million entries again took a quarter of such a rebuild (docs/duplicates.md).
    """
    entries = _IndexEntries(campaign_id, ids, grouping, vectors)
    differing = _differing_entries(campaign_id, ids, entries) if keys_in_arrays() else None
    if differing is not None:
        changed, others = differing
        say(f"index: {len(changed)} of {len(ids)} entries differ, only those rewritten")
        table = DuplicateSignature._meta.db_table
        removed = np.concatenate([ids[changed], others]).tolist()
        with connection.cursor() as cursor:
            for start in range(0, len(removed), _CHUNK):
                cursor.execute(
                    f"DELETE FROM {table} WHERE suggestion_id = ANY(%s)",  # noqa: S608
                    [removed[start : start + _CHUNK]],
                )
        _bulk_insert(table, _SIGNATURE_COLUMNS, map(_copy_row, entries.at(changed)))
        return len(changed)
    _remove_index(campaign_id)
    say("old index removed")
    with _indexes_rebuilt_after([DuplicateSignature, DuplicateBand], say):
        if keys_in_arrays():
            rows = map(_copy_row, entries.all())
            _bulk_insert(DuplicateSignature._meta.db_table, _SIGNATURE_COLUMNS, rows)
        else:
            rows_per_key: list[tuple[int, int, int]] = []
            rows = []
            for entry in entries.all():
                rows_per_key.extend((campaign_id, entry.pk, key) for key in entry.keys)
                rows.append(_plain_row(entry))
            _bulk_insert(DuplicateSignature._meta.db_table, _SIGNATURE_COLUMNS, rows)
            _bulk_insert(
                DuplicateBand._meta.db_table,
                ["campaign_id", "suggestion_id", "key"],
                rows_per_key,
            )
        say("index rows copied")
    return len(ids)


def _differing_entries(
    campaign_id: int, ids: np.ndarray, entries: _IndexEntries
) -> tuple[np.ndarray, np.ndarray] | None:
    """(positions of the entries to write, ids of other stored entries to remove), or None
    when more than REWRITE_INDEX_SHARE of the index would be written."""
    stored_ids, stored_digests = _stored_digests(campaign_id)
    most = len(ids) * REWRITE_INDEX_SHARE
    if len(stored_ids) < len(ids) - most:
        return None  # too many missing: no need to compare (the first rebuild, say)
    digests = entries.digests()
    same = np.zeros(len(ids), dtype=bool)
    if len(stored_ids):
        at = np.minimum(np.searchsorted(stored_ids, ids), len(stored_ids) - 1)
        same = (stored_ids[at] == ids) & (stored_digests[at] == digests)
    changed = np.flatnonzero(~same)
    # Entries of ideas not in this rebuild (arrived since its read; they are checked again
    # after it) go with the changed ones.
    others = stored_ids[~np.isin(stored_ids, ids)]
    return (changed, others) if len(changed) + len(others) <= most else None


_SIGNATURE_COLUMNS = ["suggestion_id", "campaign_id", *ENTRY_COLUMNS]  # as _Entry's fields


@dataclass(frozen=True, slots=True)
class _Entry:
    pk: int
    campaign_id: int
    exact_key: int
    minhash: bytes
    distinct_grams: int
    keys: list[int]
    vector: bytes | None
    semantic_match: bool


# array_send of an empty bigint[]: no dimensions, no nulls, element type int8.
_EMPTY_ARRAY = np.array([0, 0, 20], dtype=">i4").tobytes()


class _IndexEntries:
    """The rebuilt index's entries, made one block of ideas at a time."""

    def __init__(
        self, campaign_id: int, ids: np.ndarray, grouping: Grouping, vectors: np.ndarray
    ) -> None:
        self.campaign_id, self.ids, self.grouping, self.vectors = (
            campaign_id,
            ids,
            grouping,
            vectors,
        )
        self.held = vectors.any(axis=1)
        self.semantic = (
            grouping.semantic if len(grouping.semantic) else np.zeros(len(ids), dtype=bool)
        )
        signatures = grouping.signatures.astype("<u4")
        self.blobs = signatures.view(np.uint8).reshape(len(ids), signatures.shape[1] * 4)
        order = np.argsort(grouping.sentence_docs, kind="stable")
        self.sentence_docs = grouping.sentence_docs[order]
        self.sentence_keys = grouping.sentence_keys[order]
        self.distinct = grouping.distinct_grams

    def digests(self) -> np.ndarray:
        """A 64-bit digest of every entry, as _stored_digests computes it in SQL from a
        stored one: the first 8 bytes of the MD5 of the signature, the vector (if any) and
        the binary send format of the exact key, the number of distinctive 2-grams, the
        keys array and the semantic flag.
        Built a block at a time with numpy; only the MD5 is one call per entry."""
        width = self.blobs.shape[1]
        out = np.empty(len(self.ids), dtype=np.int64)
        for start in range(0, len(self.ids), _CHUNK):
            stop = min(start + _CHUNK, len(self.ids))
            rows = stop - start
            counts, keys = self._keys(np.arange(start, stop))
            bounds = np.zeros(rows + 1, dtype=np.int64)
            np.cumsum(counts * 12, out=bounds[1:])
            # PostgreSQL's array_send: ndim, has-nulls, element type (int8), then the
            # length and lower bound of the one dimension; each element as length, value.
            element = np.empty(len(keys), dtype=[("length", ">i4"), ("value", ">i8")])
            element["length"], element["value"] = 8, keys
            key_bytes = element.tobytes()
            headers = np.zeros((rows, 5), dtype=">i4")
            headers[:, 0], headers[:, 2], headers[:, 3], headers[:, 4] = 1, 20, counts, 1
            header_bytes = headers.tobytes()
            blobs = self.blobs[start:stop].tobytes()
            exact = self.grouping.exact_keys[start:stop].astype(">i8").tobytes()
            distinct = self.distinct[start:stop].astype(">i4").tobytes()
            held = self.held[start:stop].tolist()
            semantic = self.semantic[start:stop].tolist()
            vectors = self.vectors[start:stop]
            counts_, bounds_ = counts.tolist(), bounds.tolist()
            for i in range(rows):
                header = header_bytes[i * 20 : i * 20 + 20] if counts_[i] else _EMPTY_ARRAY
                digest = hashlib.md5(
                    blobs[i * width : (i + 1) * width]
                    + (vectors[i].tobytes() if held[i] else b"")
                    + exact[i * 8 : i * 8 + 8]
                    + distinct[i * 4 : i * 4 + 4]
                    + header
                    + key_bytes[bounds_[i] : bounds_[i + 1]]
                    + (b"\x01" if semantic[i] else b"\x00"),
                    usedforsecurity=False,  # a change detector, matching PostgreSQL's md5()
                ).digest()
                out[start + i] = int.from_bytes(digest[:8], "big", signed=True)
        return out

    def _keys(self, part: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The keys of the entries at ascending positions ``part`` as a stored array holds
        them: each entry's sorted, once each (band keys sort before sentence keys, see
        is_sentence_key). Returns each entry's number of keys, and all the keys, one entry
        after another."""
        rows = np.arange(len(part))
        # The band keys each entry stores (the first band_key_cap holders of each key).
        stored = self.grouping.band_stored[part]
        band_rows, band_columns = np.nonzero(stored)
        bands = self.grouping.band_keys[part[band_rows], band_columns]
        first = np.searchsorted(self.sentence_docs, part)
        lengths = np.searchsorted(self.sentence_docs, part + 1) - first
        # Each entry's run first[j] .. first[j] + lengths[j] - 1 of the sentence keys.
        runs = np.repeat(first - (np.cumsum(lengths) - lengths), lengths)
        sentences = self.sentence_keys[runs + np.arange(int(lengths.sum()))]
        key_rows = np.concatenate([rows[band_rows], np.repeat(rows, lengths)])
        keys = np.concatenate([bands, sentences])
        order = np.lexsort((keys, key_rows))
        key_rows, keys = key_rows[order], keys[order]
        fresh = np.ones(len(keys), dtype=bool)
        fresh[1:] = (key_rows[1:] != key_rows[:-1]) | (keys[1:] != keys[:-1])
        return np.bincount(key_rows[fresh], minlength=len(part)), keys[fresh]

    def all(self) -> Iterator[_Entry]:
        for start in range(0, len(self.ids), _CHUNK):
            yield from self.at(np.arange(start, min(start + _CHUNK, len(self.ids))))

    def at(self, positions: np.ndarray) -> Iterator[_Entry]:
        """The entries of the ideas at ``positions`` (ascending)."""
        for start in range(0, len(positions), _CHUNK):
            part = positions[start : start + _CHUNK]
            counts, keys = self._keys(part)
            bounds = np.concatenate([[0], np.cumsum(counts)]).tolist()
            every_key = keys.tolist()
            for j, i in enumerate(part.tolist()):
                yield _Entry(
                    pk=int(self.ids[i]),
                    campaign_id=self.campaign_id,
                    exact_key=int(self.grouping.exact_keys[i]),
                    minhash=self.blobs[i].tobytes(),
                    distinct_grams=int(self.distinct[i]),
                    keys=every_key[bounds[j] : bounds[j + 1]],
                    vector=self.vectors[i].tobytes() if self.held[i] else None,
                    semantic_match=bool(self.semantic[i]),
                )


def _stored_digests(campaign_id: int) -> tuple[np.ndarray, np.ndarray]:
    """The campaign's stored entries as (sorted ids, digests as _IndexEntries.digests
    makes them)."""
    table = DuplicateSignature._meta.db_table
    found = array("q")
    # A server-side cursor: a million rows arrive in batches, not as one list of tuples.
    with connection.chunked_cursor() as cursor:
        cursor.execute(
            "SELECT suggestion_id, ('x' || left(md5(minhash || coalesce(vector, ''::bytea) "  # noqa: S608
            "|| int8send(exact_key) || coalesce(int4send(distinct_grams), ''::bytea) "
            "|| array_send(keys) || boolsend(semantic_match)), 16))"
            f"::bit(64)::bigint FROM {table} WHERE campaign_id = %s ORDER BY suggestion_id",
            [campaign_id],
        )
        while rows := cursor.fetchmany(_CHUNK):
            for row in rows:
                found.extend(row)
    values = np.frombuffer(found, dtype=np.int64).reshape(-1, 2)
    return values[:, 0].copy(), values[:, 1].copy()


def _copy_row(entry: _Entry) -> tuple:
    """An entry in COPY's text format: bytea as escaped hex, arrays as {a,b,…}, NULL as \\N."""
    return (
        entry.pk,
        entry.campaign_id,
        entry.exact_key,
        "\\\\x" + entry.minhash.hex(),
        entry.distinct_grams,
        "{" + ",".join(map(str, entry.keys)) + "}",
        "\\N" if entry.vector is None else "\\\\x" + entry.vector.hex(),
        "t" if entry.semantic_match else "f",
    )


def _plain_row(entry: _Entry) -> tuple:
    """An entry as executemany takes it (keys as text: IndexKeysField's storage)."""
    return (
        entry.pk,
        entry.campaign_id,
        entry.exact_key,
        entry.minhash,
        entry.distinct_grams,
        ",".join(map(str, entry.keys)),
        entry.vector,
        entry.semantic_match,
    )


def _bulk_insert(table: str, columns: list[str], rows: Iterable[tuple]) -> None:
    """Fast insert of many rows: COPY on PostgreSQL, executemany on SQLite."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            buffer = io.StringIO()
            for count, row in enumerate(rows, start=1):
                buffer.write("\t".join(map(str, row)))
                buffer.write("\n")
                # About 1.5 KB a row: a bounded buffer keeps the rebuild's memory flat.
                if count % 50_000 == 0:
                    _copy(cursor, table, columns, buffer)
                    buffer = io.StringIO()
            _copy(cursor, table, columns, buffer)
        else:
            quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
            marks = ", ".join(["%s"] * len(columns))
            sql = f"INSERT INTO {connection.ops.quote_name(table)} ({quoted}) VALUES ({marks})"  # noqa: S608
            batch = []
            for row in rows:
                batch.append(row)
                if len(batch) >= _CHUNK:
                    cursor.executemany(sql, batch)
                    batch = []
            if batch:
                cursor.executemany(sql, batch)


def _copy(cursor: CursorWrapper, table: str, columns: list[str], buffer: io.StringIO) -> None:
    buffer.seek(0)
    raw = cursor.cursor  # psycopg2's own cursor under Django's wrapper
    raw.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN", buffer)


def _write_groups(campaign: Campaign, ids: np.ndarray, reps: np.ndarray, sims: np.ndarray) -> int:
    """Write the groups; only rows that change are touched (a re-run rewrites nothing)."""
    current_rep = np.full(len(ids), -1, dtype=np.int64)
    current_sim = np.full(len(ids), np.nan)
    read_pks, read_reps, read_sims = array("q"), array("q"), array("d")
    rows = Suggestion.objects.filter(campaign=campaign).values_list(
        "pk", "duplicate_of_id", "duplicate_similarity"
    )
    for pk, rep, sim in rows.iterator(chunk_size=_CHUNK):
        read_pks.append(pk)
        read_reps.append(-1 if rep is None else rep)
        read_sims.append(np.nan if sim is None else sim)
    read = np.frombuffer(read_pks, dtype=np.int64)
    at = np.minimum(np.searchsorted(ids, read), len(ids) - 1)
    found = ids[at] == read  # ideas added since the texts were read are not ours to write
    current_rep[at[found]] = np.frombuffer(read_reps, dtype=np.int64)[found]
    current_sim[at[found]] = np.frombuffer(read_sims, dtype=np.float64)[found]
    del read_pks, read_reps, read_sims, read, at, found
    same_sim = (current_sim == sims) | (np.isnan(current_sim) & np.isnan(sims))
    changed = np.flatnonzero((current_rep != reps) | ~same_sim)
    table = connection.ops.quote_name(Suggestion._meta.db_table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # COPY into a temporary table, then one UPDATE: a statement per few
            # thousand rows took about 110 s for 300,000 changed ideas.
            cursor.execute(
                "CREATE TEMPORARY TABLE duplicate_groups_new (id bigint, rep bigint, "
                "sim double precision) ON COMMIT DROP"
            )
            for start in range(0, len(changed), 200_000):
                part = changed[start : start + 200_000]
                buffer = io.StringIO()
                for pk, rep, sim in zip(
                    ids[part].tolist(), reps[part].tolist(), sims[part].tolist(), strict=True
                ):
                    sim_text = "\\N" if sim != sim else repr(sim)  # NaN: no similarity
                    buffer.write(f"{pk}\t{rep}\t{sim_text}\n")
                _copy(cursor, "duplicate_groups_new", ["id", "rep", "sim"], buffer)
            cursor.execute(
                f"UPDATE {table} AS s SET duplicate_of_id = v.rep, "  # noqa: S608
                "duplicate_similarity = v.sim FROM duplicate_groups_new AS v WHERE s.id = v.id"
            )
            cursor.execute("DROP TABLE duplicate_groups_new")
        else:
            sql = (
                f"UPDATE {table} SET duplicate_of_id = %s, duplicate_similarity = %s WHERE id = %s"  # noqa: S608
            )
            for start in range(0, len(changed), _CHUNK):
                part = changed[start : start + _CHUNK]
                cursor.executemany(
                    sql,
                    [
                        (rep, None if sim != sim else sim, pk)
                        for pk, rep, sim in zip(
                            ids[part].tolist(),
                            reps[part].tolist(),
                            sims[part].tolist(),
                            strict=True,
                        )
                    ],
                )
    return len(changed)


def _write_proposals(campaign: Campaign, ids: np.ndarray, grouping: Grouping) -> tuple[int, int]:
    """The merge proposals of the rebuilt groups, as the per-idea check makes them.

    Pending proposals made before are stale (the groups were recomputed): those the
    rebuild does not make again are deleted, those it makes again are kept as they are.
    Accepted and rejected ones are the screeners' history and stay; a pair of groups a
    screener has decided on (either order) is not proposed again, and neither is an
    idea's other group already in a decided proposal (the unique via/second pair).
    Returns (pending proposals of the campaign, stale ones deleted).
    """
    rows = grouping.proposals
    made = {
        (via, first, second): round(score, 4)
        for via, first, second, score in zip(
            ids[rows[:, 0]].tolist(),
            ids[rows[:, 1]].tolist(),
            ids[rows[:, 2]].tolist(),
            grouping.proposal_scores.tolist(),
            strict=True,
        )
    }
    pending, decided_pairs, decided_seconds = {}, set(), set()
    for pk, via, first, second, similarity, status in DuplicateMergeProposal.objects.filter(
        campaign=campaign
    ).values_list("pk", "via_id", "first_id", "second_id", "similarity", "status"):
        if status == MergeProposalStatus.PENDING:
            pending[via, first, second, similarity] = pk
        else:
            decided_pairs.add(frozenset((first, second)))
            decided_seconds.add((via, second))
    wanted = {
        key: similarity
        for key, similarity in made.items()
        if frozenset(key[1:]) not in decided_pairs and (key[0], key[2]) not in decided_seconds
    }
    stale = [
        pk for (*key, similarity), pk in pending.items() if wanted.get(tuple(key)) != similarity
    ]
    for start in range(0, len(stale), _CHUNK):
        DuplicateMergeProposal.objects.filter(pk__in=stale[start : start + _CHUNK]).delete()
    DuplicateMergeProposal.objects.bulk_create(
        [
            DuplicateMergeProposal(
                campaign=campaign,
                via_id=via,
                first_id=first,
                second_id=second,
                similarity=similarity,
            )
            for (via, first, second), similarity in wanted.items()
            if (via, first, second, similarity) not in pending
        ],
        batch_size=5000,
        ignore_conflicts=True,  # the pairs taken above make none; a safety net
    )
    return len(wanted), len(stale)


def _replay_decisions(campaign: Campaign) -> int:
    """Screeners' splits and merges, applied again in order after a rebuild."""
    decisions = (
        DuplicateDecision.objects.filter(suggestion__campaign=campaign)
        .exclude(action=DuplicateAction.CONFIRM)
        .order_by("at", "id")
    )
    count = 0
    for decision in decisions:
        suggestion = Suggestion.objects.get(pk=decision.suggestion_id)
        if decision.action == DuplicateAction.SPLIT:
            _apply_split(suggestion)
        elif decision.action == DuplicateAction.REPRESENT:
            _apply_represent(suggestion)
        elif decision.to_representative_id:
            target = Suggestion.objects.get(pk=decision.to_representative_id)
            _apply_merge([suggestion], target.duplicate_of_id or target.pk)
        count += 1
    return count
