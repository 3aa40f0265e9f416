"""What keeps the statistics of an issue fast as its 50,000 rows are read and updated:
people are listed through an index in the listing's order (0028), and on PostgreSQL an
updated row of ``study_progress`` stays on its page, so an issue's rows stay together
(0029)."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import event, insert, text, update

from zhuanlan.store import Database, migrate, stats
from zhuanlan.store.schema import columns, issues, study_progress, subscribers

NOW = datetime(2026, 12, 1, tzinfo=UTC)
PEOPLE = 600


def _store(database_url: str, people: int = PEOPLE) -> Database:
    db = Database(database_url)
    migrate.upgrade(db)
    with db.write() as conn:
        conn.execute(insert(columns).values(id=1, slug="xuexi", name="学习", schedule="0 9 * * 1",
                                            timezone="Asia/Shanghai", created_at=NOW))
        conn.execute(insert(issues).values(id=1, column_id=1, number=1, title="第1期",
                                           published_at=NOW))
        conn.execute(insert(subscribers), [
            {"id": s, "email": f"{s}@x.cn", "name": f"人{s}", "employee_no": f"{s:05d}",
             "department": f"集团/公司{s % 7}", "created_at": NOW} for s in range(1, people + 1)])
        # As the outbox writes them when the issue is sent: all its rows at once.
        conn.execute(insert(study_progress), [
            {"issue_id": 1, "subscriber_id": s, "recipient": True, "delivered": True}
            for s in range(1, people + 1)])
    return db


def test_people_are_listed_through_the_index_in_their_order(database_url):
    # Enough people for PostgreSQL's planner to prefer walking the index to a sort.
    db = _store(database_url, 20_000 if "postgresql" in database_url else PEOPLE)
    seen: list[tuple[str, tuple]] = []

    def keep(conn, cursor, statement, parameters, context, executemany):
        if "ORDER BY subscribers.department" in statement:
            seen.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", keep)
    try:
        with db.read() as conn:
            figures = stats.issue_stats(conn, 1, limit=200)
    finally:
        event.remove(db.engine, "before_cursor_execute", keep)
    listed = [(r.department, r.employee_no) for r in figures.people]
    assert len(listed) == 200 and listed == sorted(listed)
    (statement, parameters), = seen
    with db.read() as conn:
        if db.dialect == "sqlite":
            # SQLite's planner takes the index once it has statistics (ANALYZE); without
            # them it sorts, which at 50,000 people still keeps the page under 200 ms.
            conn.exec_driver_sql("ANALYZE")
            plan = " ".join(str(r[-1]) for r in conn.exec_driver_sql(
                "EXPLAIN QUERY PLAN " + statement, parameters))
            assert "ix_subscribers_listing" in plan and "TEMP B-TREE" not in plan, plan
        else:
            conn.exec_driver_sql("ANALYZE subscribers")
            conn.exec_driver_sql("ANALYZE study_progress")
            plan = " ".join(r[0] for r in conn.exec_driver_sql(
                "EXPLAIN " + statement, parameters))
            assert "ix_subscribers_listing" in plan and "Sort" not in plan, plan
    db.dispose()


def test_an_updated_row_stays_on_its_page_on_postgresql(database_url):
    db = _store(database_url)
    if db.dialect != "postgresql":
        pytest.skip("SQLite updates a row in place")

    def pages(conn) -> dict[int, int]:
        return {s: int(ctid.strip("()").split(",")[0]) for s, ctid in conn.execute(text(
            "SELECT subscriber_id, ctid::text FROM study_progress WHERE issue_id = 1"))}

    with db.read() as conn:
        before = pages(conn)
        options = conn.execute(text("SELECT reloptions FROM pg_class WHERE oid = "
                                    "'study_progress'::regclass")).scalar()
    assert options == ["fillfactor=70"]
    # A third of the people open the issue, each in a transaction of their own. (The
    # page's room is then reclaimed as PostgreSQL prunes the old versions — once no
    # transaction anywhere on the server is older than them, which a test cannot assume.)
    for s in range(1, PEOPLE + 1, 3):
        with db.write() as conn:
            conn.execute(update(study_progress).where(
                study_progress.c.issue_id == 1, study_progress.c.subscriber_id == s)
                .values(opened=1, seconds=15))
    with db.read() as conn:
        after = pages(conn)
    moved = [s for s in before if before[s] != after[s]]
    assert moved == [], f"{len(moved)} of {PEOPLE} rows left their page"
    db.dispose()


def test_the_issue_figures_leave_the_planner_as_they_found_it(database_url):
    """On PostgreSQL the whole-issue aggregations are read by bitmap scans (a setting of
    their own); the people listed after them in the same transaction still walk the
    listing index, and the figures are those of the rows."""
    db = _store(database_url)
    with db.read() as conn:
        figures = stats.issue_stats(conn, 1, limit=10)
        assert (figures.total.recipients, figures.total.delivered) == (PEOPLE, PEOPLE)
        if db.dialect == "postgresql":
            assert conn.exec_driver_sql("SHOW enable_indexscan").scalar() == "on"
        trend = stats.column_trend(conn, 1)
        assert [(t["recipients"], t["opened"]) for t in trend] == [(PEOPLE, 0)]
        if db.dialect == "postgresql":
            assert conn.exec_driver_sql("SHOW enable_indexscan").scalar() == "on"
    db.dispose()
