"""source poll cap: how many new entries one poll may queue, and a note for the editor

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-05

One 1 MB feed once queued 20,000 pages in one poll. A poll now queues at most
``sources.max_new_per_poll`` new entries (or the source's own ``max_new_per_poll``),
newest first; the rest wait for the next polls and ``last_note`` says so.
"""
import sqlalchemy as sa
from alembic import op

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('sources') as batch:
        batch.add_column(sa.Column('max_new_per_poll', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('last_note', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('sources') as batch:
        batch.drop_column('last_note')
        batch.drop_column('max_new_per_poll')
