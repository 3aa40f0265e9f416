"""``zhuanlan ledger``: the 学习台账 (one row per person, a column group per issue or month)
and the summary per department ranked by completion, written to XLSX or CSV. The command
line sees the whole organisation; ``--department`` narrows the ledger."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from zhuanlan.cli.base import command, facade
from zhuanlan.errors import ConfigError
from zhuanlan.study.periods import PART_PATTERN, Period
from zhuanlan.study.scope import Scope


def add_parser(sub) -> None:
    s = sub.add_parser("ledger", help="学习台账 and the summary per department, to XLSX or CSV")
    ss = s.add_subparsers(dest="action", required=True)
    for name, text in (("export", "write the ledger (one row per person) to FILE.xlsx or "
                        "FILE.csv"),
                       ("summary", "write the summary per department, ranked by completion, "
                        "to FILE.xlsx or FILE.csv")):
        a = ss.add_parser(name, help=text)
        a.add_argument("file")
        a.add_argument("--column", default="", help="the column's slug (default: all columns)")
        a.add_argument("--year", type=int, help="the year (default: this year)")
        a.add_argument("--period", default="",
                       help="q1…q4 for a quarter, m1…m12 for a month (default: the whole year)")
        if name == "export":
            a.add_argument("--by", choices=("issue", "month"), default="issue",
                           help="a column group per issue (default) or per month")
            a.add_argument("--department", default="", help="only this department's subtree")
        else:
            a.add_argument("--level", type=int, default=0,
                           help="the depth of the units ranked (default: the first level "
                                "that branches)")


def _target(args: argparse.Namespace) -> tuple[Path, str]:
    path = Path(args.file)
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in ("xlsx", "csv"):
        raise ConfigError(args.file, "文件名应以 .xlsx 或 .csv 结尾")
    if not re.fullmatch(PART_PATTERN, args.period):
        raise ConfigError("--period", "应为 q1…q4 或 m1…m12")
    return path, fmt


@command("ledger")
def ledger(args: argparse.Namespace) -> int:
    path, fmt = _target(args)
    zl = facade(args)
    try:
        year = args.year or zl.clock().astimezone(zl.ledger.tz).year
        period = Period.parse(year, args.period)
        if args.action == "export":
            _, body = zl.ledger.export(fmt, scope=Scope(), slug=args.column, period=period,
                                       by=args.by, department=args.department, actor="cli")
        else:
            _, body = zl.ledger.export_summary(fmt, scope=Scope(), slug=args.column,
                                               period=period, level=args.level, actor="cli")
    finally:
        zl.close()
    path.write_bytes(body)
    print(f"已写入 {path}（{period.label}）")
    return 0
