"""Throughput across nodes: bench/load's mixed load through nginx, 1 then 2 web nodes.

Not a test. Runs bench/load_bench.py three times with the same citizens, staff and
duration, on the same prepared database (the first run prepares it, the others reuse it):
  direct    gunicorn with --workers W on --port, no nginx (bench/load as it is)
  nginx-1   nginx on --port in front of 1 gunicorn node with W workers
  nginx-2   nginx on --port in front of 2 gunicorn nodes with W workers each
and prints req/s and p99 per role for each. All on this machine: on 2 cores a second
node adds no CPU, so the figure to read is the cost of nginx and a second node, not a
gain (docs/deployment.md). nginx's proxy settings are those of the site config in
deploy/nginx/ (least_conn, passive health checks, proxy_next_upstream); plain HTTP
on loopback because the bench's client speaks raw HTTP.

Usage: bench/cluster [--citizens 8] [--duration 30] [--workers 3] [--scale 0.05]
                     [--rounds 1]  (then bench/load's options, e.g. --redis, --port)
       bench/cluster --only nginx-2 --reuse     (one configuration)
Each timed run also prints the server side's CPU (gunicorn, nginx, the Celery worker
and the PostgreSQL backends of its database, from /proc) per answer: the figure for
sizing cores (docs/deployment.md).
Needs nginx (apt-get install nginx), PostgreSQL and Redis as bench/load does.
"""

import argparse
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
MODES = ("direct", "nginx-1", "nginx-2")


class Cluster:
    """nginx plus N gunicorn nodes, looking like the one Popen bench/load expects."""

    def __init__(self, env, *, workers: int, port: int, nodes: int):
        import benchlib

        self.folder = Path(tempfile.mkdtemp(prefix="jc-cluster-bench-"))
        self.nodes = []
        upstream = []
        for _ in range(nodes):
            with __import__("socket").socket() as sock:
                sock.bind(("127.0.0.1", 0))
                node_port = sock.getsockname()[1]
            self.nodes.append(benchlib.gunicorn_start(env, workers=workers, port=node_port))
            upstream.append(f"    server 127.0.0.1:{node_port} max_fails=3 fail_timeout=10s;")
        site = (ROOT / "deploy" / "nginx" / "jincheng-portal.conf").read_text()
        # The proxy directives of the real site's "location /", unchanged.
        proxy = re.search(r"(?ms)^    location / \{\n(\s+proxy_pass .*?)^    \}", site).group(1)
        (self.folder / "body").mkdir()
        conf = self.folder / "nginx.conf"
        conf.write_text(
            f"user root;\nworker_processes 1;\npid {self.folder}/nginx.pid;\n"
            f"error_log {self.folder}/error.log;\nevents {{ worker_connections 4096; }}\n"
            "http {\n  access_log off;\n"
            f"  client_body_temp_path {self.folder}/body;\n"
            f"  proxy_temp_path {self.folder}/body;\n"
            "  upstream jincheng_portal {\n    least_conn;\n" + "\n".join(upstream) + "\n  }\n"
            f"  server {{\n    listen 127.0.0.1:{port};\n    client_max_body_size 6m;\n"
            f"    location / {{\n{proxy}    }}\n  }}\n}}\n"
        )
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        self.nginx = subprocess.Popen([nginx, "-c", str(conf), "-g", "daemon off;"])

    def _all(self):
        return [self.nginx, *self.nodes]

    def send_signal(self, signum):
        for process in self._all():
            if process.poll() is None:
                process.send_signal(signum)

    def wait(self, timeout=None):
        for process in self._all():
            process.wait(timeout=timeout)
        shutil.rmtree(self.folder, ignore_errors=True)
        return 0

    def kill(self):
        for process in self._all():
            if process.poll() is None:
                process.kill()


TICKS = os.sysconf("SC_CLK_TCK")


