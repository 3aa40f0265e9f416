"""An organisation, a column and a published issue to study, made through the facade."""

from __future__ import annotations

from sqlalchemy import select, update

from zhuanlan.store.schema import articles, candidates, columns, deliveries, stories

SLUG = "xuexi"
PEOPLE = [  # (email, name, 工号, department)
    ("a@example.com", "甲", "1001", "集团/一公司/办公室"),
    ("b@example.com", "乙", "1002", "集团/一公司/办公室"),
    ("c@example.com", "丙", "1003", "集团/一公司/财务部"),
    ("d@example.com", "丁", "1004", "集团/二公司"),
]


def seed_articles(zl, n: int, tag: str,
                  texts: list[tuple[str, str]] | None = None) -> list[int]:
    """n approved candidates of the column, each its own article and story; ``texts``
    gives their (title, text), else a filler text."""
    now = zl.clock()
    ids = []
    with zl.db.write() as conn:
        column_id = conn.execute(select(columns.c.id).where(columns.c.slug == SLUG)).scalar()
        for i in range(n):
            story = conn.execute(stories.insert().values(
                size=1, created_at=now, updated_at=now)).inserted_primary_key[0]
            aid = conn.execute(articles.insert().values(
                url=f"http://www.news.cn/{tag}{i}.htm", canonical_url=f"http://www.news.cn/{tag}{i}.htm",
                content_hash=f"{tag}-{i}",
                title=texts[i][0] if texts else f"{tag} 学习文章 {i}",
                text=texts[i][1] if texts else "学习 二十大 精神。" * 20,
                title_orig="t", text_orig="t", published_at=now, story_id=story,
                created_at=now)).inserted_primary_key[0]
            conn.execute(stories.update().where(stories.c.id == story).values(representative_id=aid))
            conn.execute(candidates.insert().values(
                column_id=column_id, article_id=aid, state="approved", score=1.0,
                terms="[]", story_id=story, created_at=now))
            ids.append(aid)
    return ids


def organisation(zl) -> dict[str, int]:
    zl.add_column(SLUG, "学习二十大", include="学习", schedule="0 9 * * 1")
    ids = {}
    for email, name, no, dept in PEOPLE:
        ids[name] = zl.add_subscriber(email, name, department=dept, employee_no=no)
    zl.people.subscribe_department(SLUG, "集团")
    return ids


def publish(zl, n: int, tag: str) -> tuple[int, list[int]]:
    arts = seed_articles(zl, n, tag)
    issue_id = zl.publish_now(SLUG)
    assert issue_id is not None
    return issue_id, arts


def mark_sent(zl, issue_id: int, names: list[int] | None = None) -> None:
    with zl.db.write() as conn:
        q = update(deliveries).where(deliveries.c.issue_id == issue_id)
        if names is not None:
            q = q.where(deliveries.c.subscriber_id.in_(names))
        conn.execute(q.values(state="sent"))
