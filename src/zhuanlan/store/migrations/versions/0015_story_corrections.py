"""story corrections by editors: a pinned representative on stories, and articles split
out of a story that story assignment leaves alone

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-24
"""
import sqlalchemy as sa
from alembic import op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('stories', schema=None) as batch_op:
        batch_op.add_column(sa.Column('pinned_by', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('pinned_at', sa.DateTime(), nullable=True))
    # A constant server default: PostgreSQL adds the column without rewriting the table,
    # SQLite with a plain ALTER TABLE (no batch rebuild of the largest table).
    with op.batch_alter_table('articles', schema=None) as batch_op:
        batch_op.add_column(sa.Column('story_locked', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table('articles', schema=None) as batch_op:
        batch_op.drop_column('story_locked')
    with op.batch_alter_table('stories', schema=None) as batch_op:
        batch_op.drop_column('pinned_at')
        batch_op.drop_column('pinned_by')
