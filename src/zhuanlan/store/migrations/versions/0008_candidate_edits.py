"""candidate edits: the editor's title and summary per column, the order of approved
items, and the edited title and summary carried by published issue items

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-25
"""
import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('candidates', schema=None) as batch_op:
        batch_op.add_column(sa.Column('title_override', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('summary_override', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('position', sa.Integer(), nullable=True))
    with op.batch_alter_table('issue_items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('title', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('summary', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('issue_items', schema=None) as batch_op:
        batch_op.drop_column('summary')
        batch_op.drop_column('title')
    with op.batch_alter_table('candidates', schema=None) as batch_op:
        batch_op.drop_column('position')
        batch_op.drop_column('summary_override')
        batch_op.drop_column('title_override')
