#!/usr/bin/env python
"""Benchmark of the screening desk at scale (a script, not a test).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/jc_screening_bench \
        .venv/bin/python bench/screening.py --rows 1000000

Steps: migrate the bench database, load the 153 units, generate --rows ideas
with consistent status history by COPY (skipped when the table already holds
that many; --regenerate forces it), ANALYZE, then time admin changelist pages
through Django's test client (screener of the largest county and the city
reviewer; unfiltered/filtered, page 1 and 500, a Chinese search), triage decisions
(the page script's one POST that decides and brings the next idea rendered, the
look-ahead GET, and the plain form POST + redirect + next page) and a bulk
shortlist of 1,000 ideas, printing p50/p95/max, the SQL time, the longest pause
of Python's garbage collector and the number of SQL queries. Like every gunicorn
worker (gunicorn.conf.py), the process calls gc.freeze() once loaded and warmed
up; --no-freeze shows the difference.
"""

import argparse
import gc
import importlib
import io
import math
import os
import random
import re
import resource
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jincheng_portal.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from suggestions.demo.accounts import demo_campaign_ensure  # noqa: E402
from suggestions.models import Status, Suggestion, Topic  # noqa: E402
from units.models import Unit  # noqa: E402
from units.roles import Role, assign_role, sync_role_groups, visible_units  # noqa: E402
from units.seeding import units_seed  # noqa: E402

CHANGELIST = "/admin/suggestions/suggestion/"
SUBJECTS = [
    "老城区",
    "高铁站",
    "太行山",
    "古村落",
    "农贸市场",
    "中小学",
    "社区",
    "景区",
    "工业园区",
    "沁河",
    "高速路口",
    "博物馆",
]
VERBS = ["建设", "改造", "提升", "完善", "推广", "整治", "规划", "开发", "优化", "增设"]
OBJECTS = [
    "停车场",
    "公交线路",
    "口袋公园",
    "健身步道",
    "养老服务",
    "垃圾分类",
    "智慧平台",
    "夜间经济",
    "乡村旅游",
    "红色旅游",
    "文化长廊",
    "农产品品牌",
    "人才公寓",
    "营商环境",
    "煤矿转型",
]
CLAUSES = [
    "方便群众就近办事",
    "提升城市宜居水平",
    "带动周边农民增收",
    "吸引外地游客来晋城",
    "减少交通拥堵",
    "改善空气质量",
    "促进产业转型升级",
    "让老人孩子都受益",
    "打造太行山水名城",
    "留住年轻人才",
]
SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗"
STATUS_MIX = [("collected", 55), ("shortlisted", 20), ("excellent", 5), ("set_aside", 20)]


def _percentile(values, q):
    """Nearest rank: the smallest value with at least q % of the samples at or below it."""
    values = sorted(values)
    return values[max(0, math.ceil(q / 100 * len(values)) - 1)]


