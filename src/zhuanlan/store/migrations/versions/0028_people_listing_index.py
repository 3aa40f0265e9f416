"""subscribers: an index in the order the statistics list people

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-06

The statistics page lists the first 200 people of an issue by department, 工号 and name.
Without an index in that order the database joined and sorted all 50,000 of them for each
page (bench/reader.py --pg: 83 of the page's 140 ms in queries); with it PostgreSQL walks
the people in order and stops at the 200th (1.3 ms). SQLite takes it once ANALYZE has
given it statistics; without them it sorts, and its page stays under 200 ms.
"""
from alembic import op

revision = '0028'
down_revision = '0027'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_subscribers_listing', 'subscribers',
                    ['department', 'employee_no', 'name'])


def downgrade() -> None:
    op.drop_index('ix_subscribers_listing', table_name='subscribers')
