"""0030: 我已学习 adds to ``study_progress`` instead of recomputing it. The rows stay what a
recompute from scratch gives — a confirmation long enough, one too quick, one of an
article two issues carry, one repeated, one of someone anonymous, the single-record
path, a heartbeat after it — and after a downgrade 0027's recompute takes over again."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import insert

from tests.support.progress_check import same_as_rebuilt
from zhuanlan.store import Database, migrate
from zhuanlan.store.readings import confirm_many, confirm_studied, write_records
from zhuanlan.store.schema import (
    articles,
    columns,
    issue_items,
    issues,
    subscribers,
)

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def _read(db: Database, seconds: dict[tuple[int | None, int], int], step: int) -> None:
    """Opens and one view each, of (person, article) with these running seconds."""
    at = NOW + timedelta(minutes=step)
    key = {p: f"s:{p}" if p else "a:anonymous" for p, _ in seconds}
    opens = {(key[p], a): (p, 1, at) for p, a in seconds}
    views = {f"v-{p}-{a}": (key[p], a, s, at) for (p, a), s in seconds.items()}
    with db.write() as conn:
        write_records(conn, opens, views)


def test_confirmations_add_what_a_recompute_gives_across_upgrade_and_downgrade(database_url):
    db = Database(database_url)
    migrate.upgrade(db, "0029")
    with db.write() as conn:
        conn.execute(insert(columns), [
            {"id": 1, "slug": "xuexi", "name": "学习", "schedule": "0 9 * * 1",
             "timezone": "Asia/Shanghai", "min_read_seconds": 60, "created_at": NOW},
            {"id": 2, "slug": "kuaixun", "name": "快讯", "schedule": "0 9 * * 1",
             "timezone": "Asia/Shanghai", "min_read_seconds": None, "created_at": NOW}])
        conn.execute(insert(subscribers), [
            {"id": s, "email": f"{s}@x.cn", "name": n, "department": "集团", "created_at": NOW,
             "updated_at": NOW} for s, n in ((1, "甲"), (2, "乙"), (3, "丙"), (4, "丁"))])
        conn.execute(insert(issues), [{"id": i, "column_id": i, "number": 1,
                                       "title": f"第{i}期", "published_at": NOW}
                                      for i in (1, 2)])
        conn.execute(insert(articles), [
            {"id": a, "url": f"u{a}", "canonical_url": f"u{a}", "content_hash": f"h{a}",
             "title": "t", "text": "x", "title_orig": "t", "text_orig": "x", "flags": "",
             "created_at": NOW} for a in (1, 2, 3)])
        # Article 1 is in both issues (minimum 60 s in issue 1, none in issue 2).
        conn.execute(insert(issue_items), [{"issue_id": 1, "article_id": 1, "position": 1},
                                           {"issue_id": 1, "article_id": 2, "position": 2},
                                           {"issue_id": 2, "article_id": 1, "position": 1},
                                           {"issue_id": 2, "article_id": 3, "position": 2}])
    _read(db, {(1, 1): 30, (2, 1): 90, (3, 2): 0, (None, 1): 10}, 0)
    migrate.upgrade(db, "0030")        # on PostgreSQL 0031 counts per statement
    _read(db, {(1, 1): 40, (1, 2): 75, (4, 3): 0}, 1)
    with db.write() as conn:
        confirm_many(conn, [("s:1", 1, 1, NOW, 1),          # 40 s: too quick in 1, fine in 2
                            ("s:1", 1, 2, NOW, 1),          # 75 s: long enough
                            ("s:2", 2, 1, NOW, 1),          # 90 s: long enough in both
                            ("a:anonymous", None, 1, NOW, None)])
    with db.write() as conn:                                # repeated: nothing twice
        confirm_many(conn, [("s:1", 1, 1, NOW, 1), ("s:2", 2, 1, NOW, 1)])
    with db.write() as conn:                                # 我已学习 not buffered, 0 s
        confirm_studied(conn, "s:3", 3, 2, NOW, 1)
        confirm_studied(conn, "s:4", 4, 3, NOW, 2)
    rows = same_as_rebuilt(db)
    assert rows[(1, 1)] == (2, 1, 115, 1) and rows[(2, 1)] == (1, 1, 40, 0)
    assert rows[(1, 2)] == (1, 1, 90, 0) and rows[(2, 2)] == (1, 1, 90, 0)
    assert rows[(1, 3)] == (1, 0, 0, 1)                     # below issue 1's minimum
    assert rows[(2, 4)] == (1, 1, 0, 1)                     # no minimum: studied, told apart
    _read(db, {(1, 1): 70}, 2)                              # a heartbeat after 我已学习:
    assert same_as_rebuilt(db)[(1, 1)] == (2, 2, 145, 0)   # long enough now
    migrate.downgrade(db, "0029")
    _read(db, {(3, 1): 65}, 3)
    with db.write() as conn:
        confirm_many(conn, [("s:3", 3, 1, NOW, 1)])
    assert same_as_rebuilt(db)[(1, 3)] == (2, 1, 65, 1)
    db.dispose()
