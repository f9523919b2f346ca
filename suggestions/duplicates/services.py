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

import io
import logging
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from django.conf import settings
from django.db import connection, transaction
from django.utils.translation import gettext as _

from suggestions.common import rules
from suggestions.common.rules import Actor
from suggestions.duplicates.algorithm import (
    DuplicateConfig,
    Shingles,
    agrees,
    band_keys,
    best_match,
    exact_key,
    group_texts,
    minhash,
    normalise,
    shingles,
    signature_bytes,
    similarity,
)
from suggestions.models import (
    Campaign,
    DuplicateAction,
    DuplicateBand,
    DuplicateDecision,
    DuplicateSignature,
    Suggestion,
)

logger = logging.getLogger(__name__)


def duplicate_config() -> DuplicateConfig:
    return _config(
        settings.DUPLICATES_THRESHOLD, settings.DUPLICATES_NUM_PERM, settings.DUPLICATES_BAND_ROWS
    )


@lru_cache(maxsize=4)
def _config(threshold: float, num_perm: int, band_rows: int) -> DuplicateConfig:
    return DuplicateConfig(threshold=threshold, num_perm=num_perm, band_rows=band_rows)


def comparable_text(content: str) -> str:
    """What is compared: the idea's content (titles are short and formulaic)."""
    return content or ""


# ------------------------------------------------------------------ incremental check


def suggestion_check_duplicates(*, suggestion_id: int) -> int | None:
    """Link one idea to its group; returns the representative's id (None if the idea is gone).

    Safe to run twice: an idea already checked is left as it is.
    """
    config = duplicate_config()
    with transaction.atomic():
        campaign_id = _campaign_locked(suggestion_id)
        if campaign_id is None:
            return None
        # This idea and any earlier one still unchecked (its task has not run yet, or the
        # broker was down), oldest first: otherwise this idea could not find them.
        # Served by the partial index sugg_dup_unchecked.
        pending = list(
            Suggestion.objects.filter(
                campaign_id=campaign_id, duplicate_of__isnull=True, pk__lte=suggestion_id
            )
            .order_by("pk")
            .values_list("pk", "content")
        )
        if not pending or pending[-1][0] != suggestion_id:
            return Suggestion.objects.values_list("duplicate_of_id", flat=True).get(
                pk=suggestion_id
            )
        representative = None
        for pk, content in pending:
            representative = _check_one(pk, campaign_id, content, config)
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


def _campaign_locked(suggestion_id: int) -> int | None:
    """The idea's campaign, locked for duplicate checks (one round trip on PostgreSQL)."""
    if connection.vendor != "postgresql":
        return (
            Suggestion.objects.filter(pk=suggestion_id)
            .values_list("campaign_id", flat=True)
            .first()
        )
    table = connection.ops.quote_name(Suggestion._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT campaign_id, pg_advisory_xact_lock(%s, campaign_id::integer) FROM {table} "  # noqa: S608
            "WHERE id = %s",
            [_LOCK_SPACE, suggestion_id],
        )
        row = cursor.fetchone()
    return row[0] if row else None


_LOCK_SPACE = 0x6475706C  # "dupl": advisory lock key space of the duplicate checks


def _lock_campaign(campaign_id: int) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # Released at the end of the transaction.
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_LOCK_SPACE, campaign_id])


