"""Cost of the semantic stage's candidate search against the database at N stored vectors.

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/DB   # a scratch database
    .venv/bin/python bench/semantic_candidates.py --campaign jc2021 [--vectors 50000]

Needs a migrated database holding a simulated campaign (manage.py simulate_campaign) whose
index was built (manage.py find_duplicates). Gives --vectors of its ideas random stored
vectors (this overwrites their vectors: use a scratch database), then times the look-up a
per-idea check makes: the ids of the stored vectors (every check), fetching vectors this
process has not seen (the first check of a campaign in a process), and the cosines.
"""

import argparse
import os
import sys
import time
from pathlib import Path

import django

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jincheng_portal.settings")
django.setup()

import numpy as np  # noqa: E402
from django.db import connection  # noqa: E402

from suggestions.duplicates.index import forget_vectors, stored_vectors  # noqa: E402
from suggestions.duplicates.semantic import cosines, quantise  # noqa: E402
from suggestions.models import Campaign, DuplicateSignature  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--campaign", default="jc2021")
    parser.add_argument("--vectors", type=int, default=50_000)
    args = parser.parse_args()
    campaign = Campaign.objects.get(slug=args.campaign)
    ids = list(
        DuplicateSignature.objects.filter(campaign=campaign)
        .order_by("suggestion_id")
        .values_list("suggestion_id", flat=True)[: args.vectors]
    )
    rng = np.random.default_rng(1)
    vectors = rng.standard_normal((len(ids), 512)).astype(np.float32)
    vectors = quantise(vectors / np.linalg.norm(vectors, axis=1, keepdims=True))
    table = DuplicateSignature._meta.db_table
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET vector = NULL WHERE campaign_id = %s", [campaign.pk])  # noqa: S608
        from psycopg2.extras import execute_values

        execute_values(
            cursor.cursor,
            f"UPDATE {table} AS s SET vector = v.vector FROM (VALUES %s) AS v(id, vector) "  # noqa: S608
            "WHERE s.suggestion_id = v.id",
            [(pk, vectors[i].tobytes()) for i, pk in enumerate(ids)],
            template="(%s, %s::bytea)",
            page_size=2000,
        )
        cursor.execute(f"ANALYZE {table}")  # noqa: S608
    print(f"{len(ids)} random vectors stored in {time.perf_counter() - started:.1f} s")
    before = ids[-1] + 1
    probe = vectors[0]
    forget_vectors()
    started = time.perf_counter()
    held, rows = stored_vectors(campaign.pk, before)
    print(f"first check in a process (fetch all): {(time.perf_counter() - started) * 1000:.0f} ms")
    timings = {"ids": [], "cosines": []}
    for _ in range(10):
        started = time.perf_counter()
        held, rows = stored_vectors(campaign.pk, before)
        middle = time.perf_counter()
        (cosines(probe, rows) >= 0.65).nonzero()
        timings["ids"].append((middle - started) * 1000)
        timings["cosines"].append((time.perf_counter() - middle) * 1000)
    for name, values in timings.items():
        print(f"later checks, {name}: median {np.median(values):.1f} ms, min {min(values):.1f} ms")
    print(f"{len(held)} vectors, {rows.nbytes / 2**20:.0f} MB held per process and campaign")


if __name__ == "__main__":
    main()