def generate(rows: int, seed: int = 2021) -> None:
    rng = random.Random(seed)
    campaign = demo_campaign_ensure()
    units = list(Unit.objects.order_by("pk").values_list("pk", "kind"))
    # Counties and their towns get most ideas, departments fewer.
    weights = [5 if kind in ("county", "town", "zone") else 1 for _pk, kind in units]
    unit_ids = [pk for pk, _kind in units]
    topics = list(Topic.objects.values_list("pk", flat=True))
    reviewer = get_user_model().objects.get(username="bench_reviewer").pk
    screener = get_user_model().objects.get(username="bench_screener").pk
    statuses = [s for s, w in STATUS_MIX for _ in range(w)]
    start = campaign.opens_at
    span = 90 * 24 * 3600

    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE suggestions_outcomenotice, suggestions_score, suggestions_statuschange, "
            "suggestions_personaldataaccess, suggestions_suggestion RESTART IDENTITY CASCADE"
        )
        cursor.execute("DROP INDEX IF EXISTS sugg_text_bigrams")
    columns = (
        "campaign_id, receipt, sequence, status, channel, unit_id, topic_id, identity_type, "
        "title, content, name, phone, publish_consent, public_note, fingerprint, "
        "status_changed_at, status_changed_by_id, score_mean, score_count, received_at, updated_at"
    )
    hist_columns = "suggestion_id, actor_id, at, from_status, to_status, reason, via"
    batch = 100_000
    t0 = time.perf_counter()
    for first in range(1, rows + 1, batch):
        ideas, history = io.StringIO(), io.StringIO()
        for seq in range(first, min(first + batch, rows + 1)):
            received = start + timedelta(seconds=span * (seq / rows) + rng.random())
            status = rng.choice(statuses)
            obj = rng.choice(OBJECTS)
            title = f"关于{rng.choice(SUBJECTS)}{rng.choice(VERBS)}{obj}的建议"
            content = "，".join(
                f"建议在{rng.choice(SUBJECTS)}{rng.choice(VERBS)}{rng.choice(OBJECTS)}"
                f"{rng.choice(CLAUSES)}"
                for _ in range(rng.randint(2, 5))
            )
            phone = f"1{rng.choice('3589')}{rng.randrange(10**9):09d}"
            name = rng.choice(SURNAMES) + rng.choice("伟芳娜敏静丽强磊军洋")
            changed_at, changed_by, mean, count = r"\N", r"\N", r"\N", 0
            steps = []
            if status != "collected":
                t1 = received + timedelta(days=rng.randint(1, 10))
                if status == "set_aside" and rng.random() < 0.5:
                    steps.append((screener, t1, "collected", "set_aside", "不符合要求", "bulk"))
                else:
                    steps.append((screener, t1, "collected", "shortlisted", "", "bulk"))
                    if status in ("excellent", "set_aside"):
                        t2 = t1 + timedelta(days=rng.randint(1, 10))
                        steps.append((reviewer, t2, "shortlisted", status, "评审", "admin"))
                    if status != "shortlisted" or rng.random() < 0.3:
                        mean, count = f"{rng.uniform(2, 5):.2f}", rng.randint(1, 5)
                changed_by, changed_at = steps[-1][0], steps[-1][1].isoformat()
            unit = rng.choices(unit_ids, weights)[0]
            ideas.write(
                "\t".join(
                    map(
                        str,
                        (
                            campaign.pk,
                            f"{campaign.receipt_prefix}-{seq:07d}",
                            seq,
                            status,
                            rng.choice(("web", "web", "mini_program", "paper")),
                            unit,
                            rng.choice(topics),
                            rng.choice(("public", "official", "expert", "student")),
                            title,
                            content,
                            name,
                            phone,
                            "f",
                            "",
                            f"bench{seq}",
                            changed_at,
                            changed_by,
                            mean,
                            count,
                            received.isoformat(),
                            received.isoformat(),
                        ),
                    )
                )
                + "\n"
            )
            for actor, at, frm, to, reason, via in steps:
                history.write(f"{seq}\t{actor}\t{at.isoformat()}\t{frm}\t{to}\t{reason}\t{via}\n")
        ideas.seek(0)
        history.seek(0)
        with connection.cursor() as cursor:
            cursor.copy_expert(f"COPY suggestions_suggestion ({columns}) FROM STDIN", ideas)
            cursor.copy_expert(
                f"COPY suggestions_statuschange ({hist_columns}) FROM STDIN", history
            )
        print(f"  {min(first + batch - 1, rows):>9,} ideas  {time.perf_counter() - t0:6.1f} s")
    type(campaign).objects.filter(pk=campaign.pk).update(last_sequence=rows)
    t1 = time.perf_counter()
    search_migration = importlib.import_module("suggestions.migrations.0005_search_bigrams")
    with connection.cursor() as cursor:
        cursor.execute(search_migration.INDEX_SQL)
    print(f"  bigram GIN index built in {time.perf_counter() - t1:.1f} s")
    t1 = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE) suggestions_suggestion")
        cursor.execute("ANALYZE suggestions_statuschange")
    total = time.perf_counter() - t0
    print(f"  VACUUM ANALYZE {time.perf_counter() - t1:.1f} s; generation total {total:.1f} s")


