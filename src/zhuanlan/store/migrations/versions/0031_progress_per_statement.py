"""study_progress on PostgreSQL: the readings' changes counted once per statement

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-06

The record buffer writes a half second of opens and heartbeats in a few set-based
statements, but PostgreSQL ran 0027's PL/pgSQL trigger for each row they touched: a
heartbeat cost 140 µs with it against 40 without, an open 300–450 µs against 70
(2,000 records, this machine). At the 9:00 burst (bench/reader.py --pg) the two web
processes' flushes then lasted seconds, each waited for the other's on the readings both
had buffered (a reader's requests reach both processes), and 我已学习 waited behind the
queue: p99 7 s, with ~1 write transaction a second in the whole server
(``log_lock_waits``).

Here the triggers on ``readings`` run once per statement over its transition tables and
apply the same changes as 0027 and 0030 grouped by (issue, person): the opens add their
count and seconds, the heartbeats and confirmations of unstudied readings their
difference, and any other change (a reading that moves, a confirmation taken back, a
deletion, a reading inserted already studied) recomputes the touched rows as in 0025,
after the additions, so a recompute has the last word. The rows are locked in (issue,
person) order first, as before. PostgreSQL allows no column list on a trigger with
transition tables, so an update of other columns (``last_seen_at``) fires it too and
finds nothing that changed: a join of the two transition tables.

SQLite keeps its row triggers: they cost it 3–15 µs a record.
"""
import importlib.util
from pathlib import Path

from alembic import op

revision = '0031'
down_revision = '0030'
branch_labels = None
depends_on = None


