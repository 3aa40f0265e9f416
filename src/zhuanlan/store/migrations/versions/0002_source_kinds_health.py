"""source kinds, adaptive polling, yield alarm; article editor

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""
import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('sources', schema=None) as batch_op:
        batch_op.add_column(sa.Column('poll_min_minutes', sa.Integer(), nullable=False,
                                      server_default='5'))
        batch_op.add_column(sa.Column('poll_max_minutes', sa.Integer(), nullable=False,
                                      server_default='1440'))
        batch_op.add_column(sa.Column('spec', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('params', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('recent_counts', sa.String(length=200), nullable=False,
                                      server_default=''))
        batch_op.add_column(sa.Column('alarm', sa.Text(), nullable=True))
    with op.batch_alter_table('articles', schema=None) as batch_op:
        batch_op.add_column(sa.Column('editor', sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('articles', schema=None) as batch_op:
        batch_op.drop_column('editor')
    with op.batch_alter_table('sources', schema=None) as batch_op:
        batch_op.drop_column('alarm')
        batch_op.drop_column('recent_counts')
        batch_op.drop_column('params')
        batch_op.drop_column('spec')
        batch_op.drop_column('poll_max_minutes')
        batch_op.drop_column('poll_min_minutes')
