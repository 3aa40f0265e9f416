"""Candidates waiting on the desk of the study column, made straight in the store."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from zhuanlan.store.schema import articles, candidates, columns, stories

SLUG = "xuexi"


def seed_candidates(zl, n: int, tag: str, *, state: str = "pending", slug: str = SLUG,
                    published_at: datetime | None = None) -> list[int]:
    """n candidates of the column in ``state``, each its own article and story, the first
    with the highest score (the queue's order). Returns the candidates' ids."""
    now = zl.clock()
    ids = []
    with zl.db.write() as conn:
        column_id = conn.execute(select(columns.c.id).where(columns.c.slug == slug)).scalar()
        for i in range(n):
            story = conn.execute(stories.insert().values(
                size=1, created_at=now, updated_at=now)).inserted_primary_key[0]
            url = f"http://www.news.cn/{slug}/{tag}{i}.htm"
            aid = conn.execute(articles.insert().values(
                url=url, canonical_url=url, content_hash=f"{slug}-{tag}-{i}",
                title=f"{tag}文章{i}", text="学习 二十大 精神。" * 20, title_orig="t",
                text_orig="t", published_at=published_at or now, story_id=story,
                created_at=now)).inserted_primary_key[0]
            conn.execute(stories.update().where(stories.c.id == story)
                         .values(representative_id=aid))
            ids.append(conn.execute(candidates.insert().values(
                column_id=column_id, article_id=aid, state=state, score=100.0 - i,
                terms="[]", story_id=story, created_at=now,
                decided_at=None if state == "pending" else now,
                decided_by=None if state == "pending" else "seed")).inserted_primary_key[0])
    return ids
