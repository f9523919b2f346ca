"""The per-idea duplicate check, statement by statement, for comparing two checkouts (a
script, not a test).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/jc_duplicates_bench \
        .venv/bin/python bench/duplicates_checks.py --label after [--start 0] [--count 100]
    .venv/bin/python bench/duplicates_checks.py --report

Needs the campaign bench/duplicates.py loads and groups (same --ideas). Adds the bench's
probe ideas START … START+COUNT one by one and checks each as a worker does (DEBUG off,
sentence encoder off), timing the whole check and each statement it sends; then deletes
them, and any probe an earlier run of either script left, so every run sees the same
campaign. Each check is appended to --out as a JSON line under --label.

To compare two versions of the code, run this script with each checkout's root as the
working directory (the code measured is the working directory's), in turn, in chunks,
alternating which goes first, on the same database (the machine's speed drifts by the
minute: only runs taken in turns compare); ``--report`` then prints each label's figures
over the same probes.
"""

import argparse
import json
import os
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path.cwd()  # the checkout measured: run from its root
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

PROBE_BASE = 2_000_000  # sequence numbers of this script's probes


def measure(args):
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jincheng_portal.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection

    from suggestions.duplicates.services import suggestion_check_duplicates
    from suggestions.models import Campaign, Suggestion
    from units.models import Unit

    settings.DEBUG = False  # as deploy/ runs the worker
    settings.DUPLICATES_SEMANTIC = False  # the encoder runs outside the lock: timed apart
    # Last: importing the bench's texts puts this script's checkout on the path too, and
    # the code measured must be the working directory's, imported above.
    from duplicates import make_ideas

    campaign = Campaign.objects.get(slug="bench-duplicates")
    texts, _planted = make_ideas(args.ideas + args.start + args.count)
    texts = texts[args.ideas + args.start :]
    units = list(Unit.objects.order_by("pk"))
    topic = Suggestion.objects.filter(campaign=campaign).values_list("topic_id", flat=True)[0]
    probes = Suggestion.objects.filter(campaign=campaign, sequence__gte=args.ideas)
    probes.delete()

    statements = []

    def timed(execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            statements.append(round((time.perf_counter() - started) * 1000, 3))

    with open(args.out, "a") as out:
        for j, text in enumerate(texts):
            number = PROBE_BASE + args.start + j
            idea = Suggestion.objects.create(
                campaign=campaign, receipt=f"CHECKS-{number}", sequence=number, channel="web",
                unit=units[j % len(units)], topic_id=topic, identity_type="public",
                title=text[:20], content=text, fingerprint=f"checks{number}",
            )  # fmt: skip
            statements.clear()
            with connection.execute_wrapper(timed):
                started = time.perf_counter()
                suggestion_check_duplicates(suggestion_id=idea.pk)
                total = (time.perf_counter() - started) * 1000
            line = {"label": args.label, "probe": args.start + j, "ms": round(total, 3),
                    "statements": statements}  # fmt: skip
            out.write(json.dumps(line) + "\n")
    probes.delete()
    print(f"{args.label}: {len(texts)} checks appended to {args.out}")


def report(args):
    checks = defaultdict(dict)  # label -> probe -> check times (a probe may run twice)
    with open(args.out) as lines:
        for line in map(json.loads, lines):
            checks[line["label"]].setdefault(line["probe"], []).append(line)
    common = set.intersection(*(set(probes) for probes in checks.values()))

    def pct(values, q):
        values = sorted(values)
        return values[min(len(values) - 1, int(len(values) * q))]

    print(f"{len(common)} probes checked under every label ({', '.join(checks)})")
    for label, probes in checks.items():
        rows = [row for probe in common for row in probes[probe]]
        total = [row["ms"] for row in rows]
        sql = [sum(row["statements"]) for row in rows]
        rest = [t - s for t, s in zip(total, sql, strict=True)]
        count = statistics.mean(len(row["statements"]) for row in rows)
        print(
            f"{label:>10}: {len(rows)} checks, p50 / p95 / max {pct(total, 0.5):.2f} / "
            f"{pct(total, 0.95):.2f} / {max(total):.2f} ms; statements {count:.2f} a check, "
            f"their time p50 / p95 {pct(sql, 0.5):.2f} / {pct(sql, 0.95):.2f} ms; the rest "
            f"(Python, BEGIN, COMMIT) p50 / p95 {pct(rest, 0.5):.2f} / {pct(rest, 0.95):.2f} ms"
        )


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--label")
    parser.add_argument("--ideas", type=int, default=1_000_000)
    parser.add_argument("--start", type=int, default=0)
    parser.add_argument("--count", type=int, default=100)
    parser.add_argument("--out", default="duplicates_checks.jsonl")
    parser.add_argument("--report", action="store_true")
    args = parser.parse_args()
    print("command: python bench/duplicates_checks.py " + " ".join(sys.argv[1:]))
    if args.report:
        report(args)
    elif not args.label:
        parser.error("--label is required to measure")
    else:
        measure(args)


if __name__ == "__main__":
    main()
