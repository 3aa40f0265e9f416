"""statistics from roll-ups: one row per (issue, person) kept up to date by triggers

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-05

``study_progress`` holds, per issue and person, what the statistics count: whether the
person is a recipient of the issue (an outbox row of the issue itself, not a reminder) and
whether one of those was sent, and over the issue's articles the person's readings opened,
confirmations that count as studied under the column's minimum reading time, reading
seconds and confirmations that came too quickly. The statistics then read 50,000 rows of
one issue instead of grouping the outbox and millions of readings per request.

Triggers on ``deliveries``, ``readings`` and ``issue_items`` recompute the touched rows
from their sources in the writing transaction — whatever code path writes (the record
buffer, 我已学习, every channel's outbox updates, an editor changing items). A recompute,
not an increment: running it twice changes nothing, so it is safe with several writers.
On PostgreSQL the row is locked before it is recomputed, and the recompute is a statement
of its own, whose snapshot sees what a writer that held the lock before committed.

The department is not stored: it is the person's current one, read when counting (a person
who moved is counted where they are now, as before). A change of a column's minimum
reading time recomputes that column's rows (``store.progress.refresh_columns``);
``zhuanlan stats rebuild`` recomputes everything (``store.progress.rebuild``).
"""
import sqlalchemy as sa
from alembic import op

revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None

_ROW = ("study_progress.issue_id", "study_progress.subscriber_id")

_DELIVERY_SET = f"""(recipient, delivered) = (SELECT count(*) > 0,
        coalesce(sum(CASE WHEN d.state = 'sent' THEN 1 ELSE 0 END), 0) > 0
    FROM deliveries d WHERE d.issue_id = {_ROW[0]} AND d.subscriber_id = {_ROW[1]}
        AND d.reminder_id = 0)"""

# The column's minimum, and "too quick" as store.readings.too_quick: below the minimum,
# or with no reading time at all where the column sets none. (Inline: a joined subquery
# would be materialised for every row a trigger recomputes, twice the time.)
_MIN = ("(SELECT coalesce(c.min_read_seconds, 0) FROM issues i JOIN columns c "
        f"ON c.id = i.column_id WHERE i.id = {_ROW[0]})")
_READING_SET = f"""(opened, seconds, studied, too_quick) = (SELECT count(*),
        coalesce(sum(r.active_seconds), 0),
        coalesce(sum(CASE WHEN r.studied_at IS NOT NULL AND r.active_seconds >= {_MIN}
                     THEN 1 ELSE 0 END), 0),
        coalesce(sum(CASE WHEN r.studied_at IS NOT NULL
                          AND r.active_seconds < (CASE WHEN {_MIN} > 1 THEN {_MIN} ELSE 1 END)
                     THEN 1 ELSE 0 END), 0)
    FROM readings r JOIN issue_items ii ON ii.article_id = r.article_id
    WHERE ii.issue_id = {_ROW[0]} AND r.subscriber_id = {_ROW[1]})"""

# Which rows a changed source row touches: (the rows' condition, the (issue, person)
# pairs to create when they are missing) with R standing for NEW or OLD.
_DELIVERY_ROWS = ("issue_id = R.issue_id AND subscriber_id = R.subscriber_id",
                  "SELECT R.issue_id, R.subscriber_id WHERE R.subscriber_id IS NOT NULL "
                  "AND R.reminder_id = 0")
_READING_ROWS = ("subscriber_id = R.subscriber_id AND issue_id IN "
                 "(SELECT issue_id FROM issue_items WHERE article_id = R.article_id)",
                 "SELECT issue_id, R.subscriber_id FROM issue_items "
                 "WHERE article_id = R.article_id AND R.subscriber_id IS NOT NULL")
_ITEM_ROWS = ("issue_id = R.issue_id AND subscriber_id IN (SELECT subscriber_id FROM "
              "readings WHERE article_id = R.article_id)",
              "SELECT DISTINCT R.issue_id, subscriber_id FROM readings "
              "WHERE article_id = R.article_id AND subscriber_id IS NOT NULL")

# (table, what the trigger recomputes, the rows it touches, the columns whose update
# matters)
_TRIGGERS = [
    ("deliveries", _DELIVERY_SET, _DELIVERY_ROWS, ["state", "subscriber_id", "issue_id",
                                                    "reminder_id"]),
    ("readings", _READING_SET, _READING_ROWS, ["active_seconds", "studied_at",
                                                "subscriber_id", "article_id"]),
    ("issue_items", _READING_SET, _ITEM_ROWS, ["issue_id", "article_id"]),
]


def _statements(pg: bool, values: str, rows: tuple[str, str], ref: str,
                create: bool, only_if: str = "") -> list[str]:
    where, pairs = (part.replace("R.", f"{ref}.") for part in rows)
    if only_if:
        where += f" AND ({only_if})"
    out = []
    if create:
        out.append(f"INSERT INTO study_progress (issue_id, subscriber_id) {pairs} "
                   "ON CONFLICT (issue_id, subscriber_id) DO NOTHING")
    if pg:
        out.append(f"PERFORM 1 FROM study_progress WHERE {where} "
                   "ORDER BY issue_id, subscriber_id FOR UPDATE")
    out.append(f"UPDATE study_progress SET {values} WHERE {where}")
    return out


