"""``zhuanlan dedup``: cluster a JSONL of articles into stories (used by the evaluation).

Input: one JSON object per line, ``{id, title, text, url, source}`` (``title``, ``url``
and ``source`` optional). Output: one line per story, ``{"story": <representative id>,
"ids": [...]}``, stories in the order of their first member, members in input order.
The representative is chosen by :func:`zhuanlan.dedup.stories.choose_representative`.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Hashable
from typing import IO

from zhuanlan.cli.base import command
from zhuanlan.dedup.minhash import signatures
from zhuanlan.dedup.stories import DocRef, choose_representative, cluster

__all__ = ["run_dedup"]


def _read(stream: IO[str], err: IO[str]) -> tuple[list[dict], int]:
    rows: list[dict] = []
    seen: set[Hashable] = set()
    bad = 0
    for lineno, line in enumerate(stream, start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            print(f"line {lineno}: not JSON ({exc.msg}); skipped", file=err)
            bad += 1
            continue
        if not isinstance(obj, dict):
            print(f"line {lineno}: not a JSON object; skipped", file=err)
            bad += 1
            continue
        doc_id = obj.get("id")
        if isinstance(doc_id, bool) or not isinstance(doc_id, (str, int)) or doc_id == "":
            print(f"line {lineno}: missing or invalid \"id\"; skipped", file=err)
            bad += 1
            continue
        text = obj.get("text")
        if text is not None and not isinstance(text, str):
            print(f"line {lineno}: \"text\" is not a string; skipped", file=err)
            bad += 1
            continue
        if doc_id in seen:
            print(f"line {lineno}: duplicate id {doc_id!r}; skipped", file=err)
            bad += 1
            continue
        seen.add(doc_id)
        obj["_text"] = text or ""
        rows.append(obj)
    return rows, bad


def run_dedup(source: str, out: IO[str] | None = None, err: IO[str] | None = None) -> int:
    """Cluster the JSONL at path ``source`` (``-``: standard input) and print the
    stories as JSONL on ``out``. Bad lines (not JSON, no id, text not a string, a
    repeated id) are reported on ``err`` with their line number and skipped.

    Returns 0, 1 when some lines were skipped (the stories of the others are printed),
    2 when the input cannot be read. Never raises for bad input."""
    out = out or sys.stdout
    err = err or sys.stderr
    try:
        if source == "-":
            rows, bad = _read(sys.stdin, err)
        else:
            with open(source, encoding="utf-8") as fh:
                rows, bad = _read(fh, err)
    except (OSError, UnicodeDecodeError) as exc:
        print(f"cannot read {source}: {exc}", file=err)
        return 2
    sigs = signatures(r["_text"] for r in rows)
    docs = [DocRef(id=r["id"], signature=s, source=str(r.get("source") or ""),
                   length=len(r["_text"]), url=str(r.get("url") or ""))
            for r, s in zip(rows, sigs)]
    by_id = {d.id: d for d in docs}
    for ids in cluster(docs):
        story = choose_representative([by_id[i] for i in ids])
        out.write(json.dumps({"story": story, "ids": ids}, ensure_ascii=False) + "\n")
    return 1 if bad else 0


def add_parser(sub) -> None:
    s = sub.add_parser("dedup", help="cluster a JSONL of {id, title, text, url, source} into "
                       "stories, printed as JSONL {story, ids}")
    s.add_argument("input", nargs="?", default="-", help="the JSONL file, or - for stdin")


@command("dedup")
def cmd_dedup(args: argparse.Namespace) -> int:
    return run_dedup(args.input)
