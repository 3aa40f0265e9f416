"""0025 (the statistics' roll-up) fills ``study_progress`` from the records already in the
store — recipients from the outbox, reading figures under the column's minimum reading
time — and from then on its triggers keep it."""

from datetime import UTC, datetime

from sqlalchemy import insert, text

from zhuanlan.store import Database, migrate
from zhuanlan.store.schema import (
    articles,
    columns,
    deliveries,
    issue_items,
    issues,
    readings,
    subscribers,
)

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def _rows(conn) -> dict:
    return {(r.issue_id, r.subscriber_id): (bool(r.recipient), bool(r.delivered), r.opened,
                                            r.studied, r.seconds, r.too_quick)
            for r in conn.execute(text("SELECT * FROM study_progress"))}


def test_upgrade_to_0025_backfills_the_roll_up(database_url):
    db = Database(database_url)
    migrate.upgrade(db, "0024")
    d = {"next_attempt_at": NOW, "created_at": NOW, "channel": "email", "attempts": 1}
    r = {"opened_at": NOW, "last_seen_at": NOW, "quick": False}
    with db.write() as conn:       # the tables as they were at 0024 (schema.py's but one)
        conn.execute(insert(columns).values(id=1, slug="xuexi", name="学习", schedule="0 9 * * 1",
                                            timezone="Asia/Shanghai", min_read_seconds=60,
                                            created_at=NOW))
        for sid, name in ((1, "甲"), (2, "乙"), (3, "丙")):
            conn.execute(insert(subscribers).values(id=sid, email=f"{sid}@x.cn", name=name,
                                                    department="集团", created_at=NOW,
                                                    updated_at=NOW))
        conn.execute(insert(issues).values(id=1, column_id=1, number=1, title="第1期",
                                           published_at=NOW))
        for a in (1, 2):
            conn.execute(insert(articles).values(
                id=a, url=f"u{a}", canonical_url=f"u{a}", content_hash=f"h{a}", title="t",
                text="x", title_orig="t", text_orig="x", flags="", created_at=NOW))
            conn.execute(insert(issue_items).values(issue_id=1, article_id=a, position=a))
        # 甲 and 乙 were pushed the issue (甲's e-mail sent); 乙 also got a reminder row.
        conn.execute(insert(deliveries), [
            {**d, "issue_id": 1, "subscriber_id": 1, "state": "sent", "reminder_id": 0},
            {**d, "issue_id": 1, "subscriber_id": 2, "state": "pending", "reminder_id": 0},
            {**d, "issue_id": 1, "subscriber_id": 2, "state": "sent", "reminder_id": 7}])
        # 甲 read both (one long enough), 丙 a forwarded link, someone anonymous too.
        conn.execute(insert(readings), [
            {**r, "reader": "s:1", "subscriber_id": 1, "article_id": 1, "active_seconds": 90,
             "studied_at": NOW},
            {**r, "reader": "s:1", "subscriber_id": 1, "article_id": 2, "active_seconds": 30,
             "studied_at": NOW},
            {**r, "reader": "s:3", "subscriber_id": 3, "article_id": 1, "active_seconds": 10,
             "studied_at": None},
            {**r, "reader": "anon", "subscriber_id": None, "article_id": 1,
             "active_seconds": 5, "studied_at": None}])
    migrate.upgrade(db)
    with db.read() as conn:
        assert _rows(conn) == {
            (1, 1): (True, True, 2, 1, 120, 1),      # 30 s is below the minimum of 60
            (1, 2): (True, False, 0, 0, 0, 0),       # the reminder is not the issue's push
            (1, 3): (False, False, 1, 0, 10, 0),
        }
    with db.write() as conn:              # the triggers go on from there
        conn.execute(text("UPDATE readings SET active_seconds = 75 WHERE reader = 's:1' "
                          "AND article_id = 2"))
        conn.execute(text("UPDATE deliveries SET state = 'sent' WHERE subscriber_id = 2 "
                          "AND reminder_id = 0"))
    with db.read() as conn:
        rows = _rows(conn)
    assert rows[(1, 1)] == (True, True, 2, 2, 165, 0)
    assert rows[(1, 2)] == (True, True, 0, 0, 0, 0)
    migrate.downgrade(db, "0024")
    migrate.upgrade(db)
    with db.read() as conn:
        assert _rows(conn)[(1, 1)] == (True, True, 2, 2, 165, 0)
    db.dispose()
