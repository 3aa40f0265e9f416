"""Matched terms highlighted with <mark>, every other character escaped."""

from __future__ import annotations

from markupsafe import Markup, escape

from zhuanlan.selection import highlight


def mark(text: str, terms: list[str]) -> Markup:
    if not text or not terms:
        return escape(text or "")
    out, pos = [], 0
    for start, end in highlight(text, terms):
        if start < pos:
            continue
        out.append(escape(text[pos:start]))
        out.append(Markup("<mark>") + escape(text[start:end]) + Markup("</mark>"))
        pos = end
    out.append(escape(text[pos:]))
    return Markup("").join(out)
