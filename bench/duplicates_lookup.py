"""What the per-idea check's look-up reads at campaign scale (a script, not a test).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/jc_duplicates_bench \
        .venv/bin/python bench/duplicates_lookup.py [--ideas 1000000] [--probes 500]

Needs the campaign bench/duplicates.py loads and groups (same --ideas). For each of the
bench's probe ideas (the texts after the first N, not stored), the check's look-up
(``index.index_lookup``) runs once as the check runs it; its SQL is then run again under
``EXPLAIN (ANALYZE, BUFFERS)``. Prints, over the probes, the rows it returns and the
database pages it touches (shared buffers hit or read: a count that does not depend on
how busy the machine is), and its execution time (which does).
"""

import argparse
import os
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--ideas", type=int, default=1_000_000)
    parser.add_argument("--probes", type=int, default=500)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jincheng_portal.settings")
    import django

    django.setup()
    import numpy as np
    from django.db import connection
    from duplicates import make_ideas

    from suggestions.duplicates.algorithm import band_keys, sentence_keys
    from suggestions.duplicates.index import index_lookup
    from suggestions.duplicates.services import _features, duplicate_config
    from suggestions.models import Campaign, Suggestion

    if connection.vendor != "postgresql":
        sys.exit("The look-up's pages are PostgreSQL's: set DATABASE_URL.")
    campaign = Campaign.objects.get(slug="bench-duplicates")
    before = (
        Suggestion.objects.filter(campaign=campaign, sequence__gte=args.ideas)
        .order_by("pk")
        .values_list("pk", flat=True)
        .first()
    ) or 2**62  # probes a bench run left behind are not looked at
    config = duplicate_config(campaign.pk)
    texts, _planted = make_ideas(args.ideas + args.probes)
    captured = []

    def capture(execute, sql, params, many, context):
        captured.append((sql, params))
        return execute(sql, params, many, context)

    rows, pages, millis = [], [], []
    for text in texts[args.ideas :]:
        sentences, _norm, mine = _features(text, config)
        captured.clear()
        with connection.execute_wrapper(capture):
            found = index_lookup(
                campaign_id=campaign.pk,
                bands=band_keys(mine, config),
                sentences=sentence_keys(sentences, config),
                before=before,
            )
        if not captured:
            continue  # nothing to look up
        sql, params = captured[-1]
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
            plan = "\n".join(line for (line,) in cursor.fetchall())
        buffers = re.search(r"Buffers: shared(?: hit=(\d+))?(?: read=(\d+))?", plan)
        pages.append(int(buffers.group(1) or 0) + int(buffers.group(2) or 0))
        millis.append(float(re.search(r"Execution Time: ([\d.]+)", plan).group(1)))
        rows.append(len(found.banded) + len(set(found.sentences) - set(found.banded)))

    def spread(values, unit=""):
        p50, p95 = np.percentile(values, [50, 95])
        return f"p50 {p50:.1f}{unit}, p95 {p95:.1f}{unit}, max {max(values):.1f}{unit}"

    print(f"command: python bench/duplicates_lookup.py --ideas {args.ideas} --probes {args.probes}")
    print(f"look-ups: {len(rows)} (campaign of {args.ideas} ideas)")
    print(f"rows returned: {spread(rows)}")
    print(f"pages touched (shared hit + read): {spread(pages)}")
    print(f"execution time, the second run of each look-up: {spread(millis, ' ms')}")


if __name__ == "__main__":
    main()