def _v0025():
    path = Path(__file__).with_name("0025_stats_rollups.py")
    spec = importlib.util.spec_from_file_location("zhuanlan_migration_0025", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# The column's minimum of an issue, and the floor below which a confirmation is too quick
# (store.readings.too_quick).
_MIN = "coalesce(c.min_read_seconds, 0)"
_FLOOR = f"(CASE WHEN {_MIN} > 1 THEN {_MIN} ELSE 1 END)"
_CHANGED = ("(o.active_seconds, o.studied_at, o.subscriber_id, o.article_id) IS DISTINCT FROM "
            "(n.active_seconds, n.studied_at, n.subscriber_id, n.article_id)")
# A heartbeat or a confirmation of a reading not studied, same person and article.
_ADDS = ("n.subscriber_id IS NOT NULL "
         "AND o.subscriber_id IS NOT DISTINCT FROM n.subscriber_id "
         "AND o.article_id = n.article_id AND o.studied_at IS NULL")
_PAIRS_OF = ("SELECT ii.issue_id, {t}.subscriber_id FROM {src} "
             "JOIN issue_items ii ON ii.article_id = {t}.article_id "
             "WHERE {t}.subscriber_id IS NOT NULL AND ({cond})")
_BOTH = "old_rows o JOIN new_rows n ON n.id = o.id"


def _lock(pairs: str) -> str:
    return ("PERFORM 1 FROM study_progress sp WHERE (sp.issue_id, sp.subscriber_id) IN "
            f"({pairs}) ORDER BY sp.issue_id, sp.subscriber_id FOR UPDATE OF sp")


def _recompute(values: str, pairs: str, create: str | None) -> str:
    out = []
    if create:
        out.append(f"INSERT INTO study_progress (issue_id, subscriber_id) "
                   f"SELECT DISTINCT * FROM ({create}) p ORDER BY 1, 2 "
                   "ON CONFLICT (issue_id, subscriber_id) DO NOTHING")
    out.append(_lock(pairs))
    out.append(f"UPDATE study_progress SET {values} "
               f"WHERE (study_progress.issue_id, study_progress.subscriber_id) IN ({pairs})")
    return "; ".join(out)


def _functions() -> list[str]:
    values = next(t for t in _v0025()._TRIGGERS if t[0] == "readings")[1]
    opens = ("INSERT INTO study_progress (issue_id, subscriber_id, opened, seconds) "
             "SELECT ii.issue_id, n.subscriber_id, count(*), sum(n.active_seconds) "
             "FROM new_rows n JOIN issue_items ii ON ii.article_id = n.article_id "
             "WHERE n.studied_at IS NULL AND n.subscriber_id IS NOT NULL "
             "GROUP BY ii.issue_id, n.subscriber_id ORDER BY 1, 2 "
             "ON CONFLICT (issue_id, subscriber_id) DO UPDATE SET "
             "opened = study_progress.opened + excluded.opened, "
             "seconds = study_progress.seconds + excluded.seconds")
    studied_new = _PAIRS_OF.format(t="n", src="new_rows n", cond="n.studied_at IS NOT NULL")
    adds = f"{_ADDS} AND {_CHANGED}"
    deltas = (
        "UPDATE study_progress sp SET seconds = sp.seconds + d.seconds, "
        "studied = sp.studied + d.studied, too_quick = sp.too_quick + d.too_quick "
        "FROM (SELECT ii.issue_id, n.subscriber_id, "
        "sum(n.active_seconds - o.active_seconds) AS seconds, "
        f"sum(CASE WHEN n.studied_at IS NOT NULL AND n.active_seconds >= {_MIN} "
        "THEN 1 ELSE 0 END) AS studied, "
        f"sum(CASE WHEN n.studied_at IS NOT NULL AND n.active_seconds < {_FLOOR} "
        "THEN 1 ELSE 0 END) AS too_quick "
        f"FROM {_BOTH} JOIN issue_items ii ON ii.article_id = n.article_id "
        "JOIN issues i ON i.id = ii.issue_id JOIN columns c ON c.id = i.column_id "
        f"WHERE {adds} GROUP BY ii.issue_id, n.subscriber_id) d "
        "WHERE sp.issue_id = d.issue_id AND sp.subscriber_id = d.subscriber_id")
    other = (f"{_CHANGED} AND NOT ({_ADDS}) "
             "AND (o.subscriber_id IS NOT NULL OR n.subscriber_id IS NOT NULL)")
    moved_old = _PAIRS_OF.format(t="o", src=_BOTH, cond=other)
    moved_new = _PAIRS_OF.format(t="n", src=_BOTH, cond=other)
    deleted = _PAIRS_OF.format(t="o", src="old_rows o", cond="true")
    return [
        f"""CREATE FUNCTION readings_progress_inserted() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    {opens};
    IF EXISTS (SELECT 1 FROM new_rows n WHERE n.studied_at IS NOT NULL
               AND n.subscriber_id IS NOT NULL) THEN
        {_recompute(values, studied_new, studied_new)};
    END IF;
    RETURN NULL;
END $$""",
        f"""CREATE FUNCTION readings_progress_updated() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    changed boolean;
    other boolean;
BEGIN
    -- In one pass over all rows: EXISTS would be planned to stop at a first row, as a
    -- nested loop over the two tables (0.5 s for 2,000 rows that changed nothing).
    SELECT coalesce(bool_or({_CHANGED}), false), coalesce(bool_or({other}), false)
        INTO changed, other FROM {_BOTH};
    IF NOT changed THEN
        RETURN NULL;
    END IF;
    {_lock(_PAIRS_OF.format(t="n", src=_BOTH, cond=adds))};
    {deltas};
    IF other THEN
        {_recompute(values, f"{moved_old} UNION {moved_new}", moved_new)};
    END IF;
    RETURN NULL;
END $$""",
        f"""CREATE FUNCTION readings_progress_deleted() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    {_recompute(values, deleted, None)};
    RETURN NULL;
END $$""",
    ]


_ROW_TRIGGERS = ("insert", "update", "delete")
_STATEMENT_TRIGGERS = [
    ("inserted", "INSERT", "REFERENCING NEW TABLE AS new_rows"),
    ("updated", "UPDATE", "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows"),
    ("deleted", "DELETE", "REFERENCING OLD TABLE AS old_rows"),
]


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for event in _ROW_TRIGGERS:
        op.execute(f"DROP TRIGGER trg_readings_progress_{event} ON readings")
    for sql in _functions():
        op.execute(sql)
    for name, event, tables in _STATEMENT_TRIGGERS:
        op.execute(f"CREATE TRIGGER trg_readings_progress_{name} AFTER {event} ON readings "
                   f"{tables} FOR EACH STATEMENT EXECUTE FUNCTION readings_progress_{name}()")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name, _, _ in _STATEMENT_TRIGGERS:
        op.execute(f"DROP TRIGGER trg_readings_progress_{name} ON readings")
        op.execute(f"DROP FUNCTION readings_progress_{name}()")
    # 0025's row triggers, calling the function 0030 left in place.
    for sql in _v0025()._pg_ddl():
        if sql.startswith("CREATE TRIGGER trg_readings_progress_"):
            op.execute(sql)
