"""A column whose next issue goes to thousands of people, made in a few statements (not
thousands of facade calls): for the crash tests of the outbox."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import select

from zhuanlan.store.schema import articles, candidates, subscribers, subscriptions


def crowd_column(zl, slug: str, people: int, *,
                 person: Callable[[int], dict] | None = None) -> None:
    """Column ``slug`` with one approved article and ``people`` subscribers
    (user0000@example.com …; ``person(i)`` adds fields, e.g. an app id)."""
    zl.add_column(slug, "崩溃测试", include="学习")
    column = zl.get_column(slug)
    now = datetime.now(UTC)
    with zl.db.write() as conn:
        aid = conn.execute(articles.insert().values(
            url="http://example.com/a", canonical_url="http://example.com/a",
            content_hash="h" * 64, title="学习材料", text="学习" * 100, title_orig="学习材料",
            text_orig="学习" * 100, flags="", created_at=now)).inserted_primary_key[0]
        conn.execute(candidates.insert().values(column_id=column["id"], article_id=aid,
                                                state="approved", score=1.0, terms="学习",
                                                created_at=now))
        conn.execute(subscribers.insert(), [
            {"email": f"user{i:04d}@example.com", "name": f"员工{i}", "department": "",
             "active": True, "created_at": now, **(person(i) if person else {})}
            for i in range(people)])
        ids = conn.execute(select(subscribers.c.id)).scalars().all()
        conn.execute(subscriptions.insert(), [
            {"column_id": column["id"], "subscriber_id": sid, "created_at": now} for sid in ids])
