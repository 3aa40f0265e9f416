"""The command line: one module per command group, each with its ``add_parser`` and its
handlers (``zhuanlan.cli.base.command``). A handler parses, calls the facade, prints.

``zhuanlan --help`` lists every command; ``zhuanlan COMMAND --help`` documents one.
"""

from __future__ import annotations

import argparse
import sys

from zhuanlan import __version__
from zhuanlan.cli import (
    channels,
    columns,
    dedup,
    extract,
    ledger,
    people,
    quiz,
    running,
    sources,
    stats,
    users,
)
from zhuanlan.cli.base import COMMANDS
from zhuanlan.errors import ZhuanlanError

__all__ = ["COMMANDS", "build_parser", "main"]

GROUPS = (running, sources, columns, people, ledger, channels, dedup, users, extract, quiz,
          stats)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="zhuanlan",
        description="专栏 zhuanlan: gather articles from authoritative sources, review them, "
                    "and push each column's issues to employees.")
    p.add_argument("--version", action="version", version=f"zhuanlan {__version__}")
    p.add_argument("-c", "--config", help="path of zhuanlan.toml (default: $ZHUANLAN_CONFIG "
                   "or ./zhuanlan.toml if present)")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for group in GROUPS:
        group.add_parser(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except ZhuanlanError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        position = getattr(exc, "position", None)
        if position is not None:
            print(f"（位置：第 {position + 1} 个字符）", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
