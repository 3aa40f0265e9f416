"""A column's rules and learner as stored, read back for the jobs and the facade."""

from __future__ import annotations

import json
import logging

from zhuanlan.errors import RuleError
from zhuanlan.selection import Learner, Rules, parse_rules

log = logging.getLogger(__name__)


def column_rules(col) -> Rules | None:  # noqa: ANN001
    """The column's parsed rules; None (logged) when the stored rules no longer parse,
    so that one broken column does not stop the others from being proposed to."""
    try:
        return parse_rules(col.include_terms, col.exclude_terms or "",
                           title_terms=col.title_terms or "",
                           sources=json.loads(col.source_filter) if col.source_filter else (),
                           max_age_days=col.max_age_days, min_length=col.min_length or 0)
    except RuleError as exc:
        log.error("column rules do not parse", extra={"column_id": col.id, "error": str(exc)})
        return None


def column_learner(col) -> Learner:  # noqa: ANN001
    return Learner.from_bytes(col.model) if col.model else Learner()


def terms_of(stored: str) -> list[str]:
    """Matched terms as stored: a JSON list (older rows: comma-separated)."""
    if not stored:
        return []
    if stored.startswith("["):
        return list(json.loads(stored))
    return [t for t in stored.split(",") if t]