def _sqlite_ddl() -> list[str]:
    ddl = []
    for table, values, rows, cols in _TRIGGERS:
        changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in cols)
        moved = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in cols if c != "state")
        for event, body in (
                ("INSERT", _statements(False, values, rows, "NEW", True)),
                (f"UPDATE OF {', '.join(cols)}", [
                    # the rows the source row leaves (nothing when it stays)
                    *_statements(False, values, rows, "OLD", False, moved),
                    *_statements(False, values, rows, "NEW", True)]),
                # never creates a row: the person or issue may be going (cascade)
                ("DELETE", _statements(False, values, rows, "OLD", False))):
            name = f"trg_{table}_progress_{event.split()[0].lower()}"
            when = f" WHEN {changed}" if event.startswith("UPDATE") else ""
            ddl.append(f"CREATE TRIGGER {name} AFTER {event} ON {table} FOR EACH ROW{when} "
                       f"BEGIN {'; '.join(body)}; END")
    return ddl


def _pg_ddl() -> list[str]:
    ddl = []
    for table, values, rows, cols in _TRIGGERS:
        moved = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in cols if c != "state")
        changed = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in cols)
        old = "; ".join(_statements(True, values, rows, "OLD", False))
        new = "; ".join(_statements(True, values, rows, "NEW", True))
        ddl.append(f"""CREATE FUNCTION {table}_progress() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND ({moved})) THEN {old}; END IF;
    IF TG_OP <> 'DELETE' THEN {new}; END IF;
    RETURN NULL;
END $$""")
        ddl.append(f"CREATE TRIGGER trg_{table}_progress_insert AFTER INSERT ON {table} "
                   f"FOR EACH ROW EXECUTE FUNCTION {table}_progress()")
        ddl.append(f"CREATE TRIGGER trg_{table}_progress_update AFTER UPDATE OF "
                   f"{', '.join(cols)} ON {table} FOR EACH ROW WHEN ({changed}) "
                   f"EXECUTE FUNCTION {table}_progress()")
        ddl.append(f"CREATE TRIGGER trg_{table}_progress_delete AFTER DELETE ON {table} "
                   f"FOR EACH ROW EXECUTE FUNCTION {table}_progress()")
    return ddl


# The backfill: every recipient, then every reader, grouped in one pass each.
BACKFILL = [
    """INSERT INTO study_progress (issue_id, subscriber_id, recipient, delivered)
    SELECT issue_id, subscriber_id, 1 = 1,
           max(CASE WHEN state = 'sent' THEN 1 ELSE 0 END) = 1
    FROM deliveries WHERE subscriber_id IS NOT NULL AND reminder_id = 0
    GROUP BY issue_id, subscriber_id""",
    """INSERT INTO study_progress (issue_id, subscriber_id, opened, seconds, studied,
                                  too_quick)
    SELECT ii.issue_id, r.subscriber_id, count(*), coalesce(sum(r.active_seconds), 0),
        sum(CASE WHEN r.studied_at IS NOT NULL
                  AND r.active_seconds >= coalesce(c.min_read_seconds, 0) THEN 1 ELSE 0 END),
        sum(CASE WHEN r.studied_at IS NOT NULL AND r.active_seconds <
                 (CASE WHEN coalesce(c.min_read_seconds, 0) > 1 THEN c.min_read_seconds
                  ELSE 1 END) THEN 1 ELSE 0 END)
    FROM readings r JOIN issue_items ii ON ii.article_id = r.article_id
        JOIN issues i ON i.id = ii.issue_id JOIN columns c ON c.id = i.column_id
    WHERE r.subscriber_id IS NOT NULL
    GROUP BY ii.issue_id, r.subscriber_id
    ON CONFLICT (issue_id, subscriber_id) DO UPDATE SET opened = excluded.opened,
        seconds = excluded.seconds, studied = excluded.studied,
        too_quick = excluded.too_quick""",
]


def upgrade() -> None:
    op.create_table(
        'study_progress',
        sa.Column('issue_id', sa.Integer(), nullable=False),
        sa.Column('subscriber_id', sa.Integer(), nullable=False),
        sa.Column('recipient', sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column('delivered', sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column('opened', sa.Integer(), nullable=False, server_default='0'),
        sa.Column('studied', sa.Integer(), nullable=False, server_default='0'),
        sa.Column('seconds', sa.Integer(), nullable=False, server_default='0'),
        sa.Column('too_quick', sa.Integer(), nullable=False, server_default='0'),
        sa.ForeignKeyConstraint(['issue_id'], ['issues.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['subscriber_id'], ['subscribers.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('issue_id', 'subscriber_id'),
        sqlite_with_rowid=False,      # an issue's rows are one range of the table
    )
    bind = op.get_bind()
    for sql in BACKFILL:
        op.execute(sql)
    for sql in _pg_ddl() if bind.dialect.name == "postgresql" else _sqlite_ddl():
        op.execute(sql)


def downgrade() -> None:
    bind = op.get_bind()
    for table, *_ in _TRIGGERS:
        for event in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS trg_{table}_progress_{event}"
                       + (f" ON {table}" if bind.dialect.name == "postgresql" else ""))
        if bind.dialect.name == "postgresql":
            op.execute(f"DROP FUNCTION IF EXISTS {table}_progress()")
    op.drop_table('study_progress')