def _cpu_seconds(pid: int) -> float:
    """User + system CPU of one process so far (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS


def _descendants(pid: int) -> list[int]:
    children = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _role_of(pid: int) -> str | None:
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return None
    for role in ("nginx", "gunicorn", "celery"):
        if role in cmdline:
            return role
    return None


def cpu_by_role(db_name: str) -> dict[str, dict[int, float]]:
    """CPU seconds so far of this bench's server processes: gunicorn (master and
    workers), nginx, the Celery worker, and the PostgreSQL backends serving its
    database (pg_stat_activity). The load clients are not counted."""
    from benchlib import psql

    by_role: dict[str, dict[int, float]] = {}
    for pid in _descendants(os.getpid()):
        role = _role_of(pid)
        if role:
            by_role.setdefault(role, {})[pid] = _cpu_seconds(pid)
    backends = psql(f"SELECT pid FROM pg_stat_activity WHERE datname = '{db_name}'").split()  # noqa: S608 (our constant)
    by_role["postgres"] = {int(pid): _cpu_seconds(int(pid)) for pid in backends}
    return by_role


def cpu_spent(before: dict, after: dict) -> dict[str, float]:
    """Per role, the CPU seconds spent between two samples (processes born since count
    from zero, processes gone since are not counted)."""
    return {
        role: sum(cpu - before.get(role, {}).get(pid, 0.0) for pid, cpu in pids.items())
        for role, pids in after.items()
    }


def run_one(mode: str, load_args: list[str]) -> None:
    """In a child process: bench/load with gunicorn_start replaced for the nginx modes."""
    sys.path.insert(0, str(BENCH))
    import load_bench

    # A database of its own: bench/load's may be in use by a plain bench/load run.
    load_bench.DB_NAME = "jc_cluster_bench"
    drive = load_bench.drive

    def drive_measured(opts, ctx, phase, citizens, seconds, tally):
        """bench/load's drive, with the server side's CPU per request printed."""
        before = cpu_by_role(load_bench.DB_NAME)
        result = drive(opts, ctx, phase, citizens, seconds, tally)
        spent = cpu_spent(before, cpu_by_role(load_bench.DB_NAME))
        answers = len(result["all"])
        total = sum(spent.values())
        cells = ", ".join(f"{role} {spent[role]:.1f}" for role in sorted(spent))
        print(
            f"  server CPU over {result['elapsed']:.1f} s: {total:.1f} s ({cells});"
            f" {1000 * total / max(answers, 1):.2f} ms CPU per answer, {answers} answers",
            flush=True,
        )
        return result

    load_bench.drive = drive_measured

    if mode != "direct":
        nodes = int(mode.split("-")[1])

        def cluster_start(env, *, workers: int, port: int):
            print(f"\n[{mode}] nginx on :{port} -> {nodes} node(s) x {workers} workers")
            return Cluster(env, workers=workers, port=port, nodes=nodes)

        load_bench.gunicorn_start = cluster_start
    sys.argv = ["bench/load", *load_args]
    load_bench.main()


SUMMARY = re.compile(r"^\s+(role \w+|overall)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)", re.M)
CPU = re.compile(r"server CPU over .*?([\d.]+) ms CPU per answer")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--citizens", type=int, default=8)
    parser.add_argument("--duration", type=float, default=30)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--scale", type=float, default=0.05)
    parser.add_argument("--only", choices=MODES)
    parser.add_argument("--reuse", action="store_true", help="the database is prepared")
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="run the configurations in turn this many times; the summary gives each"
        " round and the median (on a shared machine the load of others varies)",
    )
    if sys.argv[1:2] == ["--run-one"]:  # the child: everything after the mode is bench/load's
        run_one(sys.argv[2], sys.argv[3:])
        return 0
    opts, rest = parser.parse_known_args()
    if not (shutil.which("nginx") or Path("/usr/sbin/nginx").exists()):
        parser.error("nginx is not installed (apt-get install nginx)")
    runs = []
    order = [opts.only] if opts.only else list(MODES)
    for number, mode in enumerate(order * max(1, opts.rounds)):
        args = [
            "--citizens",
            str(opts.citizens),
            "--duration",
            str(opts.duration),
            "--workers",
            str(opts.workers),
            "--scale",
            str(opts.scale),
            *rest,
        ]
        if opts.reuse or number > 0:
            args.append("--reuse")
        print(f"\n=== {mode}: bench/load {' '.join(args)}", flush=True)
        child = subprocess.Popen(
            [sys.executable, __file__, "--run-one", mode, *args],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        output = []
        try:
            for line in child.stdout:
                print(line, end="", flush=True)
                output.append(line)
            child.wait()
        except KeyboardInterrupt:
            os.killpg(child.pid, signal.SIGTERM)
            raise
        timed = "".join(output).rsplit("timed run:", 1)[-1]
        figures = {m[0]: (float(m[1]), float(m[3])) for m in SUMMARY.findall(timed)}
        figures["status"] = child.returncode
        cpu = CPU.findall(timed)
        figures["cpu"] = float(cpu[-1]) if cpu else None
        figures["load"] = os.getloadavg()[0]
        runs.append((mode, figures))

    print("\n=== summary (timed runs): req/s and p99 ms per role")
    roles = ["role citizen", "role desk", "role leader", "overall"]
    print(f"  {'':12}" + "".join(f"{r.replace('role ', ''):>20}" for r in roles))

    def row(label, figures):
        cells = "".join(
            f"{figures[r][0]:>10.1f}{figures[r][1]:>10.0f}" if r in figures else f"{'-':>20}"
            for r in roles
        )
        cpu = f"{figures['cpu']:.2f}" if figures.get("cpu") is not None else "-"
        tail = f"   CPU/answer {cpu} ms"
        if "load" in figures:
            tail += f"   load {figures['load']:.1f}   exit {figures['status']}"
        print(f"  {label:12}{cells}{tail}")

    for mode, figures in runs:
        row(mode, figures)
    medians = {}
    for mode in order:
        mine = [f for m, f in runs if m == mode]
        median = {
            r: tuple(statistics.median(f[r][i] for f in mine if r in f) for i in (0, 1))
            for r in roles
            if any(r in f for f in mine)
        }
        cpus = [f["cpu"] for f in mine if f.get("cpu") is not None]
        median["cpu"] = statistics.median(cpus) if cpus else None
        medians[mode] = median
    if len(runs) > len(order):
        print("  median:")
        for mode, median in medians.items():
            row(mode, median)
    if "direct" in medians and "nginx-2" in medians and "overall" in medians["direct"]:
        direct = medians["direct"]["overall"][0]
        two = medians["nginx-2"].get("overall", (0,))[0]
        print(f"\n  nginx + 2 nodes vs 1 node direct: {100 * (two - direct) / direct:+.1f} % req/s")
    return max((f["status"] for _m, f in runs), default=0)


if __name__ == "__main__":
    sys.exit(main())
