"""Matched terms highlighted with <mark>, every other character escaped — the one place
that turns spans into HTML, for the review page and the search page."""

from __future__ import annotations

from collections.abc import Iterable

from markupsafe import Markup, escape

from zhuanlan.search.snippets import Marked
from zhuanlan.selection import highlight


def marked(text: str, spans: Iterable[tuple[int, int]]) -> Markup:
    """``text`` escaped, each (start, end) span in ``<mark>`` (overlaps skipped)."""
    out, pos = [], 0
    for start, end in spans:
        if start < pos:
            continue
        out.append(escape(text[pos:start]))
        out.append(Markup("<mark>") + escape(text[start:end]) + Markup("</mark>"))
        pos = end
    out.append(escape(text[pos:]))
    return Markup("").join(out)


def mark(text: str, terms: list[str]) -> Markup:
    """The column's matched terms marked in an article's text (the review page)."""
    if not text or not terms:
        return escape(text or "")
    return marked(text, highlight(text, terms))


def mark_hit(value: Marked) -> Markup:
    """A search hit's title or snippet, its terms marked."""
    return marked(value.text, value.spans)
