"""0012 (chat targets) keeps the outbox: existing e-mail rows survive the upgrade (a
table rebuild on SQLite) with progress 0, and the new CHECK holds afterwards."""

from datetime import datetime

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from zhuanlan.store import Database, migrate


def test_upgrade_to_0012_keeps_the_deliveries(database_url):
    db = Database(database_url)
    migrate.upgrade(db, "0011")
    now = datetime(2026, 1, 1)
    with db.write() as conn:
        conn.execute(text(
            "INSERT INTO columns (id, slug, name, description, editor_note, include_terms, "
            "exclude_terms, schedule, timezone, title_terms, min_length, auto_approve, "
            "created_at) VALUES (1, 'c', 'c', '', '', 'x', '', '0 9 * * 1', 'Asia/Shanghai', "
            "'', 0, :f, :n)"), {"n": now, "f": False})
        conn.execute(text("INSERT INTO issues (id, column_id, number, title, editor_note, "
                          "published_at) VALUES (1, 1, 1, 't', '', :n)"), {"n": now})
        conn.execute(text("INSERT INTO subscribers (id, email, name, department, active, "
                          "created_at) VALUES (1, 'a@example.com', 'A', '', :t, :n)"),
                     {"n": now, "t": True})
        conn.execute(text("INSERT INTO deliveries (issue_id, subscriber_id, channel, state, "
                          "attempts, next_attempt_at, last_error, created_at) VALUES "
                          "(1, 1, 'email', 'failed', 2, :n, '550 x', :n)"), {"n": now})
    migrate.upgrade(db)
    with db.read() as conn:
        row = conn.execute(text("SELECT subscriber_id, target_id, channel, state, attempts, "
                                "last_error, progress FROM deliveries")).one()
    assert tuple(row) == (1, None, "email", "failed", 2, "550 x", 0)
    with pytest.raises(IntegrityError):
        with db.write() as conn:
            conn.execute(text("INSERT INTO deliveries (issue_id, channel, state, attempts, "
                              "next_attempt_at, created_at) VALUES (1, 'email', 'pending', "
                              "0, :n, :n)"), {"n": now})
    migrate.downgrade(db, "0011")
    with db.read() as conn:
        assert conn.execute(text("SELECT count(*) FROM deliveries")).scalar() == 1
    db.dispose()