class GcClock:
    """Time spent in Python's cyclic garbage collector, to tell its pauses from SQL."""

    def __init__(self):
        self.seconds = 0.0
        self._started = None
        gc.callbacks.append(self._callback)

    def _callback(self, phase, info):
        if phase == "start":
            self._started = time.perf_counter()
        elif self._started is not None:
            self.seconds += time.perf_counter() - self._started
            self._started = None


GC_CLOCK = GcClock()


def timed(client, url, params, repeat):
    durations, queries, sql, gc_ms = [], [], [], []
    for _ in range(repeat):
        gc_before = GC_CLOCK.seconds
        with CaptureQueriesContext(connection) as ctx:
            t = time.perf_counter()
            response = client.get(url, params)
            durations.append((time.perf_counter() - t) * 1000)
        if response.status_code != 200:  # e.g. page 500 of a small table redirects
            return None
        gc_ms.append((GC_CLOCK.seconds - gc_before) * 1000)
        queries.append(len(ctx.captured_queries))
        sql.append(sum(float(q["time"]) for q in ctx.captured_queries) * 1000)
    return durations, queries, sql, gc_ms


def users():
    sync_role_groups()
    User = get_user_model()
    biggest = (
        Unit.objects.filter(kind="county")
        .order_by("-pk")
        .annotate(n=django.db.models.Count("children"))
        .order_by("-n")
        .first()
    )
    screener, created = User.objects.get_or_create(username="bench_screener")
    if created:
        assign_role(user=screener, role=Role.SCREENER, units=[biggest])
    reviewer, created = User.objects.get_or_create(username="bench_reviewer")
    if created:
        assign_role(user=reviewer, role=Role.CITY_REVIEWER)
    return screener, reviewer, biggest


def export(user):
    """The screener's whole scope as .xlsx: time, rows, file size and peak RSS growth."""
    client = Client()
    client.force_login(user)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t = time.perf_counter()
    response = client.get("/admin/suggestions/suggestion/export/")
    size = sum(len(chunk) for chunk in response.streaming_content)
    elapsed = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    rows = Suggestion.objects.filter(unit__in=visible_units(user)).count()
    print(
        f"export of {rows:,} rows: {elapsed:.1f} s, {size / 1e6:.1f} MB .xlsx, "
        f"peak RSS {before / 1024:.0f} -> {after / 1024:.0f} MB"
    )


TRIAGE = "/admin/suggestions/suggestion/triage/"


def _row(label, durations, queries, sql=None):
    durations, queries = durations[2:], queries[2:]  # the first two warm up
    if not durations:
        print(f"triage    {label:34} (queue empty)")
        return
    sql_p50 = f"{statistics.median(sql[2:]):8.1f}" if sql else f"{'':8}"
    print(
        f"triage    {label:34} {statistics.median(durations):8.1f} "
        f"{_percentile(durations, 95):8.1f} {max(durations):8.1f} {sql_p50} {'':7} "
        f"{max(queries):8d}"
    )


