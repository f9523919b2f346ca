"""Rebuilding a campaign's near-duplicate groups in one pass (manage.py find_duplicates).

The rebuild and the per-idea check apply the same rule (suggestions.duplicates.algorithm)
to ideas in id order, so they agree, merge proposals included; screeners' splits and
merges are replayed after it.
"""

from __future__ import annotations

import io
import logging
from array import array
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from django.db import connection, transaction

from suggestions.duplicates.algorithm import Grouping, group_texts
from suggestions.duplicates.decisions import _apply_merge, _apply_represent, _apply_split
from suggestions.duplicates.index import forget_vectors, keys_in_arrays
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
        texts, config, progress=say, vectors=vectors if config.compares_meaning else None
    )
    del texts
    representative_ids = ids[grouping.representative]
    with transaction.atomic():
        duplicate_checks_lock(campaign.pk)
        _remove_index(campaign)
        say("old index removed")
        with _indexes_rebuilt_after([DuplicateSignature, DuplicateBand], say):
            _write_index(campaign.pk, ids, grouping, vectors)
            say("index rows copied")
        say("index written")
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


def _remove_index(campaign: Campaign) -> None:
    """Remove the campaign's index entries.

    On PostgreSQL, when no other campaign is indexed, TRUNCATE: deleted rows would stay in
    the files as dead tuples until a VACUUM FULL, so every rebuild would leave the table
    about twice its live size (measured: 321 MB instead of 160 MB at 150,000 ideas).
    """
    if (
        connection.vendor == "postgresql"
        and not DuplicateSignature.objects.exclude(campaign=campaign).exists()
        and not DuplicateBand.objects.exclude(campaign=campaign).exists()
    ):
        tables = [DuplicateSignature._meta.db_table, DuplicateBand._meta.db_table]
        with connection.cursor() as cursor:
            # Deferred foreign-key checks of rows written earlier in this transaction must
            # run first: TRUNCATE refuses a table with pending trigger events.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"TRUNCATE {', '.join(tables)}")
        return
    DuplicateBand.objects.filter(campaign=campaign)._raw_delete(DuplicateBand.objects.db)
    DuplicateSignature.objects.filter(campaign=campaign)._raw_delete(DuplicateSignature.objects.db)


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


def _write_index(
    campaign_id: int, ids: np.ndarray, grouping: Grouping, vectors: np.ndarray
) -> None:
    """Every idea's signature and sorted keys (LSH bands, then its capped sentence keys),
    its stored vector and whether it matched semantically; on databases without key
    arrays, also one DuplicateBand row per key."""
    arrays = keys_in_arrays()
    held = vectors.any(axis=1)
    semantic = grouping.semantic if len(grouping.semantic) else np.zeros(len(ids), dtype=bool)
    blobs = grouping.signatures.astype("<u4").view(np.uint8).reshape(len(ids), -1)
    order = np.argsort(grouping.sentence_docs, kind="stable")
    sentence_docs = grouping.sentence_docs[order]
    sentence_keys = grouping.sentence_keys[order]
    rows_per_key: list[tuple[int, int, int]] = []

    def rows():
        for start in range(0, len(ids), _CHUNK):
            stop = min(start + _CHUNK, len(ids))
            bands = grouping.band_keys[start:stop].tolist()
            has = grouping.has_bands[start:stop].tolist()
            bounds = np.searchsorted(sentence_docs, np.arange(start, stop + 1)).tolist()
            for i, pk in enumerate(ids[start:stop].tolist()):
                keys = bands[i] if has[i] else []
                if bounds[i + 1] > bounds[i]:
                    keys = keys + sentence_keys[bounds[i] : bounds[i + 1]].tolist()
                keys = sorted(set(keys))
                blob = blobs[start + i].tobytes()
                vector = vectors[start + i].tobytes() if held[start + i] else None
                by_meaning = bool(semantic[start + i])
                if arrays:
                    # COPY's text format: bytea as \\x<hex>, arrays as {a,b,…}, NULL as \N.
                    yield (
                        pk,
                        campaign_id,
                        int(grouping.exact_keys[start + i]),
                        "\\\\x" + blob.hex(),
                        "{" + ",".join(map(str, keys)) + "}",
                        "\\N" if vector is None else "\\\\x" + vector.hex(),
                        "t" if by_meaning else "f",
                    )
                else:
                    rows_per_key.extend((campaign_id, pk, key) for key in keys)
                    yield (
                        pk,
                        campaign_id,
                        int(grouping.exact_keys[start + i]),
                        blob,
                        ",".join(map(str, keys)),
                        vector,
                        by_meaning,
                    )

    _bulk_insert(
        DuplicateSignature._meta.db_table,
        [
            "suggestion_id",
            "campaign_id",
            "exact_key",
            "minhash",
            "keys",
            "vector",
            "semantic_match",
        ],
        rows(),
    )
    if not arrays:
        _bulk_insert(
            DuplicateBand._meta.db_table, ["campaign_id", "suggestion_id", "key"], rows_per_key
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
