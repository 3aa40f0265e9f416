"""The study records' writes find readings by (reader, article) through the unique index:
a row-value IN made SQLite scan every reading on each flush (150 ms at 1.5M readings, so
each 我已学习's group commit waited that long). The buffer is written in three statements and
the confirmations in three, each reading its rows from one JSON parameter
(store.json_rows)."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import event, select, text

from tests.support.study_seed import organisation, publish
from zhuanlan.store import readings as store
from zhuanlan.store.schema import readings

AT = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def test_confirmations_and_beats_reach_exactly_their_readings(make_zl):
    zl = make_zl()
    people = organisation(zl)
    issue_id, (a1, a2) = publish(zl, 2, "本期")
    p, q = (f"s:{people[n]}" for n in ("甲", "乙"))
    with zl.db.write() as conn:
        # Both readers read both articles; p's beat on a1 and q's on a2 only.
        store.write_records(conn, {(r, a): (int(r[2:]), issue_id, AT)
                                   for r in (p, q) for a in (a1, a2)},
                            {"view-p-a1-xx": (p, a1, 40, AT), "view-q-a2-xx": (q, a2, 25, AT)})
        first = store.confirm_many(conn, [(p, int(p[2:]), a1, AT, issue_id),
                                          (q, int(q[2:]), a2, AT, issue_id)])
    assert first == {(p, a1): AT, (q, a2): AT}
    with zl.db.read() as conn:
        rows = {(r.reader, r.article_id): (r.active_seconds, r.studied_at is not None)
                for r in conn.execute(text("SELECT reader, article_id, active_seconds, "
                                           "studied_at FROM readings"))}
    assert rows == {(p, a1): (40, True), (p, a2): (0, False),
                    (q, a1): (0, False), (q, a2): (25, True)}


def test_the_records_are_written_set_based_and_through_the_index(make_zl):
    zl = make_zl()
    sqlite = zl.db.engine.dialect.name == "sqlite"
    people = organisation(zl)
    issue_id, (a1, _) = publish(zl, 2, "本期")
    p, q = (f"s:{people[n]}" for n in ("甲", "乙"))
    seen: list[tuple[str, tuple]] = []

    def keep(conn, cursor, statement, parameters, context, executemany):
        if (statement.lstrip().upper().startswith(("SELECT", "INSERT", "UPDATE"))
                and "readings" in statement):
            assert not executemany, statement
            seen.append((statement, parameters))

    event.listen(zl.db.engine, "before_cursor_execute", keep)
    try:
        with zl.db.write() as conn:
            store.write_records(conn, {(r, a1): (int(r[2:]), issue_id, AT) for r in (p, q)},
                                {f"view-{r}-a1-xx": (r, a1, 40, AT) for r in (p, q)})
            store.confirm_many(conn, [(r, int(r[2:]), a1, AT, issue_id) for r in (p, q)])
    finally:
        event.remove(zl.db.engine, "before_cursor_execute", keep)
    # The buffer's three statements and the confirmations' three, one JSON parameter each.
    source = "json_each" if sqlite else "jsonb_array_elements"
    assert len(seen) == 6
    assert all(source in statement and len(parameters) == 1 for statement, parameters in seen)
    if not sqlite:
        return      # PostgreSQL plans by cost (a small table is scanned); the trap was SQLite's
    with zl.db.read() as conn:
        for statement, parameters in seen:
            plan = " ".join(str(r[-1]) for r in conn.exec_driver_sql(
                "EXPLAIN QUERY PLAN " + statement, parameters))
            assert "SCAN readings" not in plan, (statement, plan)


def test_an_open_makes_a_reading_or_moves_its_last_seen_time_forward(make_zl):
    """One statement makes a reading or updates it: a later open moves the time it was
    last seen and gives it the issue it lacked; an open flushed late (another process's
    buffer) moves nothing back and keeps the issue it was first read in."""
    zl = make_zl()
    people = organisation(zl)
    issue_id, (a1, a2) = publish(zl, 2, "本期")
    other, _ = publish(zl, 1, "下期")
    p = f"s:{people['甲']}"
    sub = int(p[2:])
    later, earlier = AT + timedelta(minutes=5), AT - timedelta(minutes=5)

    def state():
        with zl.db.read() as conn:
            return {r.article_id: (r.opened_at, r.last_seen_at, r.issue_id) for r in
                    conn.execute(select(readings.c.article_id, readings.c.opened_at,
                                        readings.c.last_seen_at, readings.c.issue_id)
                                 .where(readings.c.reader == p))}

    with zl.db.write() as conn:
        store.write_records(conn, {(p, a1): (sub, None, AT), (p, a2): (sub, issue_id, AT)}, {})
    assert state() == {a1: (AT, AT, None), a2: (AT, AT, issue_id)}
    with zl.db.write() as conn:
        store.write_records(conn, {(p, a1): (sub, issue_id, later),
                                   (p, a2): (sub, other, later)}, {})
    assert state() == {a1: (AT, later, issue_id), a2: (AT, later, issue_id)}
    with zl.db.write() as conn:
        store.write_records(conn, {(p, a1): (sub, other, earlier),
                                   (p, a2): (sub, None, earlier)}, {})
    assert state() == {a1: (AT, later, issue_id), a2: (AT, later, issue_id)}


def test_a_readers_state_in_an_issue_is_found_through_the_index(make_zl):
    """``/read/state`` reads the reader's records of the issue's items (their titles are
    kept by the web process): exactly those, through the unique index."""
    zl = make_zl()
    people = organisation(zl)
    issue_id, (a1, a2) = publish(zl, 2, "本期")
    p, q = (f"s:{people[n]}" for n in ("甲", "乙"))
    with zl.db.write() as conn:
        store.write_records(conn, {(p, a1): (int(p[2:]), issue_id, AT),
                                   (q, a2): (int(q[2:]), issue_id, AT)},
                            {"view-p-a1-xx": (p, a1, 40, AT)})
        store.confirm_many(conn, [(p, int(p[2:]), a1, AT, issue_id)])
    seen: list[tuple[str, tuple]] = []

    def keep(conn, cursor, statement, parameters, context, executemany):
        seen.append((statement, parameters))

    with zl.db.read() as conn:
        assert [a for a, _ in store.item_titles(conn, issue_id)] == [a1, a2]
        event.listen(zl.db.engine, "before_cursor_execute", keep)
        try:
            rows = store.reading_times(conn, p, [a1, a2])
        finally:
            event.remove(zl.db.engine, "before_cursor_execute", keep)
    assert [(r.article_id, r.active_seconds, r.studied_at is not None) for r in rows] \
        == [(a1, 40, True)]
    if zl.db.dialect != "sqlite":
        return      # PostgreSQL plans by cost; the trap was SQLite's
    with zl.db.read() as conn:
        (statement, parameters), = seen
        plan = " ".join(str(r[-1]) for r in conn.exec_driver_sql(
            "EXPLAIN QUERY PLAN " + statement, parameters))
    assert "SCAN readings" not in plan and "(reader=? AND article_id=?)" in plan, plan