def _check_one(pk: int, campaign_id: int, content: str, config: DuplicateConfig) -> int:
    norm = normalise(comparable_text(content), drop_greetings=config.drop_greetings)
    key = exact_key(norm)
    mine = shingles(norm, config)
    signature = minhash(mine, config)
    # The earliest earlier idea with the same normalised text, and its representative.
    exact = (
        DuplicateSignature.objects.filter(
            campaign_id=campaign_id, exact_key=key, suggestion_id__lt=pk
        )
        .order_by("suggestion_id")
        .values_list("suggestion_id", "suggestion__duplicate_of_id")
        .first()
    )
    # A later exact repeat never beats its earliest twin, so it needs no bands.
    bands = [] if exact else band_keys(mine, config)
    candidates: list[tuple[int, Shingles]] = []
    representatives: dict[int, int] = {}
    if bands:
        banded = DuplicateBand.objects.filter(
            campaign_id=campaign_id, key__in=bands, suggestion_id__lt=pk
        ).values("suggestion_id")
        agreeing = [
            other
            for other, stored in DuplicateSignature.objects.filter(
                suggestion_id__in=banded
            ).values_list("suggestion_id", "minhash")
            if agrees(signature, bytes(stored), config)
        ]
        if agreeing:
            rows = Suggestion.objects.filter(pk__in=agreeing).values_list(
                "pk", "content", "duplicate_of_id"
            )
            for other, text, other_rep in rows:
                norm_other = normalise(comparable_text(text), drop_greetings=config.drop_greetings)
                candidates.append((other, shingles(norm_other, config)))
                representatives[other] = other_rep
    match = best_match(
        mine,
        exact_ids=[exact[0]] if exact else [],
        candidates=candidates,
        threshold=config.threshold,
    )
    if match is None:
        representative, similarity_value = pk, None
    else:
        other_rep = exact[1] if match.exact else representatives[match.other_id]
        representative = other_rep or match.other_id
        similarity_value = match.similarity
    Suggestion.objects.filter(pk=pk).update(
        duplicate_of_id=representative, duplicate_similarity=similarity_value
    )
    # Normally nothing to replace: an unchecked idea has no index rows yet.
    DuplicateBand.objects.filter(suggestion_id=pk).delete()
    DuplicateSignature.objects.bulk_create(
        [
            DuplicateSignature(
                suggestion_id=pk,
                campaign_id=campaign_id,
                exact_key=key,
                minhash=signature_bytes(signature),
            )
        ],
        update_conflicts=True,
        unique_fields=["suggestion"],
        update_fields=["campaign", "exact_key", "minhash"],
    )
    if bands:
        DuplicateBand.objects.bulk_create(
            DuplicateBand(campaign_id=campaign_id, suggestion_id=pk, key=band) for band in bands
        )
    return representative


# ---------------------------------------------------------------------- full rebuild


@dataclass
class RebuildResult:
    ideas: int
    groups: int
    grouped_ideas: int  # ideas that are not their own representative
    candidate_pairs: int
    decisions_replayed: int


def campaign_rebuild_duplicates(
    *, campaign: Campaign, progress: Callable[[str], None] | None = None
) -> RebuildResult:
    """Recompute every group of a campaign from scratch, then replay screeners' decisions."""
    say = progress or (lambda message: None)
    config = duplicate_config()
    rows = list(
        Suggestion.objects.filter(campaign=campaign).order_by("pk").values_list("pk", "content")
    )
    ids = np.fromiter((pk for pk, _text in rows), dtype=np.int64, count=len(rows))
    texts = [comparable_text(text) for _pk, text in rows]
    del rows
    say(f"read {len(ids)} ideas")
    grouping = group_texts(texts, config, progress=say)
    del texts
    representative_ids = ids[grouping.representative]
    with transaction.atomic():
        _lock_campaign(campaign.pk)
        DuplicateBand.objects.filter(campaign=campaign)._raw_delete(DuplicateBand.objects.db)
        DuplicateSignature.objects.filter(campaign=campaign)._raw_delete(
            DuplicateSignature.objects.db
        )
        say("old index removed")
        with _indexes_rebuilt_after([DuplicateSignature, DuplicateBand]):
            _write_signatures(campaign.pk, ids, grouping.exact_keys, grouping.signatures)
            _write_bands(campaign.pk, ids, grouping.band_keys, grouping.has_bands)
        say("index written")
        changed = _write_groups(campaign, ids, representative_ids, grouping.similarity)
        say(f"groups written ({changed} ideas changed)")
        replayed = _replay_decisions(campaign)
        if replayed:
            say(f"{replayed} screener decisions replayed")
    return RebuildResult(
        ideas=len(ids),
        groups=int(np.unique(representative_ids).size),
        grouped_ideas=int((representative_ids != ids).sum()),
        candidate_pairs=grouping.candidate_pairs,
        decisions_replayed=replayed,
    )


_CHUNK = 20_000


@contextmanager
def _indexes_rebuilt_after(models_):
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
        for _name, definition in indexes:
            cursor.execute(definition)


def _write_signatures(
    campaign_id: int, ids: np.ndarray, keys: np.ndarray, signatures: np.ndarray
) -> None:
    table = DuplicateSignature._meta.db_table
    blobs = signatures.astype("<u4").view(np.uint8).reshape(len(ids), -1)
    if connection.vendor == "postgresql":
        # COPY's text format takes bytea as \\x<hex>.
        values = ["\\\\x" + row.tobytes().hex() for row in blobs]
    else:
        values = [row.tobytes() for row in blobs]
    _bulk_insert(
        table,
        ["suggestion_id", "campaign_id", "exact_key", "minhash"],
        zip(ids.tolist(), [campaign_id] * len(ids), keys.tolist(), values, strict=True),
    )


