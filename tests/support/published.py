"""Put an article into an issue, so that readers may see it (and its pictures)."""

from __future__ import annotations

from sqlalchemy import func, select

from zhuanlan.store.schema import columns, issue_items, issues


def publish_article(zl, article_id: int, slug: str = "published") -> int:
    """A one-item issue of column ``slug`` (made when missing) carrying the article;
    returns the issue's id."""
    now = zl.clock()
    with zl.db.write() as conn:
        column_id = conn.execute(select(columns.c.id).where(columns.c.slug == slug)).scalar()
        if column_id is None:
            column_id = conn.execute(columns.insert().values(
                slug=slug, name="已发布", include_terms="学习", schedule="0 9 * * 1",
                timezone="Asia/Shanghai", next_run_at=now, created_at=now,
            )).inserted_primary_key[0]
        number = (conn.execute(select(func.max(issues.c.number))
                               .where(issues.c.column_id == column_id)).scalar() or 0) + 1
        issue_id = conn.execute(issues.insert().values(
            column_id=column_id, number=number, title=f"第{number}期", editor_note="",
            published_at=now)).inserted_primary_key[0]
        conn.execute(issue_items.insert().values(issue_id=issue_id, article_id=article_id,
                                                 position=0))
    return issue_id
