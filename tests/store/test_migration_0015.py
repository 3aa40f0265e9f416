"""0015 (story corrections) keeps the stories and articles: existing rows come through
unpinned and not locked, so the worker goes on folding them as before."""

from datetime import datetime

from sqlalchemy import text

from zhuanlan.store import Database, migrate


def test_upgrade_to_0015_leaves_stories_unpinned_and_articles_unlocked(database_url):
    db = Database(database_url)
    migrate.upgrade(db, "0014")
    now = datetime(2026, 1, 1)
    with db.write() as conn:
        conn.execute(text("INSERT INTO stories (id, size, created_at, updated_at) "
                          "VALUES (1, 1, :n, :n)"), {"n": now})
        conn.execute(text(
            "INSERT INTO articles (id, url, canonical_url, content_hash, title, text, title_orig, "
            "text_orig, flags, story_id, created_at) VALUES (1, 'u', 'u', 'h', 't', 'x', 't', "
            "'x', '', 1, :n)"), {"n": now})
        conn.execute(text("UPDATE stories SET representative_id = 1"))
    migrate.upgrade(db)
    with db.read() as conn:
        story = conn.execute(text("SELECT representative_id, pinned_by, pinned_at "
                                  "FROM stories")).one()
        locked = conn.execute(text("SELECT story_locked FROM articles")).scalar()
    assert tuple(story) == (1, None, None)
    assert locked is not None and not locked
    db.dispose()
