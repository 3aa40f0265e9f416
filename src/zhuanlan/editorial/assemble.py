"""Which approved candidates make the next issue, and in which order (pure)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Approved:
    candidate_id: int
    article_id: int
    score: float
    decided_at: datetime | None
    published: datetime | None


def order_items(approved: list[Approved], *, limit: int = 30) -> list[Approved]:
    """Highest score first; among equals the newer article first. At most ``limit``
    items so that one issue stays readable; the rest wait for the next issue."""
    def key(a: Approved) -> tuple:
        ts = a.published.timestamp() if a.published else 0.0
        return (-a.score, -ts, a.candidate_id)
    return sorted(approved, key=key)[:limit]


def issue_title(column_name: str, number: int) -> str:
    return f"{column_name} · 第{number}期"


def summary_of(text: str, limit: int = 110) -> str:
    """An item's summary when the editor wrote none: the first paragraph, cut at
    ``limit`` characters."""
    first = next((p.strip() for p in text.split("\n") if p.strip()), "")
    return first if len(first) <= limit else first[:limit].rstrip() + "…"


_NOTE_LABEL = re.compile(r"^\s*(?:【\s*编者按\s*】|〔\s*编者按\s*〕|\[\s*编者按\s*\]|编者按\s*[：:]?)\s*")


def clean_note(text: str) -> str:
    """The 编者按 as stored: every channel prints its own "编者按" label, so a note typed
    with one ("编者按：……", "【编者按】……") would show it twice; leading and trailing
    blank space goes too."""
    return _NOTE_LABEL.sub("", (text or "").strip(), count=1).strip()
