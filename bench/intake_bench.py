"""Intake benchmark: gunicorn in production mode on PostgreSQL, load from another process.

Measures, in one run with one server configuration and one load generator:
  (a) a constant-response view           GET  /bench/constant/
  (b) a minimal form-validate-and-insert POST /bench/minimal-insert/ (plain form, no CSRF)
  (c) the real form page                 GET  /submit/
  (d) the real form POST                 POST /submit/ (real CSRF cookie + token, 302 expected)
  (e) the real API POST                  POST /api/v1/suggestions/ (Bearer key, 201 expected)
and prints requests/s, p50/p99 latency, errors, and for (b), (d), (e) whether the
rows stored equal the successful responses.

The load generator runs in separate processes (multiprocessing) with blocking
sockets, one request per connection (gunicorn's sync workers close after each
response). Every client finishes its last request before the clock stops, so
"successes" counts every request the server answered.

Usage: bench/intake [--duration 10] [--clients 16] [--workers 3] [--port 8765]
Needs PostgreSQL at 127.0.0.1:5432 (user postgres, trust) and Redis at 127.0.0.1:6379.
"""

import argparse
import multiprocessing
import signal
import sys
import time
import urllib.parse

from benchlib import (
    PY,
    build,
    csrf_pair,
    database_prepare,
    gunicorn_start,
    http,
    percentile,
    production_env,
    psql,
    run,
    wait_up,
)

DB_NAME = "jc_intake_bench"
CONTENT = "建议在老城区增加口袋公园和健身步道，方便居民就近锻炼，提升城市宜居水平。编号"


def prepare(env) -> dict:
    database_prepare(DB_NAME, env)
    script = (
        "from suggestions.demo.accounts import demo_campaign_ensure\n"
        "from suggestions.models import Campaign\n"
        "c = demo_campaign_ensure()\n"
        "Campaign.objects.get_or_create(slug='bench-minimal', defaults=dict(name='bench',"
        " receipt_prefix='BENCH', opens_at=c.opens_at, closes_at=c.closes_at, is_active=False))\n"
        "from suggestions.models import Topic; from units.models import Unit\n"
        "print(Topic.objects.order_by('sort_order').first().pk,"
        " Unit.objects.get(name='泽州县').pk)\n"
    )
    out = run([PY, "manage.py", "shell", "-c", script], env, capture_output=True).stdout.split()
    key = run(
        [PY, "manage.py", "create_channel_key", "bench"], env, capture_output=True
    ).stdout.strip()
    return {"topic": out[-2], "unit": out[-1], "key": key}


def rows() -> int:
    return int(psql("SELECT count(*) FROM suggestions_suggestion", DB_NAME))


# --- load generator (runs in child processes) ------------------------------------


def client_loop(args) -> tuple[list[float], int, int, dict]:
    scenario, port, seconds, client_id, ctx = args
    latencies: list[float] = []
    errors = 0
    successes = 0
    n = 0
    statuses: dict = {}
    if scenario == "d":
        cookie, token = csrf_pair(port)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        n += 1
        unique = f"{client_id:03d}{n:06d}"
        # A different number range per scenario, so no POST repeats an earlier one.
        phone = {"b": "13", "d": "15", "e": "18"}.get(scenario, "17") + unique
        if scenario == "a":
            raw, expect = build("GET", "/bench/constant/"), 200
        elif scenario == "c":
            raw, expect = build("GET", "/submit/"), 200
        elif scenario == "b":
            body = urllib.parse.urlencode(
                {"title": "基准测试", "content": CONTENT + scenario + unique, "phone": phone}
            ).encode()
            headers = {"Content-Type": "application/x-www-form-urlencoded"}
            raw, expect = build("POST", "/bench/minimal-insert/", body=body, headers=headers), 201
        elif scenario == "d":
            body = urllib.parse.urlencode(
                {
                    "csrfmiddlewaretoken": token,
                    "title": "基准测试",
                    "content": CONTENT + scenario + unique,
                    "topic": ctx["topic"],
                    "unit": ctx["unit"],
                    "identity_type": "public",
                    "name": "",
                    "phone": phone,
                    "consent": "on",
                    "website": "",
                }
            ).encode()
            headers = {
                "Content-Type": "application/x-www-form-urlencoded",
                "Cookie": f"csrftoken={cookie}",
            }
            raw, expect = build("POST", "/submit/", body=body, headers=headers), 302
        else:  # e
            import json

            body = json.dumps(
                {
                    "title": "基准测试",
                    "content": CONTENT + scenario + unique,
                    "topic": int(ctx["topic"]),
                    "unit": int(ctx["unit"]),
                    "identity_type": "public",
                    "phone": phone,
                },
                ensure_ascii=False,
            ).encode()
            headers = {
                "Content-Type": "application/json",
                "Authorization": f"Bearer {ctx['key']}",
            }
            raw, expect = build("POST", "/api/v1/suggestions/", body=body, headers=headers), 201
        started = time.perf_counter()
        try:
            status, _data = http(port, raw)
        except OSError as exc:
            errors += 1
            statuses[type(exc).__name__] = statuses.get(type(exc).__name__, 0) + 1
            continue
        latencies.append(time.perf_counter() - started)
        if status == expect:
            successes += 1
        else:
            errors += 1
            statuses[status] = statuses.get(status, 0) + 1
    return latencies, successes, errors, statuses


