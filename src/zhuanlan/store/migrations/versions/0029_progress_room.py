"""study_progress on PostgreSQL: room on every page for its rows' updates

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-06

An issue's 50,000 rows are written together when it is sent, and then each is updated
dozens of times as its person reads (every heartbeat's seconds). On full pages PostgreSQL
puts each new version on another page, so after a morning of reading the issue's rows lay
on ~45,000 pages instead of ~500, and the statistics of the issue read all of them
(bench/reader.py --pg: 45–100 ms per issue, the column's trend over 12 issues 0.5 s).
With 30 % of each page left free an update stays on its page (a HOT update, which also
skips the index), and the rows of an issue stay together. The existing rows are laid out
again in (issue, person) order; on a large store this takes about a minute and locks the
table (statistics and records wait). SQLite updates rows in place: nothing to do there.
"""
from alembic import op

revision = '0029'
down_revision = '0028'
branch_labels = None
depends_on = None

FILLFACTOR = 70


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"ALTER TABLE study_progress SET (fillfactor = {FILLFACTOR})")
    op.execute("CLUSTER study_progress USING pk_study_progress")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE study_progress RESET (fillfactor)")
