"""Benchmark of near-duplicate grouping at campaign scale (a script, not a test).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/jc_duplicates_bench \
        .venv/bin/python bench/duplicates.py [--ideas 150000] [--probes 500]

Makes N short Chinese ideas (deterministic) with planted duplicates, then measures:
  1. the vectorised grouping alone (time, peak memory of a child process, recall on
     planted duplicates);
  2. with a database: loading them as one campaign, `manage.py find_duplicates` twice (time,
     peak memory of that process, which it prints, and of its process tree, normalising
     workers included): from no groups, so that every
     idea's group is written, then again, with nothing to write; the index's size on disk
     (PostgreSQL); the incremental check of new ideas against the full campaign (p50/p95/max
     per idea), and the semantic stage's sentence encoding of each on its own.
     The database must exist (createdb); it is migrated and its bench campaign replaced.
     ``--keep-groups`` reuses a campaign already loaded and grouped by an earlier run and
     skips the first rebuild. Without DATABASE_URL only part 1 runs.
"""

import argparse
import json
import os
import random
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.duplicates.evalset import (  # noqa: E402
    OPENINGS,
    PLACES,
    REASONS,
    _fill,
    _variant,
)

MODIFIERS = [
    "老旧",
    "农村",
    "社区",
    "城区",
    "学校周边",
    "医院周边",
    "景区",
    "工业园区",
    "背街",
    "城乡结合部",
    "新建小区",
    "老城区",
    "主干道",
    "高速出口",
    "火车站",
    "汽车站",
    "公园",
    "河道两岸",
    "菜市场周边",
    "商业街",
    "乡镇",
    "山区",
    "矿区",
    "开发区",
    "居民楼",
    "机关单位",
    "幼儿园",
    "养老院",
    "体育场",
    "图书馆",
    "博物馆",
    "古城",
    "夜市",
    "广场",
    "桥梁",
    "隧道",
    "立交桥",
    "停车场",
    "加油站",
    "快递点",
]
HEADS = [
    "道路", "路灯", "停车位", "公厕", "垃圾站", "绿地", "健身器材", "座椅", "监控", "指示牌",
    "排水管网", "人行道", "盲道", "斑马线", "信号灯", "公交站", "充电桩", "消防通道", "电梯",
    "暖气管道", "燃气管道", "自来水", "网络信号", "路面", "井盖", "护栏", "树木", "花坛",
    "宣传栏", "快递柜", "自行车道", "无障碍设施", "母婴室", "饮水点", "避雨棚", "减速带",
    "隔音屏", "照明", "标线", "围墙", "排污口", "雨水篦子", "广告牌", "电线杆", "通信基站",
    "便民服务点", "早餐车", "流动摊位", "共享单车", "空调外机", "化粪池", "下水道", "防护网",
    "应急避难场所", "阅览室", "食堂", "澡堂", "理发点", "维修点", "回收箱",
]  # fmt: skip
VERBS = [
    "新建", "改造", "增设", "维修", "清理", "规范", "整治", "扩建", "升级", "开放", "拆除",
    "更换", "加装", "迁移", "统一规划", "定期检查", "及时修复", "集中治理", "合理布局", "增加",
    "完善", "美化", "硬化", "亮化", "绿化", "取消", "限制", "补贴", "公示", "统计",
]  # fmt: skip

CLAUSE_DETAILS = [
    "每年安排{n}万元",
    "先试点{m}个月",
    "覆盖{n}户居民",
    "配备{m}名专职人员",
    "力争{y}年底前完成",
]


def make_ideas(n, planted_share=0.12, seed=150000):
    """n texts in submission order; planted[i] = source position or -1."""
    rng = random.Random(seed)
    texts, planted, parts = [], [], []
    while len(texts) < n:
        if texts and rng.random() < planted_share:
            source = rng.randrange(len(texts))
            while planted[source] != -1:  # plant copies of originals only
                source = rng.randrange(len(texts))
            opening, body = parts[source]
            kind = rng.choice(["resend", "edit", "reorder", "greeting", "traditional", "combo"])
            texts.append(_variant(kind, opening, body, rng))
            planted.append(source)
            parts.append(None)
            continue
        opening = rng.choice(OPENINGS).format(
            place=rng.choice(PLACES), subject=rng.choice(MODIFIERS) + rng.choice(HEADS)
        )
        body = []
        for _ in range(rng.randint(2, 4)):
            place, modifier = rng.choice(PLACES), rng.choice(MODIFIERS)
            clause = f"在{place}{modifier}{rng.choice(VERBS)}{rng.choice(HEADS)}"
            if rng.random() < 0.5:
                clause += "，" + _fill(rng.choice(CLAUSE_DETAILS), rng)
            body.append(clause)
        if rng.random() < 0.4:
            body.append(_fill(rng.choice(REASONS), rng))
        texts.append(opening + "。" + "".join(s + "。" for s in body))
        planted.append(-1)
        parts.append((opening, body))
    return texts, planted


def peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def pure_rebuild(n):
    """Child process: time and memory of the vectorised grouping alone."""
    from suggestions.duplicates.algorithm import DuplicateConfig, group_texts

    texts, planted = make_ideas(n)
    before = peak_mb()
    started = time.perf_counter()
    grouping = group_texts(texts, DuplicateConfig(), progress=lambda m: print("   ", m, flush=True))
    elapsed = time.perf_counter() - started
    rep = grouping.representative
    hits = [rep[i] == rep[s] for i, s in enumerate(planted) if s >= 0]
    print(json.dumps({
        "seconds": round(elapsed, 2), "peak_mb_before": round(before), "peak_mb": round(peak_mb()),
        "planted": len(hits), "recall": round(sum(hits) / len(hits), 4),
        "groups": int(len(set(rep.tolist()))), "candidate_pairs": grouping.candidate_pairs,
    }))  # fmt: skip


def index_size_mb(connection):
    """The duplicate index's tables with their indexes and TOAST, in MB (PostgreSQL only)."""
    if connection.vendor != "postgresql":
        return None
    from suggestions.models import DuplicateBand, DuplicateSignature

    sizes = {}
    with connection.cursor() as cursor:
        for model in (DuplicateSignature, DuplicateBand):
            table = model._meta.db_table
            cursor.execute("SELECT pg_total_relation_size(%s)", [table])
            sizes[table] = round(cursor.fetchone()[0] / 2**20, 1)
    sizes["total"] = round(sum(sizes.values()), 1)
    return sizes


