"""A column's rules and learner as stored, read back for the jobs and the facade."""

from __future__ import annotations

import json
import logging
from functools import lru_cache

from zhuanlan.errors import RuleError
from zhuanlan.selection import Learner, Rules, parse_rules

log = logging.getLogger(__name__)


def column_rules(col) -> Rules | None:
    """The column's parsed rules; None (logged) when the stored rules no longer parse,
    so that one broken column does not stop the others from being proposed to."""
    try:
        return _parsed(col.include_terms, col.exclude_terms or "", col.title_terms or "",
                       col.source_filter or "", col.max_age_days, col.min_length or 0)
    except RuleError as exc:
        log.error("column rules do not parse", extra={"column_id": col.id, "error": str(exc)})
        return None


@lru_cache(maxsize=256)
def _parsed(include: str, exclude: str, title_terms: str, source_filter: str,
            max_age_days: int | None, min_length: int) -> Rules:
    # Every new article is checked against every column: parse each rule text once.
    return parse_rules(include, exclude, title_terms=title_terms,
                       sources=json.loads(source_filter) if source_filter else (),
                       max_age_days=max_age_days, min_length=min_length)


def column_learner(col) -> Learner:
    return Learner.from_bytes(col.model) if col.model else Learner()


def terms_of(stored: str) -> list[str]:
    """Matched terms as stored: a JSON list (older rows: comma-separated)."""
    if not stored:
        return []
    if stored.startswith("["):
        return list(json.loads(stored))
    return [t for t in stored.split(",") if t]
