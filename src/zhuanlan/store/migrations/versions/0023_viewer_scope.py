"""staff users limited to department subtrees; a minimum reading time per column

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-05

A viewer or editor may be limited to one or more department subtrees in the statistics.
The subtree is kept as its path, not a foreign key: a department deleted later leaves a
scope that matches nobody (the user sees nothing) instead of a cascade that would widen
the user's view to the whole organisation.

A column may ask for a minimum reading time per article (``min_read_seconds``): a 我已学习
with less reading time is kept but does not count as studied. A confirmation sent with no
reading time at all (no heartbeat: straight from a list or a script) is marked ``quick``.
"""
import sqlalchemy as sa
from alembic import op

revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'user_departments',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('path', sa.String(length=300), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('user_id', 'path'),
    )
    with op.batch_alter_table('columns') as batch:
        batch.add_column(sa.Column('min_read_seconds', sa.Integer(), nullable=True))
    with op.batch_alter_table('readings') as batch:
        batch.add_column(sa.Column('quick', sa.Boolean(), nullable=False,
                                   server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table('readings') as batch:
        batch.drop_column('quick')
    with op.batch_alter_table('columns') as batch:
        batch.drop_column('min_read_seconds')
    op.drop_table('user_departments')