def triage(user, label, query: dict, to_status: str, repeat: int) -> None:
    """Triage decisions, the way static/js/triage.js makes them: the page has already
    fetched the next idea (look-ahead) and shows it on the key press; one POST then
    decides and brings the idea after it, rendered. Timed: that POST (decision + next
    idea rendered), the look-ahead GET alone (once per page load or J), and, without
    the script, the plain form POST, its redirect and the next page."""
    client = Client()
    client.force_login(user)
    page = client.get(TRIAGE, query).content.decode()
    shown = re.search(r'data-idea="(\d+)"', page)
    seen = re.search(r'name="seen_status" value="(\w+)"', page)
    if shown is None or seen is None:
        print(f"triage    {label:34} (queue empty)")
        return
    shown, seen = shown.group(1), seen.group(1)
    ahead_url = re.search(r'data-next="([^"]+)"', page).group(1).replace("&amp;", "&")
    with CaptureQueriesContext(connection) as ctx:
        t = time.perf_counter()
        fragment = client.get(ahead_url, HTTP_X_TRIAGE="fetch")
        look = [(time.perf_counter() - t) * 1000]
    look_queries = [len(ctx.captured_queries)]
    ahead = re.search(r'data-idea="(\d+)"', fragment.content.decode()).group(1)
    durations, queries, sql = [], [], []
    for _ in range(repeat + 2):
        with CaptureQueriesContext(connection) as ctx:
            t = time.perf_counter()
            answer = client.post(
                TRIAGE,
                {
                    "op": "decide",
                    "idea": shown,
                    "seen_status": seen,
                    "to_status": to_status,
                    "queue": urlencode(query),
                    "next": ahead,
                },
                HTTP_X_TRIAGE="fetch",
            ).json()
            durations.append((time.perf_counter() - t) * 1000)
        queries.append(len(ctx.captured_queries))
        sql.append(sum(float(q["time"]) for q in ctx.captured_queries) * 1000)
        if not answer["ok"] or not answer["idea"]:
            break
        shown, ahead = ahead, str(answer["idea"])
        # The look-ahead a page load or J costs (the same idea, the user's own lease).
        after = f"{TRIAGE}?{urlencode({**query, 'after': shown, 'fragment': 1})}"
        with CaptureQueriesContext(connection) as ctx:
            t = time.perf_counter()
            client.get(after, HTTP_X_TRIAGE="fetch")
            look.append((time.perf_counter() - t) * 1000)
        look_queries.append(len(ctx.captured_queries))
    _row(f"{label}: decide+next", durations, queries, sql)
    _row(f"{label}: look-ahead GET", look, look_queries)

    # Without the page script: a form POST, its redirect, the next page.
    page = client.get(TRIAGE, query).content.decode()
    durations, queries = [], []
    for _ in range(min(repeat, 20) + 2):
        shown = re.search(r'data-idea="(\d+)"', page)
        seen = re.search(r'name="seen_status" value="(\w+)"', page)
        if shown is None or seen is None:
            break
        with CaptureQueriesContext(connection) as ctx:
            t = time.perf_counter()
            posted = client.post(
                TRIAGE,
                {
                    "op": "decide",
                    "idea": shown.group(1),
                    "seen_status": seen.group(1),
                    "to_status": to_status,
                    "queue": urlencode(query),
                },
            )
            page = client.get(posted["Location"]).content.decode()
            durations.append((time.perf_counter() - t) * 1000)
        queries.append(len(ctx.captured_queries))
    _row(f"{label}: no script, POST+GET", durations, queries)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=40)
    parser.add_argument("--regenerate", action="store_true")
    parser.add_argument("--skip-bulk", action="store_true")
    parser.add_argument(
        "--no-freeze", action="store_true", help="leave gc.freeze() out (to compare)"
    )
    parser.add_argument(
        "--only-export", action="store_true", help="only time the screener's .xlsx export"
    )
    parser.add_argument(
        "--only-triage", action="store_true", help="only time triage decisions (POST + next idea)"
    )
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("Run against PostgreSQL: set DATABASE_URL=postgres://…/jc_screening_bench")
    settings.DEBUG = False
    print(f"database {connection.settings_dict['NAME']}, target {args.rows:,} ideas")
    call_command("migrate", verbosity=0)
    if not Unit.objects.exists():
        units_seed()
    screener, reviewer, biggest = users()
    have = Suggestion.objects.count()
    if args.regenerate or have != args.rows:
        print(f"generating {args.rows:,} ideas (had {have:,})")
        generate(args.rows)
    in_scope = Suggestion.objects.filter(unit__path__startswith=biggest.path).count()
    print(f"screener unit {biggest.name}: {in_scope:,} ideas in scope\n")

    if args.only_export:
        export(screener)
        return
    if args.only_triage:
        args.skip_bulk = True

    scenarios = [
        ("screener", screener, "unfiltered p1", {}),
        ("screener", screener, "unfiltered p500", {"p": 500}),
        ("screener", screener, "status=collected p1", {"status__exact": "collected"}),
        ("screener", screener, "status=collected p500", {"status__exact": "collected", "p": 500}),
        ("screener", screener, "search 旅游", {"q": "旅游"}),
        ("screener", screener, "sort by score", {"o": "-7"}),  # 7th column: mean score
        ("reviewer", reviewer, "unfiltered p1", {}),
        ("reviewer", reviewer, "unfiltered p500", {"p": 500}),
        ("reviewer", reviewer, "status=shortlisted p1", {"status__exact": "shortlisted"}),
        (
            "reviewer",
            reviewer,
            "status=shortlisted p500",
            {"status__exact": "shortlisted", "p": 500},
        ),
        ("reviewer", reviewer, f"unit={biggest.name} p1", {"unit": biggest.pk}),
        ("reviewer", reviewer, "search 旅游", {"q": "旅游"}),
        ("reviewer", reviewer, "search 红色旅游", {"q": "红色旅游"}),
        ("reviewer", reviewer, "search receipt", {"q": "JC2021-0500000"}),
    ]
    if not args.no_freeze:
        # As gunicorn.conf.py does in every worker once the app is loaded.
        gc.freeze()
    print(
        f"{'who':9} {'page':34} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'SQL p50':>8} "
        f"{'GC max':>7} {'queries':>8}"
    )
    for who, user, label, params in [] if args.only_triage else scenarios:
        client = Client()
        client.force_login(user)
        timed(client, CHANGELIST, params, 2)  # warm the cache and the connection
        measured = timed(client, CHANGELIST, params, args.repeat)
        if measured is None:
            print(f"{who:9} {label:34} (page out of range)")
            continue
        durations, queries, sql, gc_ms = measured
        print(
            f"{who:9} {label:34} {statistics.median(durations):8.1f} "
            f"{_percentile(durations, 95):8.1f} {max(durations):8.1f} "
            f"{statistics.median(sql):8.1f} {max(gc_ms):7.1f} {max(queries):8d}"
        )

    # A decision plus the next idea rendered: target <= 100 ms p95, <= 15 queries.
    triage(
        screener,
        f"screener {biggest.name}",
        {"status__exact": "collected"},
        Status.SHORTLISTED,
        args.repeat,
    )
    triage(
        reviewer,
        "reviewer",
        {"status__exact": "shortlisted"},
        Status.EXCELLENT,
        args.repeat,
    )

    if not args.skip_bulk:
        client = Client()
        client.force_login(screener)
        # Staff select "all N" of a filtered list (a page holds 50): a received_at
        # window holding exactly 1,000 collected ideas of the screener's units.
        times = list(
            Suggestion.objects.filter(unit__path__startswith=biggest.path, status=Status.COLLECTED)
            .order_by("received_at")
            .values_list("received_at", flat=True)[:1001]
        )
        window = {
            "status__exact": "collected",
            "received_at__gte": times[0].isoformat(),
            "received_at__lt": times[-1].isoformat(),
        }
        ids = list(
            Suggestion.objects.filter(
                unit__path__startswith=biggest.path,
                status=Status.COLLECTED,
                received_at__gte=times[0],
                received_at__lt=times[-1],
            ).values_list("pk", flat=True)
        )
        url = f"{CHANGELIST}?{urlencode(window)}"
        with CaptureQueriesContext(connection) as ctx:
            t = time.perf_counter()
            response = client.post(
                url,
                {
                    "action": "shortlist",
                    "select_across": "1",
                    "index": "0",
                    "_selected_action": ids[:1],
                },
            )
            elapsed = (time.perf_counter() - t) * 1000
        assert response.status_code == 302, response.status_code
        done = Suggestion.objects.filter(pk__in=ids, status=Status.SHORTLISTED).count()
        print(
            f"\nbulk shortlist of {len(ids):,} ideas: {elapsed:.0f} ms, "
            f"{len(ctx.captured_queries)} queries, {done:,} shortlisted"
        )
    print(f"\nrun at {timezone.now():%Y-%m-%d %H:%M} UTC; command: {' '.join(sys.argv)}")


if __name__ == "__main__":
    main()
