"""study_progress: 我已学习 adds to its rows instead of recomputing them

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-06

After 0027 the one record of the 9:00 burst that still recomputed a person's rows from all
their readings was the confirmation, the one a reader waits for (bench/reader.py: the
group commit of 我已学习). Its change is known exactly too: a reading not studied becomes
studied, so ``studied`` gains one when its seconds reach the column's minimum and
``too_quick`` one when they fall short (``store.readings.too_quick``), and ``seconds``
gains the difference if the same write raised them. The opens counted it already. Every
other change (a reading that moves, a confirmation taken back, a deletion) still
recomputes as in 0025.

As in 0027 the rows are locked in one order first on PostgreSQL, and the addition is safe
with several writers: ``studied_at`` goes from NULL to a time once (the confirmation's
statement only touches unstudied readings), so the trigger never adds twice.
"""
import importlib.util
from pathlib import Path
from types import ModuleType

from alembic import op

revision = '0030'
down_revision = '0029'
branch_labels = None
depends_on = None


def _migration(name: str) -> ModuleType:
    """An earlier migration's module, whose statements this one keeps."""
    path = Path(__file__).with_name(name)
    spec = importlib.util.spec_from_file_location(f"zhuanlan_migration_{path.stem}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_ISSUES_OF = "SELECT issue_id FROM issue_items WHERE article_id = NEW.article_id"
_ROWS = f"subscriber_id = NEW.subscriber_id AND issue_id IN ({_ISSUES_OF})"
# The column's minimum of the row's issue, as 0025 reads it.
_MIN = ("(SELECT coalesce(c.min_read_seconds, 0) FROM issues i JOIN columns c "
        "ON c.id = i.column_id WHERE i.id = study_progress.issue_id)")
_CONFIRM = (
    "UPDATE study_progress SET "
    f"studied = studied + CASE WHEN NEW.active_seconds >= {_MIN} THEN 1 ELSE 0 END, "
    f"too_quick = too_quick + CASE WHEN NEW.active_seconds < "
    f"(CASE WHEN {_MIN} > 1 THEN {_MIN} ELSE 1 END) THEN 1 ELSE 0 END, "
    "seconds = seconds + (NEW.active_seconds - OLD.active_seconds) "
    f"WHERE {_ROWS}")
# The confirmation case: a reading of the same person and article becomes studied.
_STUDIED = ("OLD.studied_at IS NULL AND NEW.studied_at IS NOT NULL AND "
            "OLD.subscriber_id {is_} NEW.subscriber_id AND OLD.article_id = NEW.article_id")


def _sqlite() -> list[str]:
    m25 = _migration("0025_stats_rollups.py")
    m27 = _migration("0027_progress_deltas.py")
    table, values, rows, cols = next(t for t in m25._TRIGGERS if t[0] == "readings")
    changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in cols)
    moved = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in cols if c != "state")
    update = [*m25._statements(False, values, rows, "OLD", False, moved),
              *m25._statements(False, values, rows, "NEW", True)]
    same = m27._SAME.format(is_="IS")
    studied = _STUDIED.format(is_="IS")
    return [
        "DROP TRIGGER trg_readings_progress_update",
        f"CREATE TRIGGER trg_readings_progress_update AFTER UPDATE OF {', '.join(cols)} "
        f"ON readings FOR EACH ROW WHEN ({changed}) AND NOT ({same}) AND NOT ({studied}) "
        f"BEGIN {'; '.join(update)}; END",
        "CREATE TRIGGER trg_readings_progress_confirm AFTER UPDATE OF "
        f"{', '.join(cols)} ON readings FOR EACH ROW WHEN {studied} "
        f"AND NEW.subscriber_id IS NOT NULL BEGIN {_CONFIRM}; END",
    ]


def _pg() -> list[str]:
    m25 = _migration("0025_stats_rollups.py")
    m27 = _migration("0027_progress_deltas.py")
    table, values, rows, cols = next(t for t in m25._TRIGGERS if t[0] == "readings")
    moved = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in cols if c != "state")
    old = "; ".join(m25._statements(True, values, rows, "OLD", False))
    new = "; ".join(m25._statements(True, values, rows, "NEW", True))
    lock = (f"PERFORM 1 FROM study_progress WHERE {_ROWS} "
            "ORDER BY issue_id, subscriber_id FOR UPDATE")
    same = m27._SAME.format(is_="IS NOT DISTINCT FROM")
    studied = _STUDIED.format(is_="IS NOT DISTINCT FROM")
    return [f"""CREATE OR REPLACE FUNCTION readings_progress() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' AND NEW.studied_at IS NULL THEN
        IF NEW.subscriber_id IS NOT NULL THEN {lock}; {m27._OPEN}; END IF;
        RETURN NULL;
    END IF;
    IF TG_OP = 'UPDATE' AND {same} THEN
        IF NEW.subscriber_id IS NOT NULL THEN {lock}; {m27._BEAT}; END IF;
        RETURN NULL;
    END IF;
    IF TG_OP = 'UPDATE' AND {studied} THEN
        IF NEW.subscriber_id IS NOT NULL THEN {lock}; {_CONFIRM}; END IF;
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
    m27 = _migration("0027_progress_deltas.py")
    if op.get_bind().dialect.name == "postgresql":
        for sql in m27._pg():
            op.execute(sql)
        return
    op.execute("DROP TRIGGER IF EXISTS trg_readings_progress_confirm")
    op.execute("DROP TRIGGER IF EXISTS trg_readings_progress_update")
    for sql in m27._sqlite():
        if sql.startswith("CREATE TRIGGER trg_readings_progress_update"):
            op.execute(sql)
