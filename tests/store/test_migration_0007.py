"""Upgrading a store with subscribers from 0006: every subscriber stays, their text
departments become the tree, subscriptions and deliveries keep working."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import text

from zhuanlan.store import Database, migrate


def test_upgrade_from_0006_turns_text_departments_into_the_tree(database_url):
    db = Database(database_url)
    migrate.upgrade(db, "0006")
    now = datetime(2026, 1, 1)
    people = [("a@corp.example.com", "甲", "E1", "集团/公司A/部门1"),
              ("b@corp.example.com", "乙", "E2", "集团 › 公司A › 部门2"),
              ("c@corp.example.com", "丙", "", "集团 > 公司B"),
              ("d@corp.example.com", "丁", None, ""),
              ("e@corp.example.com", "戊", "E1", "党群工作部"),      # a repeated 工号
              ("f@corp.example.com", "己", "E6", " 集团 /公司A/ 部门1 ")]
    with db.write() as conn:
        conn.execute(text(
            "INSERT INTO columns (slug, name, description, editor_note, include_terms, "
            "exclude_terms, schedule, timezone, title_terms, min_length, auto_approve, "
            "created_at) VALUES ('c', '专栏', '', '', 'x', '', '0 9 * * 1', 'Asia/Shanghai', "
            "'', 0, :f, :now)"), {"f": False, "now": now})
        for email, name, no, dept in people:
            conn.execute(text(
                "INSERT INTO subscribers (email, name, employee_no, department, active, "
                "created_at) VALUES (:e, :n, :no, :d, :t, :now)"),
                {"e": email, "n": name, "no": no, "d": dept, "t": True, "now": now})
        conn.execute(text("INSERT INTO subscriptions (column_id, subscriber_id, created_at) "
                          "SELECT 1, id, :now FROM subscribers WHERE email = 'b@corp.example.com'"),
                     {"now": now})
        # An issue and its outbox row for 乙: the upgrade must not lose them.
        conn.execute(text("INSERT INTO issues (column_id, number, title, editor_note, "
                          "published_at) VALUES (1, 1, '第1期', '', :now)"), {"now": now})
        conn.execute(text(
            "INSERT INTO deliveries (issue_id, subscriber_id, channel, state, attempts, "
            "next_attempt_at, created_at) SELECT 1, id, 'email', 'sent', 1, :now, :now "
            "FROM subscribers WHERE email = 'b@corp.example.com'"), {"now": now})
    migrate.upgrade(db, "0007")
    with db.read() as conn:
        rows = conn.execute(text(
            "SELECT s.email, s.employee_no, s.department, d.path FROM subscribers s "
            "LEFT JOIN departments d ON d.id = s.department_id ORDER BY s.email")).all()
        tree = dict(conn.execute(text(
            "SELECT d.path, p.path FROM departments d "
            "LEFT JOIN departments p ON p.id = d.parent_id")).all())
        subs = conn.execute(text("SELECT subscriber_id, department_id FROM subscriptions")).all()
    assert [tuple(r) for r in rows] == [
        ("a@corp.example.com", "E1", "集团/公司A/部门1", "集团/公司A/部门1"),
        ("b@corp.example.com", "E2", "集团/公司A/部门2", "集团/公司A/部门2"),
        ("c@corp.example.com", None, "集团/公司B", "集团/公司B"),
        ("d@corp.example.com", None, "", None),
        ("e@corp.example.com", None, "党群工作部", "党群工作部"),
        ("f@corp.example.com", "E6", "集团/公司A/部门1", "集团/公司A/部门1")]
    assert tree == {"集团": None, "集团/公司A": "集团", "集团/公司A/部门1": "集团/公司A",
                    "集团/公司A/部门2": "集团/公司A", "集团/公司B": "集团", "党群工作部": None}
    assert len(subs) == 1 and subs[0][1] is None
    with db.read() as conn:
        assert conn.execute(text("SELECT count(*) FROM deliveries")).scalar() == 1
    migrate.upgrade(db)
    assert migrate.current_revision(db) == migrate.head_revision()
    # And back: people keep their department as text.
    migrate.downgrade(db, "0006")
    with db.read() as conn:
        assert conn.execute(text("SELECT count(*) FROM subscribers")).scalar() == 6
        assert conn.execute(text("SELECT department FROM subscribers WHERE email = "
                                 "'b@corp.example.com'")).scalar() == "集团/公司A/部门2"
    db.dispose()
