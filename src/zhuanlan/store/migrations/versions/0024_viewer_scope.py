"""staff users limited to department subtrees

Revision ID: 0024
Revises: 0019
Create Date: 2026-12-05

A viewer or editor may be limited to one or more department subtrees in the statistics.
The subtree is kept as its path, not a foreign key: a department deleted later leaves a
scope that matches nobody (the user sees nothing) instead of a cascade that would widen
the user's view to the whole organisation.
"""
import sqlalchemy as sa
from alembic import op

revision = '0024'
down_revision = '0019'
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


def downgrade() -> None:
    op.drop_table('user_departments')
