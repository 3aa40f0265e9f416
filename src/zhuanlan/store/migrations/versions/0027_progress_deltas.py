"""study_progress: an open or a heartbeat adds to its rows instead of recomputing them

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-05

Measured at the 9:00 burst (bench/reader.py): nearly every write to ``readings`` is an open
(a new row, not studied) or a heartbeat (``active_seconds`` raised on a row not studied),
and 0025's triggers recomputed the person's row of every issue carrying the article from
all their readings for each — 150–200 µs a record inside the flush that 我已学习 waits
for. For those two cases the change is known exactly: an open adds one reading and its
seconds, a heartbeat the seconds' difference, and neither changes ``studied`` or
``too_quick`` (both count confirmed readings only). The trigger applies that difference
in the writing transaction, so it is as exact as the recompute; every other change (a
confirmation, a reading that moves, a deletion) still recomputes as in 0025.

An addition is safe with several writers where a recompute had to lock first: on
PostgreSQL ``SET seconds = seconds + d`` re-reads the row once its lock is free, and the
insert's ``ON CONFLICT DO UPDATE`` adds to the row another writer created. A flush that
is repeated writes nothing twice: the heartbeat's update only ever raises the seconds and
the trigger fires only when they changed; the open is an insert that a present row
ignores.
"""
import importlib.util
from pathlib import Path

from alembic import op

revision = '0027'
down_revision = '0026'
branch_labels = None
depends_on = None


def _v0025():
    """0025's statements, which the general cases keep."""
    path = Path(__file__).with_name("0025_stats_rollups.py")
    spec = importlib.util.spec_from_file_location("zhuanlan_migration_0025", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_ISSUES_OF = "SELECT issue_id FROM issue_items WHERE article_id = NEW.article_id"
_ROWS = f"subscriber_id = NEW.subscriber_id AND issue_id IN ({_ISSUES_OF})"
# An open not studied: one more reading and its seconds (0 from the record buffer).
_OPEN = ("INSERT INTO study_progress (issue_id, subscriber_id, opened, seconds) "
         "SELECT issue_id, NEW.subscriber_id, 1, NEW.active_seconds FROM issue_items "
         "WHERE article_id = NEW.article_id "
         "ON CONFLICT (issue_id, subscriber_id) DO UPDATE SET "
         "opened = study_progress.opened + 1, "
         "seconds = study_progress.seconds + excluded.seconds")
_BEAT = ("UPDATE study_progress SET seconds = seconds + (NEW.active_seconds - "
         f"OLD.active_seconds) WHERE {_ROWS}")
# The heartbeat case: only the seconds of a reading not studied changed.
_SAME = ("OLD.studied_at IS NULL AND NEW.studied_at IS NULL AND "
         "OLD.subscriber_id {is_} NEW.subscriber_id AND OLD.article_id = NEW.article_id")


def _sqlite() -> list[str]:
    m = _v0025()
    table, values, rows, cols = next(t for t in m._TRIGGERS if t[0] == "readings")
    changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in cols)
    moved = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in cols if c != "state")
    same = _SAME.format(is_="IS")
    update = [*m._statements(False, values, rows, "OLD", False, moved),
              *m._statements(False, values, rows, "NEW", True)]
    insert = m._statements(False, values, rows, "NEW", True)
    return [
        "DROP TRIGGER trg_readings_progress_insert",
        "DROP TRIGGER trg_readings_progress_update",
        "CREATE TRIGGER trg_readings_progress_insert AFTER INSERT ON readings FOR EACH ROW "
        f"WHEN NEW.studied_at IS NOT NULL BEGIN {'; '.join(insert)}; END",
        "CREATE TRIGGER trg_readings_progress_open AFTER INSERT ON readings FOR EACH ROW "
        f"WHEN NEW.studied_at IS NULL AND NEW.subscriber_id IS NOT NULL BEGIN {_OPEN}; END",
        f"CREATE TRIGGER trg_readings_progress_update AFTER UPDATE OF {', '.join(cols)} "
        f"ON readings FOR EACH ROW WHEN ({changed}) AND NOT ({same}) "
        f"BEGIN {'; '.join(update)}; END",
        "CREATE TRIGGER trg_readings_progress_beat AFTER UPDATE OF active_seconds ON readings "
        f"FOR EACH ROW WHEN {same} AND NEW.subscriber_id IS NOT NULL "
        f"AND OLD.active_seconds IS NOT NEW.active_seconds BEGIN {_BEAT}; END",
    ]


def _pg() -> list[str]:
    m = _v0025()
    table, values, rows, cols = next(t for t in m._TRIGGERS if t[0] == "readings")
    moved = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in cols if c != "state")
    old = "; ".join(m._statements(True, values, rows, "OLD", False))
    new = "; ".join(m._statements(True, values, rows, "NEW", True))
    # The rows are locked in one order first, as 0025 does: an article in two issues
    # touches two rows of the person, and two writers must not take them crosswise.
    lock = (f"PERFORM 1 FROM study_progress WHERE {_ROWS} "
            "ORDER BY issue_id, subscriber_id FOR UPDATE")
    return [f"""CREATE OR REPLACE FUNCTION readings_progress() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' AND NEW.studied_at IS NULL THEN
        IF NEW.subscriber_id IS NOT NULL THEN {lock}; {_OPEN}; END IF;
        RETURN NULL;
    END IF;
    IF TG_OP = 'UPDATE' AND {_SAME.format(is_="IS NOT DISTINCT FROM")} THEN
        IF NEW.subscriber_id IS NOT NULL THEN {lock}; {_BEAT}; END IF;
        RETURN NULL;
    END IF;
    IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND ({moved})) THEN {old}; END IF;
    IF TG_OP <> 'DELETE' THEN {new}; END IF;
    RETURN NULL;
END $$"""]


def upgrade() -> None:
    pg = op.get_bind().dialect.name == "postgresql"
    for sql in _pg() if pg else _sqlite():
        op.execute(sql)


def downgrade() -> None:
    m = _v0025()
    if op.get_bind().dialect.name == "postgresql":
        for sql in m._pg_ddl():
            if sql.startswith("CREATE FUNCTION readings_progress"):
                op.execute(sql.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION", 1))
        return
    for name in ("insert", "open", "update", "beat"):
        op.execute(f"DROP TRIGGER IF EXISTS trg_readings_progress_{name}")
    for sql in m._sqlite_ddl():
        if " ON readings " in sql and ("progress_insert" in sql or "progress_update" in sql):
            op.execute(sql)
