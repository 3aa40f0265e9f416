"""``zhuanlan stats``: the statistics' roll-up (``study_progress``, one row per issue and
person) that triggers keep up to date as records arrive. ``rebuild`` recomputes it from the
outbox and the readings — after restoring a backup made without it, or to be sure."""

from __future__ import annotations

import argparse
import time

from zhuanlan.cli.base import command, facade


def add_parser(sub) -> None:
    s = sub.add_parser("stats", help="the statistics' roll-up: rebuild it from the records")
    ss = s.add_subparsers(dest="action", required=True)
    ss.add_parser("rebuild", help="recompute the roll-up per issue and person from the outbox "
                  "and the reading records, in one transaction")


@command("stats")
def cmd_stats(args: argparse.Namespace) -> int:
    zl = facade(args)
    try:
        started = time.perf_counter()
        rows = zl.statistics.rebuild(by="cli")
        print(f"统计汇总已重建：{rows} 行，用时 {time.perf_counter() - started:.1f} 秒")
        return 0
    finally:
        zl.close()
