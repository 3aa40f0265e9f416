"""0031: on PostgreSQL the readings' changes reach ``study_progress`` once per statement.
The rows stay what a recompute from scratch gives when one statement mixes heartbeats,
confirmations and a reading that moves to another person; for a reading of someone
anonymous who turns out to be a person, one inserted already studied, a deletion, an
update of other columns, a heartbeat after 我已学习 — and after a downgrade 0030's row
triggers count again. (On SQLite the migration changes nothing and the same stream checks
its row triggers.)"""

from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, insert, text

from tests.support.progress_check import same_as_rebuilt
from zhuanlan.store import Database, migrate
from zhuanlan.store.readings import confirm_many, write_records
from zhuanlan.store.schema import (
    articles,
    columns,
    issue_items,
    issues,
    readings,
    subscribers,
)

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def _triggers(db: Database) -> set[str]:
    if db.dialect != "postgresql":
        return set()
    with db.read() as conn:
        return set(conn.scalars(text(
            "SELECT tgname FROM pg_trigger WHERE tgrelid = 'readings'::regclass "
            "AND NOT tgisinternal")))


def _setup(db: Database) -> None:
    with db.write() as conn:
        conn.execute(insert(columns), [
            {"id": 1, "slug": "xuexi", "name": "学习", "schedule": "0 9 * * 1",
             "timezone": "Asia/Shanghai", "min_read_seconds": 60, "created_at": NOW},
            {"id": 2, "slug": "kuaixun", "name": "快讯", "schedule": "0 9 * * 1",
             "timezone": "Asia/Shanghai", "min_read_seconds": None, "created_at": NOW}])
        conn.execute(insert(subscribers), [
            {"id": s, "email": f"{s}@x.cn", "name": f"人{s}", "department": "集团",
             "created_at": NOW, "updated_at": NOW} for s in range(1, 6)])
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


def _read(db: Database, seconds: dict[tuple[int, int], int], step: int) -> None:
    at = NOW + timedelta(minutes=step)
    opens = {(f"s:{p}", a): (p, 1, at) for p, a in seconds}
    opens[("a:anonymous", 1)] = (None, None, at)
    views = {f"v-{p}-{a}": (f"s:{p}", a, s, at) for (p, a), s in seconds.items()}
    with db.write() as conn:
        write_records(conn, opens, views)


def test_statements_that_mix_changes_count_as_a_recompute(database_url):
    db = Database(database_url)
    migrate.upgrade(db, "0030")
    _setup(db)
    _read(db, {(p, a): 20 * p for p in (1, 2, 3, 4) for a in (1, 2, 3)}, 0)
    migrate.upgrade(db)
    if db.dialect == "postgresql":
        assert {"trg_readings_progress_inserted", "trg_readings_progress_updated",
                "trg_readings_progress_deleted"} <= _triggers(db)
        assert "trg_readings_progress_update" not in _triggers(db)
    # Opens of new readings and more seconds for old ones, in the buffer's statements.
    _read(db, {(p, a): 20 * p + 15 for p in (1, 2, 3, 4, 5) for a in (1, 2, 3)}, 1)
    rows = same_as_rebuilt(db)
    assert rows[(1, 5)] == (2, 0, 230, 0) and rows[(2, 5)] == (2, 0, 230, 0)
    # One statement: 10 s more for everyone; 1 and 2 confirm; 3's readings go to 4.
    with db.write() as conn:
        conn.execute(text(
            "UPDATE readings SET active_seconds = active_seconds + 10, "
            "studied_at = CASE WHEN subscriber_id IN (1, 2) THEN last_seen_at "
            "ELSE studied_at END, "
            "subscriber_id = CASE WHEN subscriber_id = 3 THEN 4 ELSE subscriber_id END "
            "WHERE reader <> 'a:anonymous'"))
    rows = same_as_rebuilt(db)
    assert rows[(1, 1)] == (2, 0, 90, 2)                    # 45 s: below issue 1's 60
    assert rows[(1, 2)] == (2, 2, 130, 0) and rows[(2, 2)] == (2, 2, 130, 0)
    assert (1, 3) not in rows and rows[(1, 4)] == (4, 0, 380, 0)
    with db.write() as conn:                                # someone anonymous was 5
        conn.execute(text("UPDATE readings SET subscriber_id = 5 WHERE reader = 'a:anonymous'"))
    assert same_as_rebuilt(db)[(1, 5)] == (3, 0, 250, 0)
    # A reading inserted already studied (a reader never counted before), then deleted.
    with db.write() as conn:
        conn.execute(insert(readings).values(reader="s:5-phone", subscriber_id=5, article_id=2,
                                             opened_at=NOW, last_seen_at=NOW,
                                             active_seconds=70, studied_at=NOW))
    assert same_as_rebuilt(db)[(1, 5)] == (4, 1, 320, 0)
    with db.write() as conn:
        conn.execute(delete(readings).where(readings.c.reader == "s:1",
                                            readings.c.article_id == 1))
        conn.execute(text("UPDATE readings SET last_seen_at = opened_at"))   # nothing counted
    rows = same_as_rebuilt(db)
    assert rows[(1, 1)] == (1, 0, 45, 1) and rows[(2, 1)] == (1, 1, 45, 0)
    with db.write() as conn:                                # a heartbeat after 我已学习
        confirm_many(conn, [("s:4", 4, 2, NOW, 1)])
    _read(db, {(4, 2): 400}, 2)
    assert same_as_rebuilt(db)[(1, 4)] == (4, 1, 675, 0)
    migrate.downgrade(db, "0030")
    if db.dialect == "postgresql":
        assert "trg_readings_progress_update" in _triggers(db)
        assert "trg_readings_progress_updated" not in _triggers(db)
    _read(db, {(5, 1): 95}, 3)
    with db.write() as conn:
        confirm_many(conn, [("s:5", 5, 1, NOW, 1)])
    assert same_as_rebuilt(db)[(2, 5)] == (3, 1, 240, 0)
    db.dispose()
