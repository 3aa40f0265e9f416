"""Reader benchmark: the article page and the reading records under 200 concurrent
phones, an open-loop burst, and the statistics pages, over a store the size of a large
company.

    .venv/bin/python bench/reader.py                   # 50,000 employees, 200 issues
    .venv/bin/python bench/reader.py --employees 5000 --issues 20 --seconds 5
    .venv/bin/python bench/reader.py --pg --workers 2  # PostgreSQL, two server processes

The store (bench/_reader_store.py; SQLite in a temporary directory, or with ``--pg`` a
fresh PostgreSQL database on 127.0.0.1:5432, dropped afterwards): a department tree
集团 › ~10 公司 › ~10 部门 each, the employees, one column with ``--issues`` issues of
5 articles (Chinese texts of 2–4k characters), the outbox of every issue × employee
(10M rows at full size) and the reading records of the 12 newest issues (60 % of the
recipients opened, 40 % studied every article).

The server is a real subprocess, ``python -m zhuanlan -c zhuanlan.toml serve`` (with
``--workers N`` when asked and the server has that option). The load generator
(bench/_reader_load.py) is another process. Closed-loop phases, ``--clients`` keep-alive
connections each sending its next request when the previous one is answered, after a
warm-up:

- static:   GET /static/style.css (the baseline: the same server, no app code)
- article:  GET /a/{id}?i={issue} as a known reader, an article of the 12 newest issues
- beat:     POST /read/beat {"v", "a", "s"} as a known reader
- mix:      open an article, then ``--beats`` heartbeats of that view (15 s, 30 s, …)
- study:    the reading as the issue counts it: open, heartbeats, then 我已学习
            (POST /read/studied with the view's reading time), the page its 303 leads
            back to and that page's /read/state (since December 7th, 2026)

After each phase the bench waits until the server has written everything it answered
(its journal files are empty; ``--no-wait`` does not), so that no phase is measured on
the backlog of the one before — the beat phase offers several times the 9:00 burst's
heartbeats — and prints how long that took.

Then the open loop: the study mix's requests arrive as a Poisson process at a rate that
steps up (``--rates``), each timed from its scheduled send time, until p99 reaches
100 ms. Then the statistics pages for the whole tree (the newest issue, the column's
trend) and the not-yet-studied export of the newest issue (XLSX and CSV), logged in as a
staff user. Every open, heartbeat and confirmation the generator got its answer for is
then looked up in the store (the run fails when one is missing).

The last line is ``RESULT rps=… p50_ms=… p99_ms=… open_loop_rps_at_p99_100=… stats_ms=…
static_ratio=…`` then more figures: the study mix's requests per second and latency under
``--clients`` clients, the open loop's highest rate that kept p99 < 100 ms, the median
time of the whole-tree statistics page of the newest issue, and the article page's rate
over the static file's.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from _proc import cpu_s  # noqa: E402
from _reader_load import VIEW_PREFIX  # noqa: E402
from _reader_store import ITEMS, SECRET, SLUG, STAFF, drop, query, setup, store_mb  # noqa: E402
from zhuanlan.study.journal import written  # noqa: E402
from zhuanlan.supervisor import die_with_parent  # noqa: E402

PHASES = ("static", "article", "beat", "mix", "study")
GOAL_P99_MS = 100
GOALS_MS = {"issue": 200, "trend": 300, "export": 2000}
RATES = "200,400,800,1200,1500,2000,2500,3000,3500,4000,5000,6000"
DRIVER = os.getpid()


# ---------------------------------------------------------------- processes

def _loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def cpu_ticks() -> tuple[int, int]:
    """(all, stolen) CPU ticks of the machine so far (/proc/stat): on a virtual machine
    "steal" is time the host gave our cores to someone else — runs vary with it."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return sum(fields[:8]), fields[7] if len(fields) > 7 else 0


def steal_share(before: tuple[int, int]) -> float:
    total, stolen = cpu_ticks()
    return (stolen - before[1]) / max(1, total - before[0])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _server_env() -> dict:
    return dict(os.environ, PYTHONPATH=os.environ.get("ZL_BENCH_SERVER_SRC", str(ROOT / "src")))