def database_part(n, probes, keep_groups=False):
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jincheng_portal.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    from suggestions.duplicates.semantic import encode
    from suggestions.duplicates.services import suggestion_check_duplicates
    from suggestions.models import Campaign, Suggestion
    from tests.factories import SuggestionFactory
    from units.models import Unit
    from units.seeding import units_seed

    call_command("migrate", verbosity=0)
    if not Unit.objects.exists():
        units_seed()
    units = list(Unit.objects.order_by("pk"))
    campaign, _ = Campaign.objects.get_or_create(
        slug="bench-duplicates",
        defaults={"name": "bench", "receipt_prefix": "BENCH", "opens_at": "2021-01-01T00:00Z",
                  "closes_at": "2031-01-01T00:00Z"},
    )  # fmt: skip
    texts, planted = make_ideas(n + probes)
    base, extra = texts[:n], texts[n:]
    # Probe ideas of an earlier run go (with their index rows, through the ORM's cascade).
    Suggestion.objects.filter(campaign=campaign, sequence__gte=n).delete()
    existing = Suggestion.objects.filter(campaign=campaign).count()
    if existing != n:
        print(f"loading {n} ideas into campaign {campaign.slug} …", flush=True)
        from suggestions.models import DuplicateBand, DuplicateDecision, DuplicateSignature

        DuplicateBand.objects.filter(campaign=campaign)._raw_delete(DuplicateBand.objects.db)
        DuplicateSignature.objects.filter(campaign=campaign)._raw_delete("default")
        assert not DuplicateDecision.objects.filter(suggestion__campaign=campaign).exists()
        Suggestion.objects.filter(campaign=campaign)._raw_delete("default")
        topic = SuggestionFactory._meta.model._meta.get_field("topic").related_model.objects.first()
        batch = []
        for i, text in enumerate(base):
            batch.append(Suggestion(
                campaign=campaign, receipt=f"BENCH-{i:07d}", sequence=i, channel="web",
                unit=units[i % len(units)], topic=topic, identity_type="public",
                title=text[:20], content=text, fingerprint=f"bench{i}",
            ))  # fmt: skip
            if len(batch) == 10_000:
                Suggestion.objects.bulk_create(batch)
                batch = []
        Suggestion.objects.bulk_create(batch)
    first = None
    if not keep_groups or existing != n:
        # Measure a rebuild from scratch: no groups, no index rows.
        from suggestions.models import DuplicateBand, DuplicateSignature

        DuplicateBand.objects.filter(campaign=campaign)._raw_delete("default")
        DuplicateSignature.objects.filter(campaign=campaign)._raw_delete("default")
        Suggestion.objects.filter(campaign=campaign).update(
            duplicate_of=None, duplicate_similarity=None
        )
        connection.close()

        print("full rebuild: manage.py find_duplicates --campaign bench-duplicates", flush=True)
        first = _rebuild()
    index_mb = index_size_mb(connection)
    print("the same rebuild again (every group already right: nothing to write)", flush=True)
    second = _rebuild()

    ids = list(
        Suggestion.objects.filter(campaign=campaign).order_by("pk").values_list("pk", flat=True)
    )
    reps = dict(Suggestion.objects.filter(campaign=campaign).values_list("pk", "duplicate_of_id"))
    hits = [reps[ids[i]] == reps[ids[s]] for i, s in enumerate(planted[:n]) if s >= 0]

    # The check as a worker runs it, but without the sentence encoder (46-53 ms an idea,
    # outside the lock): the encoder is timed on its own. DEBUG off as in deploy/: with it
    # on, Django keeps and formats every query.
    settings.DUPLICATES_SEMANTIC = False
    settings.DEBUG = False
    timings, probe_hits, encoding = [], [], []
    topic = Suggestion.objects.filter(campaign=campaign).values_list("topic_id", flat=True)[0]
    for j, text in enumerate(extra):
        idea = Suggestion.objects.create(
            campaign=campaign, receipt=f"BENCH-{n + j:07d}", sequence=n + j, channel="web",
            unit=units[j % len(units)], topic_id=topic, identity_type="public", title=text[:20],
            content=text, fingerprint=f"bench{n + j}",
        )  # fmt: skip
        started = time.perf_counter()
        rep = suggestion_check_duplicates(suggestion_id=idea.pk)
        timings.append((time.perf_counter() - started) * 1000)
        source = planted[n + j]
        if 0 <= source < n:
            probe_hits.append(rep == reps[ids[source]])
        started = time.perf_counter()
        encode([text])
        encoding.append((time.perf_counter() - started) * 1000)
    timings.sort()
    encoding.sort()
    return {
        "database": connection.vendor,
        "rebuild_every_group_written": first,
        "rebuild_again_nothing_to_write": second,
        "index_mb_on_disk": index_mb,
        "rebuild_planted": len(hits),
        "rebuild_recall": round(sum(hits) / len(hits), 4),
        "incremental_checks": len(timings),
        "incremental_ms_p50": round(timings[len(timings) // 2], 2),
        "incremental_ms_p95": round(timings[int(len(timings) * 0.95)], 2),
        "incremental_ms_max": round(timings[-1], 2),
        "incremental_planted": len(probe_hits),
        "incremental_recall": round(sum(probe_hits) / max(1, len(probe_hits)), 4),
        "semantic_encoding_ms_p50": round(encoding[len(encoding) // 2], 2),
        "semantic_encoding_ms_p95": round(encoding[int(len(encoding) * 0.95)], 2),
    }


def _rebuild():
    """Run find_duplicates in its own process: wall time, the peak memory it prints, and
    the peak of its whole process tree (with its normalising workers), sampled every
    0.1 s from /proc (Linux)."""
    started = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out:
        run = subprocess.Popen(
            [sys.executable, "manage.py", "find_duplicates", "--campaign", "bench-duplicates"],
            cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        tree_peak = 0
        while run.poll() is None:
            tree_peak = max(tree_peak, _tree_rss_kb(run.pid))
            time.sleep(0.1)
        seconds = time.perf_counter() - started
        out.seek(0)
        stdout = out.read()
    print(stdout, flush=True)
    if run.returncode:
        raise SystemExit("find_duplicates failed")
    peak = re.search(r"peak memory (\d+) MB", stdout)
    return {
        "seconds_wall": round(seconds, 1),
        "peak_rss_mb": int(peak.group(1)) if peak else None,
        "peak_process_tree_rss_mb": round(tree_peak / 1024),
    }


def _tree_rss_kb(pid):
    """Resident memory of a process and all its descendants, in kB (0 once it is gone)."""
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            continue
        total += int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) if "VmRSS" in status else 0
        todo.extend(int(child) for child in children)
    return total


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--ideas", type=int, default=150_000)
    parser.add_argument("--probes", type=int, default=500)
    parser.add_argument("--pure-child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--skip-pure", action="store_true")
    parser.add_argument(
        "--keep-groups", action="store_true",
        help="campaign already loaded and grouped: skip the rebuild that writes every group",
    )  # fmt: skip
    args = parser.parse_args()
    if args.pure_child:
        pure_rebuild(args.ideas)
        return
    print("command:", " ".join(["python", *sys.argv]), flush=True)
    print("load average at start:", " ".join(f"{x:.2f}" for x in os.getloadavg()), flush=True)
    if not args.skip_pure:
        print(f"1. vectorised grouping of {args.ideas} ideas (child process)", flush=True)
        out = subprocess.run(
            [sys.executable, __file__, "--pure-child", "--ideas", str(args.ideas)],
            capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
        print(out, flush=True)
    if os.environ.get("DATABASE_URL"):
        print(f"2. database: {args.ideas} ideas, {args.probes} incremental checks", flush=True)
        figures = database_part(args.ideas, args.probes, args.keep_groups)
        print(json.dumps(figures, indent=1), flush=True)
    else:
        print("2. skipped: set DATABASE_URL to measure the rebuild command and the check")
    print("load average at end:", " ".join(f"{x:.2f}" for x in os.getloadavg()), flush=True)


if __name__ == "__main__":
    main()
