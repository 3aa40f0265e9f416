"""0027: an open or a heartbeat adds to ``study_progress`` instead of recomputing it. The
rows stay what a recompute from scratch gives — before the upgrade, after it, through
opens, heartbeats, a repeated flush, 我已学习 and a later heartbeat of a studied reading —
and after a downgrade 0025's recompute takes over again."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import insert

from tests.support.progress_check import same_as_rebuilt
from zhuanlan.store import Database, migrate
from zhuanlan.store.readings import confirm_many, write_records
from zhuanlan.store.schema import (
    articles,
    columns,
    deliveries,
    issue_items,
    issues,
    subscribers,
)

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def _records(db: Database, step: int, views: dict) -> None:
    """Opens of article 1 and 2 by people 1–3 (and someone anonymous); each view's
    running total raised by 20 s a step."""
    at = NOW + timedelta(minutes=step)
    opens = {(f"s:{s}", a): (s, 1, at) for s in (1, 2, 3) for a in (1, 2)}
    opens[("a:someone-anonymous", 1)] = (None, None, at)
    for (key, a) in opens:
        views[f"view-{key}-{a}"] = (key, a, views.get(f"view-{key}-{a}", (0, 0, 0))[2] + 20,
                                    at)
    with db.write() as conn:
        write_records(conn, opens, views)
    with db.write() as conn:          # a flush repeated: nothing counts twice
        write_records(conn, opens, views)


def test_deltas_equal_the_recompute_across_upgrade_and_downgrade(database_url):
    db = Database(database_url)
    migrate.upgrade(db, "0026")
    with db.write() as conn:
        conn.execute(insert(columns).values(id=1, slug="xuexi", name="学习", schedule="0 9 * * 1",
                                            timezone="Asia/Shanghai", min_read_seconds=50,
                                            created_at=NOW))
        conn.execute(insert(subscribers), [
            {"id": s, "email": f"{s}@x.cn", "name": n, "department": "集团", "created_at": NOW,
             "updated_at": NOW} for s, n in ((1, "甲"), (2, "乙"), (3, "丙"))])
        conn.execute(insert(issues), [{"id": i, "column_id": 1, "number": i,
                                       "title": f"第{i}期", "published_at": NOW}
                                      for i in (1, 2)])
        conn.execute(insert(articles), [
            {"id": a, "url": f"u{a}", "canonical_url": f"u{a}", "content_hash": f"h{a}",
             "title": "t", "text": "x", "title_orig": "t", "text_orig": "x", "flags": "",
             "created_at": NOW} for a in (1, 2)])
        # Article 1 is in both issues: a heartbeat of it adds to two rows of the person.
        conn.execute(insert(issue_items), [{"issue_id": 1, "article_id": 1, "position": 1},
                                           {"issue_id": 1, "article_id": 2, "position": 2},
                                           {"issue_id": 2, "article_id": 1, "position": 1}])
        conn.execute(insert(deliveries), [
            {"issue_id": 1, "subscriber_id": s, "state": "sent", "reminder_id": 0,
             "channel": "email", "attempts": 1, "next_attempt_at": NOW, "created_at": NOW}
            for s in (1, 2)])
    views: dict = {}
    _records(db, 0, views)
    before = same_as_rebuilt(db)
    migrate.upgrade(db)
    _records(db, 1, views)
    rows = same_as_rebuilt(db)
    # 甲: two readings of issue 1 at 40 s each (two steps of 20 s); issue 2 carries one.
    assert rows[(1, 1)] == (2, 0, 80, 0) and rows[(2, 1)] == (1, 0, 40, 0)
    assert before[(1, 1)] == (2, 0, 40, 0)
    with db.write() as conn:          # 甲 confirms both: one long enough (50 s) after a beat
        confirm_many(conn, [("s:1", 1, 1, NOW, 1), ("s:1", 1, 2, NOW, 1)])
    _records(db, 2, views)            # heartbeats after the confirmation: 60 s each
    rows = same_as_rebuilt(db)
    assert rows[(1, 1)] == (2, 2, 120, 0) and rows[(2, 1)] == (1, 1, 60, 0)
    migrate.downgrade(db, "0026")
    _records(db, 3, views)
    with db.write() as conn:
        confirm_many(conn, [("s:2", 2, 1, NOW, 1)])
    rows = same_as_rebuilt(db)
    assert rows[(1, 2)] == (2, 1, 160, 0)
    db.dispose()