def serve_has_workers() -> bool:
    out = subprocess.run([sys.executable, "-m", "zhuanlan", "serve", "--help"],
                         capture_output=True, text=True, env=_server_env())
    return "--workers" in out.stdout


def _die_with_driver() -> None:
    # A driver killed outright (SIGKILL, a test's timeout) takes its server and its load
    # generator with it, instead of leaving them holding the port and database connections.
    die_with_parent(DRIVER)


def start_server(toml: str, port: int, tmp: Path, workers: int | None) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "zhuanlan", "-c", toml, "serve"]
    if workers:
        cmd += ["--workers", str(workers)]
    log = open(tmp / "server.log", "w")
    proc = subprocess.Popen(cmd, cwd=tmp, stdout=log, stderr=subprocess.STDOUT,
                            env=_server_env(), preexec_fn=_die_with_driver)
    import httpx
    deadline = time.time() + 60
    while time.time() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited: {(tmp / 'server.log').read_text()}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit("server did not start")


def tree(pid: int) -> list[int]:
    """``pid`` and its descendants (the server's worker processes)."""
    children: dict[int, list[int]] = {}
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                ppid = int((d / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(d.name))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo += children.get(p, [])
    return out


def tree_cpu_s(pid: int) -> float:
    total = 0.0
    for p in tree(pid):
        try:
            total += cpu_s(p)
        except OSError:
            pass
    return total


def tree_hwm_mb(pid: int) -> float:
    total = 0.0
    for p in tree(pid):
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    total += int(line.split()[1]) / 1024
        except OSError:
            pass
    return total


def has_state(port: int, recent: tuple[int, int]) -> bool:
    """Whether the server answers ``/read/state`` (the reader's own part of a page kept
    for every reader): then a phone asks it after each article page."""
    import httpx

    from zhuanlan.links import LinkSigner
    cookie = LinkSigner(SECRET).sign("reader-cookie", 1)
    r = httpx.get(f"http://127.0.0.1:{port}/read/state?a={recent[0]}&i={recent[1]}",
                  cookies={"zhuanlan_reader": cookie}, timeout=30)
    return r.status_code == 200 and r.headers.get("content-type", "").startswith(
        "application/json")


def journal_bytes(tmp: Path) -> int:
    """Bytes of the server's journal files: the records it answered that are not yet in
    the store (study.journal: a file goes once its records are committed)."""
    total = 0
    for path in (tmp / "data" / "journal").glob("*.jsonl"):
        try:
            data = path.read_bytes()
        except OSError:
            continue                    # settled meanwhile
        total += len(written(data))
    return total


def wait_for_store(tmp: Path, limit: float = 300.0) -> tuple[float, int]:
    """Wait until the server has written everything it answered; (seconds waited, journal
    bytes when the wait began). A phase is then not measured on the backlog of the phase
    before it."""
    t, start = time.perf_counter(), journal_bytes(tmp)
    left = start
    while left and time.perf_counter() - t < limit:
        time.sleep(0.1)
        left = journal_bytes(tmp)
    if left:
        print(f"  the store did not catch up within {limit:.0f} s ({left:,} journal bytes left)")
    return time.perf_counter() - t, start


def load_phase(spec: dict) -> dict:
    """Run the load generator in its own process and return its figures."""
    out = subprocess.run([sys.executable, __file__, "--child-load", json.dumps(spec)],
                         capture_output=True, text=True, preexec_fn=_die_with_driver)
    if out.returncode:
        raise SystemExit(f"load generator failed: {out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------- statistics

def _timed(client, url: str, repeat: int) -> tuple[dict, object]:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        r = client.get(url)
        times.append((time.perf_counter() - t) * 1000)
        assert r.status_code == 200, (url, r.status_code, r.text[:300])
    return {"median_ms": statistics.median(times), "min_ms": min(times),
            "first_ms": times[0], "bytes": len(r.content)}, r


def stats_timings(port: int, latest: int, repeat: int = 5) -> dict:
    import httpx
    client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=600,
                          follow_redirects=False)
    page = client.get("/login")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    r = client.post("/login", data={"username": STAFF[0], "password": STAFF[1],
                                    "csrf_token": csrf, "next": "/admin"})
    assert r.status_code == 303, (r.status_code, r.text[:500])
    out = {}
    out["issue"], r = _timed(client, f"/admin/stats/c/{SLUG}/{latest}", repeat)
    out["issue"]["html"] = r.text
    out["trend"], _ = _timed(client, f"/admin/stats/c/{SLUG}", repeat)
    export = f"/admin/stats/c/{SLUG}/{latest}/export"
    out["export"], _ = _timed(client, f"{export}.xlsx?what=pending", 3)
    out["csv"], r = _timed(client, f"{export}.csv?what=pending", 3)
    out["csv"]["rows"] = max(0, len(r.text.strip().splitlines()) - 1)
    client.close()
    return out


# ---------------------------------------------------------------- the records

def check_records(info: dict, outs: list[str], t_run: datetime) -> tuple[bool, str]:
    """Every open, heartbeat and confirmation answered with a 2xx (303 for 我已学习) is
    in the store: the reading (touched since the run began), the view with at least the
    seconds answered, the confirmation."""
    pairs, views, studied = set(), {}, set()
    for out in outs:
        data = json.loads(Path(out).read_text())
        pairs.update(map(tuple, data["pairs"]))
        studied.update(map(tuple, data["studied"]))
        for v, s in data["views"].items():
            views[v] = max(views.get(v, 0), s)
    rows = query(info, "SELECT reader, article_id, studied_at FROM readings "
                       "WHERE last_seen_at >= ? AND reader LIKE ?", (t_run, "s:%"))
    touched = {(int(r[2:]), a) for r, a, _ in rows}
    confirmed = {(int(r[2:]), a) for r, a, at in rows if at is not None}
    stored_views = dict(query(info, "SELECT view_id, seconds FROM reading_views "
                                    "WHERE view_id LIKE ?", (VIEW_PREFIX + "%",)))
    anon = query(info, "SELECT count(*) FROM readings WHERE reader LIKE ?", ("a:%",))[0][0]
    new = query(info, "SELECT count(*) FROM readings")[0][0] - info["counts"]["readings"]
    opens_in = len(pairs & touched)
    views_in = sum(stored_views.get(v, -1) >= s for v, s in views.items())
    studied_in = len(studied & confirmed)
    secs = sum(stored_views.get(v, 0) for v in views)
    ok = (opens_in == len(pairs) and views_in == len(views) and studied_in == len(studied)
          and anon == 0)
    line = (f"records sent → stored: opens {len(pairs):,} → {opens_in:,} ({new:,} new "
            f"readings); views {len(views):,} → {views_in:,} (seconds {secs:,} of "
            f"{sum(views.values()):,}); 我已学习 {len(studied):,} → {studied_in:,}; "
            f"anonymous readings {anon} — "
            f"{'OK, nothing lost' if ok else 'MISSING RECORDS'}")
    return ok, line


_CHECKPOINTS = "SELECT checkpoints_timed + checkpoints_req FROM pg_stat_bgwriter"


def pg_background(info: dict, since: datetime, checkpoints: int) -> str:
    """What PostgreSQL did by itself during the run (its autovacuum of our tables, its
    checkpoints): work on the same two cores the figures do not show otherwise."""
    rows = query(info, "SELECT relname, last_autovacuum, last_autoanalyze FROM "
                       "pg_stat_user_tables WHERE last_autovacuum >= ? OR "
                       "last_autoanalyze >= ? ORDER BY relname", (since, since))
    done = []
    for name, vacuum, analyze in rows:
        what = [w for w, at in (("vacuum", vacuum), ("analyze", analyze))
                if at is not None and at >= since]
        done.append(f"{name} ({', '.join(what)})")
    ran = query(info, _CHECKPOINTS)[0][0] - checkpoints
    return (f"autovacuum during the run: {', '.join(done) or 'none'}; checkpoints "
            f"{ran}")


# ---------------------------------------------------------------- driver

def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--employees", type=int, default=50_000)
    p.add_argument("--issues", type=int, default=200)
    p.add_argument("--seconds", type=float, default=20.0, help="measured seconds per phase")
    p.add_argument("--clients", type=int, default=200)
    p.add_argument("--beats", type=int, default=2,
                   help="heartbeats per article view in the mixes (default 2)")
    p.add_argument("--pg", action="store_true",
                   help="PostgreSQL on 127.0.0.1:5432 (a fresh database, dropped after)")
    p.add_argument("--workers", type=int,
                   help="server processes (zhuanlan serve --workers N, when it has it)")
    p.add_argument("--rates", default=RATES,
                   help=f"open-loop rates in requests/s, stepped up (default {RATES})")
    p.add_argument("--step-seconds", type=float,
                   help="seconds per open-loop rate (default: half of --seconds, at most 10)")
    p.add_argument("--no-wait", action="store_true",
                   help="start each phase at once, on the backlog of records the phase "
                        "before left (how runs before December 2026 measured)")
    p.add_argument("--keep", action="store_true",
                   help="keep the temporary directory (and the PostgreSQL database)")
    p.add_argument("--child-load", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child_load:
        from _reader_load import run as run_load
        print(json.dumps(run_load(json.loads(args.child_load), cpu_s)))
        return

    workers = args.workers
    if workers and not serve_has_workers():
        print(f"zhuanlan serve has no --workers: one server process (asked {workers})")
        workers = None
    cpus = os.cpu_count()
    print(f"reader benchmark: {args.employees:,} employees, {args.issues} issues × {ITEMS} "
          f"articles, {'PostgreSQL' if args.pg else 'SQLite'}, server "
          f"{f'--workers {workers}' if workers else 'as started by default'}, "
          f"{args.clients} clients, {args.seconds:g} s per phase, {cpus} CPUs — the load "
          f"generator (its own process) and the server share them")
    print(f"load average before: {_loadavg()} (other work on the machine shows here)")
    tmp = Path(tempfile.mkdtemp(prefix="zl-reader-bench-"))
    port = free_port()
    t0 = time.perf_counter()
    info: dict = {}
    server = None
    try:
        info = setup(tmp, args.employees, args.issues, port, pg=args.pg)
        c = info["counts"]
        if info["pg_db"]:
            print(f"PostgreSQL database {info['pg_db']} (dropped after the run)")
        print(f"setup {time.perf_counter() - t0:.1f} s: {c['departments']} departments, "
              f"{c['subscribers']:,} employees, {c['articles']:,} articles (mean "
              f"{info['text_chars']:.0f} chars), {c['issues']} issues, {c['deliveries']:,} "
              f"deliveries, {c['readings']:,} readings, {c['reading_views']:,} reading "
              f"views; store {store_mb(info):,.0f} MB")
        server = start_server(info["toml"], port, tmp, workers)
        ok = run(args, info, server, port, tmp)
    finally:
        if server is not None:
            server.send_signal(signal.SIGINT)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
        if args.keep:
            print(f"kept {tmp}" + (f" and database {info.get('pg_db')}" if args.pg else ""))
        else:
            import shutil
            if info:
                drop(info)
            elif args.pg:
                drop({"pg_db": f"zl_reader_bench_{os.getpid()}"})
            shutil.rmtree(tmp, ignore_errors=True)
    if not ok:
        raise SystemExit("reader benchmark FAILED: records answered by the server are "
                         "missing from the store")


def _phase_line(kind: str, r: dict) -> str:
    k = r["all"]
    errs = f", errors {r['errors']}" if r["errors"] else ""
    anon = f", ANONYMOUS answers {r['anonymous']}" if r["anonymous"] else ""
    return (f"{kind:8} {k['rps']:8.0f} req/s  p50 {k['p50_ms']:7.1f} ms  p99 "
            f"{k['p99_ms']:7.1f} ms  (n={k['n']:,}; CPU: server {r['server_cpu']:.0%} of a "
            f"core, {r['cpu_ms']:.2f} ms a request; generator {r['gen_cpu']:.0%}; stolen "
            f"by the host {r['steal']:.1%})"
            f"{errs}{anon}")


def run(args, info: dict, server: subprocess.Popen, port: int, tmp: Path) -> bool:
    base = {"port": port, "clients": args.clients, "employees": args.employees,
            "recent": info["recent"], "beats": args.beats, "secret": SECRET}
    t_run = datetime.now(UTC) - timedelta(seconds=1)
    checkpoints = query(info, _CHECKPOINTS)[0][0] if info.get("pg_db") else 0
    outs: list[str] = []
    base["state"] = has_state(port, info["recent"][-1])
    print(f"server processes: {len(tree(server.pid))}; the page asks /read/state: "
          f"{'yes' if base['state'] else 'no (the server has no such route)'}")

    def phase(kind: str, seed: int, **spec) -> dict:
        out = str(tmp / f"load-{kind}-{seed}.json")
        outs.append(out)
        cpu0, t, ticks = tree_cpu_s(server.pid), time.perf_counter(), cpu_ticks()
        r = load_phase({**base, "kind": kind, "seed": seed, "out": out, **spec})
        cpu = tree_cpu_s(server.pid) - cpu0
        r["steal"] = steal_share(ticks)
        r["server_cpu"] = cpu / (time.perf_counter() - t)
        r["cpu_ms"] = cpu * 1000 / max(1, r.get("answered", 1))
        if not args.no_wait:
            r["wait_s"], r["journal_bytes"] = wait_for_store(tmp)
        return r

    warm = min(5.0, args.seconds / 4)
    print(f"closed loop, each phase: {warm:g} s warm-up (same load, not counted), then "
          f"{args.seconds:g} s measured")
    results = {}
    for i, kind in enumerate(PHASES):
        r = results[kind] = phase(kind, i + 1, warmup=warm, seconds=args.seconds)
        print(_phase_line(kind, r))
        if "wait_s" in r:
            print(f"  the store caught up {r['wait_s']:.1f} s after the phase (journal "
                  f"{r['journal_bytes'] / 1e6:.1f} MB at its end)")
        if kind in ("mix", "study"):
            for sub in ("article", "state", "beat", "studied", "back"):
                if sub in r["kinds"]:
                    s = r["kinds"][sub]
                    print(f"  {kind}/{sub:7} {s['rps']:6.0f} req/s  p50 {s['p50_ms']:7.1f} ms"
                          f"  p99 {s['p99_ms']:7.1f} ms")
    static, article = results["static"]["all"], results["article"]["all"]
    static_ratio = article["rps"] / static["rps"]
    print(f"article page vs static file: {static_ratio:.2f}× the static rps "
          f"({article['rps']:.0f} / {static['rps']:.0f}; goal ≥ 0.8×)")

    # the open loop
    rates = [float(x) for x in args.rates.split(",") if x.strip()]
    step = args.step_seconds or max(1.0, min(10.0, args.seconds / 2))
    print(f"open loop (Poisson arrivals of the study mix, latency from the scheduled send "
          f"time, {step:g} s a rate, up to 1,000 connections):")
    r = phase("study", len(PHASES) + 1, open=True, rates=rates, seconds=step,
              max_conns=1000, drain=max(5.0, step), pause=1.0,
              goal_ms=GOAL_P99_MS, floor=min(25.0, rates[0]))
    for s in r["steps"]:
        errs = f", errors {s['errors']}" if s["errors"] else ""
        why = {**s.get("unanswered", {}), **s.get("failed", {})}
        lost = (f", {s['lost']:,} unanswered ({', '.join(f'{k} {n}' for k, n in sorted(why.items()))})"
                if s["lost"] else "")
        print(f"  {s['rate']:6.0f}/s offered → {s['rps']:6.0f}/s answered  p50 "
              f"{s['p50_ms']:8.1f} ms  p99 {s['p99_ms']:8.1f} ms  "
              f"{'ok' if s['pass'] else 'MISSED'} (n={s['n']:,}; {s['connections']} "
              f"connections so far; generator late p99 {s['gen_lag_p99_ms']:.1f} ms)"
              f"{errs}{lost}")
        print("         p99 by request: " + ", ".join(
            f"{k} {p99:,.0f} ms (n={n:,})" for k, (n, p99) in sorted(s["kinds"].items())))
    best = r["best"]
    print(f"open loop: highest rate with p99 < {GOAL_P99_MS} ms: {best:.0f} requests/s "
          f"(goal ≥ 1,500; CPU stolen by the host {r['steal']:.1%})")
    if "wait_s" in r:
        print(f"  the store caught up {r['wait_s']:.1f} s after the open loop (journal "
              f"{r['journal_bytes'] / 1e6:.1f} MB at its end)")

    # statistics
    st = stats_timings(port, info["latest"])
    issue, trend, xlsx, csv = st["issue"], st["trend"], st["export"], st["csv"]
    m = re.search(r"应学 (\d+) 人 · 已送达 (\d+) · 已打开 (\d+)\s*· 已学习 <strong[^>]*>(\d+)",
                  issue["html"])
    shown = (f" (page says 应学 {m.group(1)}, 已打开 {m.group(3)}, 已学习 {m.group(4)})"
             if m else "")

    def verdict(ms: float, goal: int) -> str:
        return f"{'ok' if ms < goal else 'MISSED'} < {goal} ms"
    print(f"stats, whole tree, issue {info['latest']}: median {issue['median_ms']:.0f} ms of 5 "
          f"(first {issue['first_ms']:.0f}, min {issue['min_ms']:.0f}; "
          f"{issue['bytes'] / 1e3:.0f} kB; {verdict(issue['median_ms'], GOALS_MS['issue'])})"
          f"{shown}")
    print(f"stats, column trend: median {trend['median_ms']:.0f} ms of 5 (first "
          f"{trend['first_ms']:.0f}, min {trend['min_ms']:.0f}; "
          f"{verdict(trend['median_ms'], GOALS_MS['trend'])})")
    print(f"not-yet-studied export, issue {info['latest']}: XLSX median "
          f"{xlsx['median_ms']:.0f} ms of 3 ({xlsx['bytes'] / 1e3:.0f} kB; "
          f"{verdict(xlsx['median_ms'], GOALS_MS['export'])}), CSV {csv['median_ms']:.0f} ms "
          f"({csv['rows']:,} people)")

    # the records reached the store
    time.sleep(1.5)            # > the 0.5 s flush interval
    ok, line = check_records(info, outs, t_run)
    print(line)
    print(f"server peak RSS (VmHWM, all processes) {tree_hwm_mb(server.pid):.0f} MB; store "
          f"now {store_mb(info):,.0f} MB")
    if info.get("pg_db"):
        print(f"PostgreSQL {pg_background(info, t_run, checkpoints)}")
    print(f"load average after: {_loadavg()}")
    if not ok:
        print("FAILED: records answered by the server are missing from the store",
              file=sys.stderr)
        return False
    study = results["study"]["all"]
    mix, art = results["mix"]["all"], results["article"]["all"]
    print(f"RESULT rps={study['rps']:.0f} p50_ms={study['p50_ms']:.1f} "
          f"p99_ms={study['p99_ms']:.1f} open_loop_rps_at_p99_100={best:.0f} "
          f"stats_ms={issue['median_ms']:.0f} static_ratio={static_ratio:.2f} "
          f"trend_ms={trend['median_ms']:.0f} export_ms={xlsx['median_ms']:.0f} "
          f"csv_ms={csv['median_ms']:.0f} article_rps={art['rps']:.0f} "
          f"article_p99_ms={art['p99_ms']:.1f} mix_rps={mix['rps']:.0f} "
          f"mix_p99_ms={mix['p99_ms']:.1f} static_rps={static['rps']:.0f}")
    return True


if __name__ == "__main__":
    main()
