"""The audit log: who did what, when (editorial and administrative actions)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from zhuanlan.store.schema import audit_log


def record(conn, actor: str, action: str, target: str, detail: str = "", *,
           at: datetime) -> None:
    """Write one entry in the caller's transaction, so it stands or falls with the act."""
    conn.execute(audit_log.insert().values(at=at, actor=actor or "unknown", action=action,
                                           target=target[:200], detail=detail))


def entries(conn, limit: int) -> list[dict]:
    """The newest entries first."""
    return [dict(r) for r in conn.execute(
        select(audit_log).order_by(audit_log.c.id.desc()).limit(limit)).mappings()]


def labels(conn, wanted: dict[str, set]) -> dict[tuple[str, str], dict]:
    """What the ids named in entries stand for, in one query per kind: ``wanted`` maps a
    kind (column, issue, candidate, source, subscriber, story) to the ids or slugs seen;
    the answer maps (kind, id as text) to the row's fields. Rows deleted since are absent."""
    from zhuanlan.store.schema import candidates, columns, issues, sources, subscribers
    out: dict[tuple[str, str], dict] = {}

    def ints(kind: str) -> list[int]:
        return sorted({int(v) for v in wanted.get(kind, ()) if str(v).isdigit()})[:1000]

    if wanted.get("column"):
        slugs = sorted({str(v) for v in wanted["column"]})[:1000]
        for r in conn.execute(select(columns.c.slug, columns.c.name)
                              .where(columns.c.slug.in_(slugs))):
            out[("column", r.slug)] = {"name": r.name}
    if ids := ints("issue"):
        for r in conn.execute(select(issues.c.id, issues.c.number, columns.c.name)
                              .join(columns, columns.c.id == issues.c.column_id)
                              .where(issues.c.id.in_(ids))):
            out[("issue", str(r.id))] = {"number": r.number, "column": r.name}
    if ids := ints("candidate"):
        from zhuanlan.store.schema import articles
        for r in conn.execute(select(candidates.c.id, articles.c.title)
                              .join(articles, articles.c.id == candidates.c.article_id)
                              .where(candidates.c.id.in_(ids))):
            out[("candidate", str(r.id))] = {"title": r.title}
    if ids := ints("source"):
        for r in conn.execute(select(sources.c.id, sources.c.name).where(sources.c.id.in_(ids))):
            out[("source", str(r.id))] = {"name": r.name}
    if ids := ints("subscriber"):
        for r in conn.execute(select(subscribers.c.id, subscribers.c.name)
                              .where(subscribers.c.id.in_(ids))):
            out[("subscriber", str(r.id))] = {"name": r.name}
    return out