def drive(scenario, port, seconds, clients, ctx):
    with multiprocessing.get_context("spawn").Pool(clients) as pool:
        started = time.monotonic()
        results = pool.map(client_loop, [(scenario, port, seconds, i, ctx) for i in range(clients)])
        elapsed = time.monotonic() - started
    latencies = sorted(x for r in results for x in r[0])
    successes = sum(r[1] for r in results)
    errors = sum(r[2] for r in results)
    kinds: dict = {}
    for r in results:
        for kind, count in r[3].items():
            kinds[kind] = kinds.get(kind, 0) + count
    return latencies, successes, errors, elapsed, kinds


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=float, default=10)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/2")
    parser.add_argument("--only", default="abcde")
    parser.add_argument(
        "--env", action="append", default=[], help="extra KEY=VALUE for the server (experiments)"
    )
    opts = parser.parse_args()

    # The limiter still runs (two Redis INCRs per POST) with its limits lifted.
    env = production_env(DB_NAME, opts.redis, opts.env, INTAKE_BENCH_VIEWS="1")
    print("preparing database", DB_NAME, "…", flush=True)
    ctx = prepare(env)
    server = gunicorn_start(env, workers=opts.workers, port=opts.port)
    try:
        wait_up(opts.port, "/bench/constant/")
        labels = {
            "a": "(a) constant view",
            "b": "(b) minimal form+insert",
            "c": "(c) GET /submit/",
            "d": "(d) form POST /submit/",
            "e": "(e) API POST",
        }
        results = {}
        print(
            f"\ngunicorn {opts.workers} sync workers, DEBUG=0, PostgreSQL; "
            f"{opts.clients} clients, {opts.duration:.0f}s each\n"
        )
        header = f"{'scenario':26} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'ok':>7}"
        print(f"{header} {'errors':>6}  rows")
        for scenario in opts.only:
            before = rows()
            lat, ok, errors, elapsed, kinds = drive(
                scenario, opts.port, opts.duration, opts.clients, ctx
            )
            stored = rows() - before
            rate = ok / elapsed
            results[scenario] = rate
            check = ""
            if scenario in "bde":
                check = f"stored {stored} {'==' if stored == ok else '!='} ok {ok}"
            if kinds:
                check += f"  error kinds: {kinds}"
            print(
                f"{labels[scenario]:26} {rate:8.0f} {percentile(lat, 0.5) * 1000:8.1f} "
                f"{percentile(lat, 0.99) * 1000:8.1f} {ok:7d} {errors:6d}  {check}",
                flush=True,
            )
        if {"a", "c"} <= results.keys():
            print(f"\n(c)/(a) = {results['c'] / results['a']:.2f}  (target ≥ 0.25)")
        if {"b", "d"} <= results.keys():
            print(f"(d)/(b) = {results['d'] / results['b']:.2f}  (target ≥ 0.5)")
        if {"b", "e"} <= results.keys():
            print(f"(e)/(b) = {results['e'] / results['b']:.2f}")
        print("\ncommand: bench/intake " + " ".join(sys.argv[1:]))
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
