"""column rules (title terms, sources, age, length), learner, candidate reasons

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""
import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('columns', schema=None) as batch_op:
        batch_op.add_column(sa.Column('title_terms', sa.Text(), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('source_filter', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('max_age_days', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('min_length', sa.Integer(), nullable=False,
                                      server_default='0'))
        batch_op.add_column(sa.Column('auto_approve_threshold', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('model', sa.LargeBinary(), nullable=True))
    with op.batch_alter_table('candidates', schema=None) as batch_op:
        batch_op.alter_column('terms', existing_type=sa.String(length=1000), type_=sa.Text(),
                              existing_nullable=False)
        batch_op.add_column(sa.Column('reason', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('candidates', schema=None) as batch_op:
        batch_op.drop_column('reason')
        batch_op.alter_column('terms', existing_type=sa.Text(), type_=sa.String(length=1000),
                              existing_nullable=False)
    with op.batch_alter_table('columns', schema=None) as batch_op:
        batch_op.drop_column('model')
        batch_op.drop_column('auto_approve_threshold')
        batch_op.drop_column('min_length')
        batch_op.drop_column('max_age_days')
        batch_op.drop_column('source_filter')
        batch_op.drop_column('title_terms')
