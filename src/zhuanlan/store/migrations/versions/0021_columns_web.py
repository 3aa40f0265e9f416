"""columns made on the web: archived columns and 必学 (compulsory) columns

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-05

``columns`` gains ``archived_at`` (归档: the column no longer runs nor shows as active to
readers; NULL: active), ``archived_by``, ``compulsory`` (必学: no unsubscribe link in its
messages) and ``contact`` (whom a reader of a 必学 column asks, shown on the opt-out
page).
"""
import sqlalchemy as sa
from alembic import op

revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('columns', schema=None) as batch_op:
        batch_op.add_column(sa.Column('archived_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('archived_by', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('compulsory', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.add_column(sa.Column('contact', sa.Text(), nullable=False,
                                      server_default=''))


def downgrade() -> None:
    with op.batch_alter_table('columns', schema=None) as batch_op:
        batch_op.drop_column('contact')
        batch_op.drop_column('compulsory')
        batch_op.drop_column('archived_by')
        batch_op.drop_column('archived_at')
