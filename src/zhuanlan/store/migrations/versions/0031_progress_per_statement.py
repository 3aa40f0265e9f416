"""study_progress on PostgreSQL: the readings' changes counted once per statement

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-06

The record buffer writes a half second of opens and heartbeats in a few set-based
statements, but PostgreSQL ran 0027's PL/pgSQL trigger for each row they touched: a
heartbeat cost 140 µs with it against 40 without, an open 250–450 µs against 70
(2,000 records, this machine). At the 9:00 burst (bench/reader.py --pg) the two web
processes' flushes then lasted seconds, each waited for the other's on the readings both
had buffered (a reader's requests reach both processes), and 我已学习 waited behind that
queue: p99 7 s, with about one write transaction a second in the whole server
(``log_lock_waits``).

Here the triggers on ``readings`` run once per statement over its transition tables. What
a reading counts for in the rows of the issues carrying its article is known exactly: one
reading opened, its seconds, one studied when it is confirmed with the column's minimum,
one too quick when it is confirmed with less (as ``store.readings.too_quick``). So every
change is the new rows' part minus the old rows' part, summed per (issue, person) and
added in one statement, in (issue, person) order so that two writers lock in one order —
a heartbeat, a confirmation, a confirmation taken back, a reading that moves to someone
else, an insert, a deletion alike; nothing is recomputed from all the readings. An
addition is exact with several writers: each statement adds what it changed, and the row's
lock orders the additions. A row is created for a person who gains a reading (as 0025
does), never for one who only loses some: the person or the issue may be going (cascade).

PostgreSQL allows no column list on a trigger with transition tables, so an update of other
columns (``last_seen_at``) fires it too and adds nothing (a join of the two transition
tables). SQLite keeps its row triggers: they cost it 3–15 µs a record.
"""
import importlib.util
from pathlib import Path

from alembic import op

revision = '0031'
down_revision = '0030'
branch_labels = None
depends_on = None

# The column's minimum of an issue, and the floor below which a confirmation is too quick
# (store.readings.too_quick).
_MIN = "coalesce(c.min_read_seconds, 0)"
_FLOOR = f"(CASE WHEN {_MIN} > 1 THEN {_MIN} ELSE 1 END)"
_CHANGED = ("(o.active_seconds, o.studied_at, o.subscriber_id, o.article_id) IS DISTINCT FROM "
            "(n.active_seconds, n.studied_at, n.subscriber_id, n.article_id)")


def _part(t: str, sign: str, source: str, where: str) -> str:
    """What the readings ``t`` of ``source`` count for in their issues' rows, signed."""
    return (f"SELECT ii.issue_id, {t}.subscriber_id, {sign}1 AS opened, "
            f"{sign}{t}.active_seconds AS seconds, "
            f"{sign}(CASE WHEN {t}.studied_at IS NOT NULL AND {t}.active_seconds >= {_MIN} "
            "THEN 1 ELSE 0 END) AS studied, "
            f"{sign}(CASE WHEN {t}.studied_at IS NOT NULL AND {t}.active_seconds < {_FLOOR} "
            "THEN 1 ELSE 0 END) AS too_quick "
            f"FROM {source} JOIN issue_items ii ON ii.article_id = {t}.article_id "
            "JOIN issues i ON i.id = ii.issue_id JOIN columns c ON c.id = i.column_id "
            f"WHERE {t}.subscriber_id IS NOT NULL AND {where}")


def _add(parts: list[str], create: bool) -> str:
    """Add the parts' sums to their rows, locked in (issue, person) order; ``create`` a
    missing row where a reading is gained."""
    sums = ("SELECT issue_id, subscriber_id, sum(opened) AS opened, sum(seconds) AS seconds, "
            "sum(studied) AS studied, sum(too_quick) AS too_quick "
            f"FROM ({' UNION ALL '.join(parts)}) AS p GROUP BY issue_id, subscriber_id")
    if not create:
        return ("PERFORM 1 FROM study_progress sp JOIN "
                f"({sums}) AS d ON sp.issue_id = d.issue_id "
                "AND sp.subscriber_id = d.subscriber_id "
                "ORDER BY sp.issue_id, sp.subscriber_id FOR UPDATE OF sp; "
                "UPDATE study_progress sp SET opened = sp.opened + d.opened, "
                "seconds = sp.seconds + d.seconds, studied = sp.studied + d.studied, "
                f"too_quick = sp.too_quick + d.too_quick FROM ({sums}) AS d "
                "WHERE sp.issue_id = d.issue_id AND sp.subscriber_id = d.subscriber_id")
    return ("INSERT INTO study_progress (issue_id, subscriber_id, opened, seconds, studied, "
            "too_quick) SELECT d.issue_id, d.subscriber_id, d.opened, d.seconds, d.studied, "
            f"d.too_quick FROM ({sums}) AS d "
            # A row only gains or loses here if it exists, except where a reading is gained.
            "WHERE d.opened > 0 OR EXISTS (SELECT 1 FROM study_progress sp "
            "WHERE sp.issue_id = d.issue_id AND sp.subscriber_id = d.subscriber_id) "
            "ORDER BY d.issue_id, d.subscriber_id "
            "ON CONFLICT (issue_id, subscriber_id) DO UPDATE SET "
            "opened = study_progress.opened + excluded.opened, "
            "seconds = study_progress.seconds + excluded.seconds, "
            "studied = study_progress.studied + excluded.studied, "
            "too_quick = study_progress.too_quick + excluded.too_quick")


_BOTH = "old_rows o JOIN new_rows n ON n.id = o.id"
_FUNCTIONS = {
    "inserted": _add([_part("n", "", "new_rows n", "true")], create=True),
    "updated": _add([_part("n", "", _BOTH, _CHANGED), _part("o", "-", _BOTH, _CHANGED)],
                    create=True),
    "deleted": _add([_part("o", "-", "old_rows o", "true")], create=False),
}
_STATEMENT_TRIGGERS = [
    ("inserted", "INSERT", "REFERENCING NEW TABLE AS new_rows"),
    ("updated", "UPDATE", "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows"),
    ("deleted", "DELETE", "REFERENCING OLD TABLE AS old_rows"),
]


def _v0025():
    path = Path(__file__).with_name("0025_stats_rollups.py")
    spec = importlib.util.spec_from_file_location("zhuanlan_migration_0025", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for event in ("insert", "update", "delete"):
        op.execute(f"DROP TRIGGER trg_readings_progress_{event} ON readings")
    for name, event, tables in _STATEMENT_TRIGGERS:
        op.execute(f"""CREATE FUNCTION readings_progress_{name}() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    {_FUNCTIONS[name]};
    RETURN NULL;
END $$""")
        op.execute(f"CREATE TRIGGER trg_readings_progress_{name} AFTER {event} ON readings "
                   f"{tables} FOR EACH STATEMENT EXECUTE FUNCTION readings_progress_{name}()")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name, _, _ in _STATEMENT_TRIGGERS:
        op.execute(f"DROP TRIGGER trg_readings_progress_{name} ON readings")
        op.execute(f"DROP FUNCTION readings_progress_{name}()")
    # 0025's row triggers, calling the function as 0030 left it.
    for sql in _v0025()._pg_ddl():
        if sql.startswith("CREATE TRIGGER trg_readings_progress_"):
            op.execute(sql)
