"""``zhuanlan extract``: one JSON line per page (used by the extraction evaluation)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from zhuanlan.cli.base import command
from zhuanlan.config import Config, load_config
from zhuanlan.errors import ZhuanlanError
from zhuanlan.jobs.extraction import extract_one


def run_extract(args: argparse.Namespace, cfg: Config) -> int:
    failed = 0
    fetcher = None
    for item in args.inputs:
        try:
            if item.startswith(("http://", "https://")):
                if fetcher is None:
                    from zhuanlan.fetch import Fetcher
                    fetcher = Fetcher.from_config(cfg)
                result = fetcher.get(item)
                record = extract_one(result.content, result.content_type, result.url,
                                     cfg["timezone"], min_chars=cfg["extract.min_body_chars"])
            else:
                path = Path(item)
                url = args.url or path.resolve().as_uri()
                record = extract_one(path.read_bytes(), None, url, cfg["timezone"],
                                     min_chars=cfg["extract.min_body_chars"])
        except (ZhuanlanError, OSError) as exc:
            failed += 1
            record = {"input": item, "error": str(exc),
                      "reason": getattr(exc, "reason", type(exc).__name__)}
        print(json.dumps(record, ensure_ascii=False), flush=True)
    if fetcher is not None:
        fetcher.close()
    if failed:
        print(f"{failed} of {len(args.inputs)} pages yielded no article", file=sys.stderr)
    return 1 if failed else 0


def add_parser(sub) -> None:
    s = sub.add_parser("extract", help="extract articles from files or URLs, one JSON line each")
    s.add_argument("inputs", nargs="+", metavar="FILE_OR_URL")
    s.add_argument("--url", help="the page's URL when extracting a single file")
    s.add_argument("--json", action="store_true", help="JSON lines (the default output)")


@command("extract")
def cmd_extract(args: argparse.Namespace) -> int:
    return run_extract(args, load_config(args.config))
