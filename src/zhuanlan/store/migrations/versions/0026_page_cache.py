"""page_generation: when readers' shared pages changed

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-05

One row whose ``generation`` every write that changes what a reader page shows raises
(store/page_generation.py); each server process drops its rendered pages when it sees a
new value.
"""
import sqlalchemy as sa
from alembic import op

revision = '0026'
down_revision = '0025'
branch_labels = None
depends_on = None


def upgrade() -> None:
    table = op.create_table(
        'page_generation',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('generation', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_page_generation')),
    )
    op.bulk_insert(table, [{'id': 1, 'generation': 0}])


def downgrade() -> None:
    op.drop_table('page_generation')