def _write_bands(campaign_id: int, ids: np.ndarray, keys: np.ndarray, has: np.ndarray) -> None:
    table = DuplicateBand._meta.db_table
    bands = keys.shape[1]
    owners = np.repeat(ids[has], bands).tolist()
    flat = keys[has].ravel().tolist()
    _bulk_insert(
        table,
        ["campaign_id", "suggestion_id", "key"],
        zip([campaign_id] * len(flat), owners, flat, strict=True),
    )


def _bulk_insert(table: str, columns: list[str], rows: Iterable[tuple]) -> None:
    """Fast insert of many rows: COPY on PostgreSQL, executemany on SQLite."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            buffer = io.StringIO()
            for count, row in enumerate(rows, start=1):
                buffer.write("\t".join(map(str, row)))
                buffer.write("\n")
                if count % 500_000 == 0:
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


def _copy(cursor, table: str, columns: list[str], buffer: io.StringIO) -> None:
    buffer.seek(0)
    raw = cursor.cursor  # psycopg2's own cursor under Django's wrapper
    raw.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN", buffer)


def _write_groups(campaign: Campaign, ids: np.ndarray, reps: np.ndarray, sims: np.ndarray) -> int:
    """Write the groups; only rows that change are touched (a re-run rewrites nothing)."""
    table = connection.ops.quote_name(Suggestion._meta.db_table)
    current = dict(
        (pk, (rep, sim))
        for pk, rep, sim in Suggestion.objects.filter(campaign=campaign)
        .values_list("pk", "duplicate_of_id", "duplicate_similarity")
        .iterator(chunk_size=20_000)
    )
    values = []
    for pk, rep, sim in zip(ids.tolist(), reps.tolist(), sims.tolist(), strict=True):
        sim = None if np.isnan(sim) else float(sim)
        if current.get(pk) != (rep, sim):
            values.append((rep, sim, pk))
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            from psycopg2.extras import execute_values

            sql = (
                f"UPDATE {table} AS s SET duplicate_of_id = v.rep, "  # noqa: S608
                "duplicate_similarity = v.sim FROM (VALUES %s) AS v(rep, sim, id) "
                "WHERE s.id = v.id"
            )
            execute_values(
                cursor.cursor,
                sql,
                values,
                template="(%s, %s::double precision, %s)",
                page_size=5000,
            )
        else:
            sql = (
                f"UPDATE {table} SET duplicate_of_id = %s, duplicate_similarity = %s WHERE id = %s"  # noqa: S608
            )
            for start in range(0, len(values), _CHUNK):
                cursor.executemany(sql, values[start : start + _CHUNK])
    return len(values)


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
        elif decision.to_representative_id:
            target = Suggestion.objects.get(pk=decision.to_representative_id)
            _apply_merge([suggestion], target.duplicate_of_id or target.pk)
        count += 1
    return count


# ----------------------------------------------------------------- screener decisions


class DuplicateDecisionRefused(Exception):
    """A group change the actor may not make; the message is for the user."""


def _refuse_foreign(user, suggestions: Iterable[Suggestion]) -> None:
    """Regrouping an idea is a stage-1 decision on it: the same rule applies."""
    actor = Actor.of(user)
    foreign = [s for s in suggestions if not rules.can_decide_stage1(actor, s)]
    if foreign:
        raise DuplicateDecisionRefused(
            _("其中 %(count)d 条金点子不属于您负责的单位，不能调整其重复组。")
            % {"count": len(foreign)}
        )


def _refuse_unchecked(suggestion: Suggestion) -> None:
    if suggestion.duplicate_of_id is None:
        raise DuplicateDecisionRefused(_("这条金点子尚未完成查重，请稍后再试。"))


def duplicate_group_confirm(*, suggestion: Suggestion, user, note: str = "") -> DuplicateDecision:
    """A screener agrees with the idea's current group (recorded, nothing moves)."""
    with transaction.atomic():
        suggestion = Suggestion.objects.select_for_update().get(pk=suggestion.pk)
        _refuse_unchecked(suggestion)
        _refuse_foreign(user, [suggestion])
        return DuplicateDecision.objects.create(
            suggestion=suggestion,
            action=DuplicateAction.CONFIRM,
            from_representative_id=suggestion.duplicate_of_id,
            to_representative_id=suggestion.duplicate_of_id,
            actor=user,
            note=note,
        )


