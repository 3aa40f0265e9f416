"""试跑: what a column's rules — as typed on its form, not yet saved — would select from
the articles already stored, with the real selection stage (``selection.evaluate`` with
the corpus statistics, as ingest offers articles), bounded in articles and in time."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from zhuanlan.app.column_form import ColumnFields, problems, refused
from zhuanlan.jobs.context import Context
from zhuanlan.selection import Doc, evaluate, parse_rules
from zhuanlan.store.articles import recent_for_selection
from zhuanlan.store.corpus import stats_for

DAYS = 30
MAX_ARTICLES = 3000
MAX_SECONDS = 5.0
TOP = 20


@dataclass(frozen=True)
class TrialMatch:
    article_id: int
    title: str
    outlet: str
    published_at: datetime | None
    terms: tuple[str, ...]
    score: float
    reason: str


@dataclass
class Trial:
    days: int
    checked: int = 0
    matched: int = 0
    stopped: bool = False        # the bound in articles or time was reached
    top: list[TrialMatch] = field(default_factory=list)


def trial(ctx: Context, f: ColumnFields, *, days: int = DAYS, limit: int = MAX_ARTICLES,
          seconds: float = MAX_SECONDS, top: int = TOP) -> Trial:
    """The matches of the rules among the articles stored in the last ``days`` (one per
    story, newest ``limit``), best ``top`` first. Raises RuleError (``refused``) for
    invalid rules."""
    errors = {k: v for k, v in problems(f).items()
              if k in ("include", "exclude", "title_terms", "sources", "max_age_days",
                       "min_length")}
    if errors:
        raise refused(errors)
    rules = parse_rules(f.include, f.exclude, title_terms=f.title_terms, sources=f.sources,
                        max_age_days=f.max_age_days, min_length=f.min_length)
    now = ctx.clock()
    with ctx.db.read() as conn:
        rows = recent_for_selection(conn, now - timedelta(days=days), limit + 1)
        stats = stats_for(conn, [t.form for t in rules.terms()])
    result = Trial(days=days, stopped=len(rows) > limit)
    found: list[TrialMatch] = []
    deadline = time.monotonic() + seconds
    for a in rows[:limit]:
        if time.monotonic() > deadline:
            result.stopped = True
            break
        result.checked += 1
        m = evaluate(rules, Doc(a.title, a.text, source_id=a.source_id,
                                source_name=a.outlet, published=a.published_at, now=now),
                     stats)
        if m.matched:
            found.append(TrialMatch(a.id, a.title, a.outlet or a.source_name or "",
                                    a.published_at, tuple(m.terms), m.score, m.reason))
    result.matched = len(found)
    result.top = sorted(found, key=lambda x: -x.score)[:top]
    return result
