"""Where a search's terms stand in a text, and the snippet around the first: plain text
and (start, end) spans, which the web page marks up (``web.marks``). Pure."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from zhuanlan.text.normalize import to_simplified
from zhuanlan.text.widths import to_half_width

SNIPPET_CHARS = 120
SNIPPET_BEFORE = 30

Spans = tuple[tuple[int, int], ...]


@dataclass(frozen=True)
class Marked:
    """A text and the spans of the terms in it."""
    text: str
    spans: Spans = ()


def _pattern(terms: Iterable[str]) -> re.Pattern | None:
    alts = []
    for t in sorted({t for t in terms if t}, key=len, reverse=True):
        # A phrase typed with spaces matches the text with or without them.
        alts.append(r"\s*".join(re.escape(piece) for piece in t.split()))
    return re.compile("|".join(alts), re.IGNORECASE) if alts else None


def _folded(value: str) -> str:
    """``value`` in the query's form (Simplified, half-width) where that keeps every
    character in place, so that spans found in it are spans of ``value``. Article
    texts are clean already; this is for the odd one that is not."""
    folded = to_half_width(value)
    simplified = to_simplified(folded)
    return simplified if len(simplified) == len(folded) else folded


def _spans(value: str, terms: Iterable[str]) -> list[tuple[int, int]]:
    pat = _pattern(terms)
    if pat is None or not value:
        return []
    return [m.span() for m in pat.finditer(_folded(value)) if m.end() > m.start()]


def mark_all(value: str, terms: Iterable[str]) -> Marked:
    """``value`` with the spans of every occurrence of the terms."""
    value = value or ""
    return Marked(value, tuple(_spans(value, terms)))


def snippet(value: str, terms: Iterable[str], size: int = SNIPPET_CHARS) -> Marked:
    """About ``size`` characters of ``value`` around its first hit, "…" where cut, with
    the spans of the hits in it. Without a hit: the beginning."""
    value = " ".join((value or "").split())
    spans = _spans(value, terms)
    start = max(0, spans[0][0] - SNIPPET_BEFORE) if spans else 0
    end = min(len(value), start + size)
    if end - start < size:
        start = max(0, end - size)
    lead = "…" if start > 0 else ""
    shift = len(lead) - start
    inside = tuple((max(s, start) + shift, min(e, end) + shift) for s, e in spans
                   if e > start and s < end)
    return Marked(lead + value[start:end] + ("…" if end < len(value) else ""), inside)
