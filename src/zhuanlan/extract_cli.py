"""``zhuanlan extract``: one JSON line per page (used by the extraction evaluation)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from zhuanlan.config import Config
from zhuanlan.errors import ExtractError, ZhuanlanError


def extract_one(content: bytes, content_type: str | None, url: str, tz: str) -> dict:
    """Decode, extract and clean one page — the worker's own path (``run_task``) — into
    the JSON record of ``zhuanlan extract``.

    Raises ExtractError (a ZhuanlanError) when the page yields no article.
    """
    from zhuanlan.jobs.extraction import ExtractFailure, ExtractTask, run_task

    article = run_task(ExtractTask(0, url, content, None, tz, content_type=content_type))
    if isinstance(article, ExtractFailure):
        raise ExtractError(url, article.reason, article.message)
    return {
        "url": article.url, "title": article.title, "text": article.text,
        "published": article.published.isoformat() if article.published else None,
        "author": article.author, "source_name": article.source_name, "lang": article.lang,
        "flags": sorted(article.flags),
    }


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
                                     cfg["timezone"])
            else:
                path = Path(item)
                url = args.url or path.resolve().as_uri()
                record = extract_one(path.read_bytes(), None, url, cfg["timezone"])
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
