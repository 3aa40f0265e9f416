"""Statistics benchmark: the three statistics requests of the reader benchmark (the newest
issue for the whole tree, the column's trend, the not-yet-studied export) over its store,
built once into a directory and reused, so that a change can be timed again in seconds.

    .venv/bin/python bench/stats.py --dir /tmp/zl-stats-store           # build, then time
    .venv/bin/python bench/stats.py --dir /tmp/zl-stats-store --profile  # cProfile, in-process
    .venv/bin/python bench/stats.py --dir /tmp/zl-stats-store --migrate  # bring the kept
                                                                        # store to the code's schema first

The store is bench/_reader_store.py's (50,000 employees, 200 issues by default; SQLite,
or with ``--pg`` a PostgreSQL database kept until ``--drop``).
Timings are through a real ``zhuanlan serve`` subprocess and HTTP, as bench/reader.py
times them; ``--profile`` instead calls the facade in this process under cProfile and
prints the top of the profile.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import signal
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from _reader_store import SLUG, drop, setup  # noqa: E402
from reader import GOALS_MS, free_port, start_server, stats_timings  # noqa: E402


def _store(tmp: Path, employees: int, issues: int, pg: bool) -> dict:
    meta = tmp / "info.json"
    if meta.exists():
        return json.loads(meta.read_text())
    tmp.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    info = setup(tmp, employees, issues, free_port(), pg=pg)
    if pg:
        print(f"PostgreSQL database {info['pg_db']}: kept with the directory; drop it with "
              f"--drop")
    print(f"built the store in {time.perf_counter() - t0:.0f} s: {info['counts']}")
    meta.write_text(json.dumps(info))
    return info


def _zl(info: dict):
    from zhuanlan.config import load_config
    from zhuanlan.core import Zhuanlan
    return Zhuanlan(load_config(Path(info["toml"]), environ={}))


def _profile(info: dict) -> None:
    from zhuanlan.study import export
    zl = _zl(info)

    def requests() -> None:
        stats = zl.statistics.issue(SLUG, info["latest"])
        zl.statistics.column_trend(SLUG)
        export.to_csv(export.PEOPLE_HEADERS, export.people_rows(stats.not_studied()))

    requests()                                   # warm the caches, as a server would be
    prof = cProfile.Profile()
    prof.enable()
    requests()
    prof.disable()
    pstats.Stats(prof).sort_stats("cumulative").print_stats(25)
    zl.close()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--dir", required=True, help="where the store is built (kept, reused)")
    p.add_argument("--employees", type=int, default=50_000)
    p.add_argument("--issues", type=int, default=200)
    p.add_argument("--profile", action="store_true")
    p.add_argument("--pg", action="store_true",
                   help="build the store in a new PostgreSQL database on 127.0.0.1:5432")
    p.add_argument("--drop", action="store_true",
                   help="drop the directory's PostgreSQL database and forget the store")
    p.add_argument("--migrate", action="store_true",
                   help="upgrade the kept store to the code's schema first (timed)")
    args = p.parse_args()
    tmp = Path(args.dir).resolve()
    if args.drop:
        meta = tmp / "info.json"
        if meta.exists():
            drop(json.loads(meta.read_text()))
            meta.unlink()
        return
    info = _store(tmp, args.employees, args.issues, args.pg)
    if args.migrate:
        t0 = time.perf_counter()
        zl = _zl(info)
        zl.migrate()
        zl.close()
        print(f"migrated in {time.perf_counter() - t0:.1f} s")
    if args.profile:
        _profile(info)
        return
    port = free_port()
    toml = Path(info["toml"])
    # The port is the run's: rewrite it in the kept config.
    text = toml.read_text(encoding="utf-8")
    toml.write_text("\n".join(f"port = {port}" if line.startswith("port = ") else line
                              for line in text.splitlines()) + "\n", encoding="utf-8")
    server = start_server(str(toml), port, tmp, None)
    try:
        st = stats_timings(port, info["latest"])
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=30)
    for key, label in (("issue", "newest issue, whole tree"), ("trend", "column trend"),
                       ("export", "not-yet-studied export (xlsx)"),
                       ("csv", "not-yet-studied export (csv)")):
        r = st[key]
        goal = GOALS_MS["export" if key == "csv" else key]
        print(f"{label:32} median {r['median_ms']:7.0f} ms  min {r['min_ms']:7.0f} ms  "
              f"first {r['first_ms']:7.0f} ms  goal < {goal} ms")
    print(f"not-yet-studied rows: {st['csv']['rows']:,}")


if __name__ == "__main__":
    main()