def duplicate_group_split(*, suggestion: Suggestion, user, note: str = "") -> DuplicateDecision:
    """Take an idea out of its group; it becomes a group of its own.

    When the idea is the representative, the earliest remaining member leads the rest,
    so every member changes: all of them must be in the screener's units.
    """
    with transaction.atomic():
        suggestion = Suggestion.objects.select_for_update().get(pk=suggestion.pk)
        _refuse_unchecked(suggestion)
        members = list(
            Suggestion.objects.select_for_update()
            .filter(duplicate_of_id=suggestion.duplicate_of_id)
            .exclude(pk=suggestion.duplicate_of_id)
        )
        if suggestion.duplicate_of_id == suggestion.pk and not members:
            raise DuplicateDecisionRefused(_("这条金点子没有重复项，无需拆分。"))
        moving = [suggestion]
        if suggestion.duplicate_of_id == suggestion.pk:
            moving += members
        _refuse_foreign(user, moving)
        before = suggestion.duplicate_of_id
        _apply_split(suggestion)
        return DuplicateDecision.objects.create(
            suggestion=suggestion,
            action=DuplicateAction.SPLIT,
            from_representative_id=before,
            to_representative_id=suggestion.pk,
            actor=user,
            note=note,
        )


def _apply_split(suggestion: Suggestion) -> None:
    if suggestion.duplicate_of_id == suggestion.pk:
        rest = Suggestion.objects.filter(duplicate_of_id=suggestion.pk).exclude(pk=suggestion.pk)
        heir = rest.order_by("pk").values_list("pk", flat=True).first()
        if heir is not None:
            rest.update(duplicate_of_id=heir)
            Suggestion.objects.filter(pk=heir).update(duplicate_similarity=None)
    Suggestion.objects.filter(pk=suggestion.pk).update(
        duplicate_of_id=suggestion.pk, duplicate_similarity=None
    )
    suggestion.duplicate_of_id = suggestion.pk
    suggestion.duplicate_similarity = None


def duplicates_merge(
    *, suggestions: Iterable[Suggestion], into: Suggestion, user, note: str = ""
) -> list[DuplicateDecision]:
    """Put ideas (with their own groups) into the group of ``into``; its representative stays.

    The target group is not changed, so it may belong to another unit; every idea that
    moves must be in the screener's units.
    """
    with transaction.atomic():
        into = Suggestion.objects.select_for_update().get(pk=into.pk)
        _refuse_unchecked(into)
        target = into.duplicate_of_id
        chosen = list(
            Suggestion.objects.select_for_update().filter(
                pk__in=[s.pk for s in suggestions], campaign_id=into.campaign_id
            )
        )
        chosen = [s for s in chosen if s.duplicate_of_id != target]
        if not chosen:
            raise DuplicateDecisionRefused(_("所选金点子已在该重复组中。"))
        for suggestion in chosen:
            _refuse_unchecked(suggestion)
        moving = _with_members(chosen)
        _refuse_foreign(user, moving)
        decisions = [
            DuplicateDecision(
                suggestion=suggestion,
                action=DuplicateAction.MERGE,
                from_representative_id=suggestion.duplicate_of_id,
                to_representative_id=target,
                actor=user,
                note=note,
            )
            for suggestion in chosen
        ]
        _apply_merge(chosen, target)
        return DuplicateDecision.objects.bulk_create(decisions)


def _with_members(chosen: list[Suggestion]) -> list[Suggestion]:
    """The chosen ideas plus the members of those that are representatives."""
    leaders = [s.pk for s in chosen if s.duplicate_of_id == s.pk]
    extra = Suggestion.objects.filter(duplicate_of_id__in=leaders).exclude(
        pk__in=[s.pk for s in chosen]
    )
    return chosen + list(extra)


def _apply_merge(chosen: list[Suggestion], target: int) -> None:
    config = duplicate_config()
    target_text = Suggestion.objects.values_list("content", flat=True).get(pk=target)
    target_shingles = shingles(normalise(comparable_text(target_text)), config)
    leaders = [s.pk for s in chosen if s.duplicate_of_id == s.pk]
    Suggestion.objects.filter(duplicate_of_id__in=leaders).update(duplicate_of_id=target)
    for suggestion in chosen:
        sim = similarity(shingles(normalise(comparable_text(suggestion.content)), config),
                         target_shingles)  # fmt: skip
        Suggestion.objects.filter(pk=suggestion.pk).update(
            duplicate_of_id=target, duplicate_similarity=round(sim, 4)
        )
        suggestion.duplicate_of_id = target
