"""Where the near-duplicate index keys live, and the one look-up the per-idea check makes.

PostgreSQL: one DuplicateSignature row per idea holds its keys as a bigint[] with a GIN
index (``keys && ARRAY[...]``); the signature comes back in the same round trip. Other
databases (SQLite, for development and tests): the same keys are also written one row per
key to DuplicateBand, whose btree serves the look-up. Either way DuplicateSignature.keys
holds every idea's keys, sorted. The layout was chosen by measurement (docs/duplicates.md).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.db import connection

from suggestions.models import DuplicateBand, DuplicateSignature


def keys_in_arrays() -> bool:
    """Whether the database looks keys up in DuplicateSignature.keys (PostgreSQL)."""
    return connection.vendor == "postgresql"


def index_lookup(
    *, campaign_id: int, keys: Sequence[int], before: int
) -> dict[int, tuple[set[int], bytes]]:
    """Earlier ideas of the campaign holding any of ``keys``: id -> (keys shared, minhash)."""
    if not keys:
        return {}
    wanted = set(keys)
    if keys_in_arrays():
        table = DuplicateSignature._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT suggestion_id, keys, minhash FROM {table} "  # noqa: S608
                "WHERE keys && %s::bigint[] AND campaign_id = %s AND suggestion_id < %s",
                [list(wanted), campaign_id, before],
            )
            return {
                other: (wanted.intersection(held), bytes(signature))
                for other, held, signature in cursor.fetchall()
            }
    shared: dict[int, set[int]] = {}
    for key, other in DuplicateBand.objects.filter(
        campaign_id=campaign_id, key__in=wanted, suggestion_id__lt=before
    ).values_list("key", "suggestion_id"):
        shared.setdefault(other, set()).add(key)
    signatures = dict(
        DuplicateSignature.objects.filter(suggestion_id__in=shared).values_list(
            "suggestion_id", "minhash"
        )
    )
    return {other: (found, bytes(signatures[other])) for other, found in shared.items()}


def index_store(
    *, suggestion_id: int, campaign_id: int, exact_key: int, minhash: bytes, keys: Iterable[int]
) -> None:
    """Write (or replace) one idea's entry."""
    keys = sorted(set(keys))
    DuplicateSignature.objects.bulk_create(
        [
            DuplicateSignature(
                suggestion_id=suggestion_id,
                campaign_id=campaign_id,
                exact_key=exact_key,
                minhash=minhash,
                keys=keys,
            )
        ],
        update_conflicts=True,
        unique_fields=["suggestion"],
        update_fields=["campaign", "exact_key", "minhash", "keys"],
    )
    if keys_in_arrays():
        return
    DuplicateBand.objects.filter(suggestion_id=suggestion_id).delete()
    DuplicateBand.objects.bulk_create(
        DuplicateBand(campaign_id=campaign_id, suggestion_id=suggestion_id, key=key) for key in keys
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
