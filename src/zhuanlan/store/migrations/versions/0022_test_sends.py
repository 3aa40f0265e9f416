"""发送测试给我: a staff user's own addresses for test sends, and the test sends apart

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-05

``users`` gains ``email``, ``wecom_userid``, ``dingtalk_userid`` and ``feishu_open_id``:
where the editor's own test of an issue goes (set on /admin/me). ``test_sends``: one row
per test message of a column's next issue (who, through which channel and target, to
which address or app id, the outcome) — a table of its own, so that no test is ever an
outbox row of an issue, counted in a delivery report or in the statistics.
"""
import sqlalchemy as sa
from alembic import op

revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email', sa.String(length=320), nullable=True))
        batch_op.add_column(sa.Column('wecom_userid', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('dingtalk_userid', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('feishu_open_id', sa.String(length=100), nullable=True))
    op.create_table(
        'test_sends',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('column_id', sa.Integer(), nullable=False),
        sa.Column('issue_number', sa.Integer(), nullable=False),
        sa.Column('created_by', sa.String(length=100), nullable=False),
        sa.Column('channel', sa.String(length=20), nullable=False),
        sa.Column('target_id', sa.Integer(), nullable=True),
        sa.Column('recipient', sa.String(length=320), nullable=False),
        sa.Column('ok', sa.Boolean(), nullable=False),
        sa.Column('error', sa.Text(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['column_id'], ['columns.id'],
                                name=op.f('fk_test_sends_column_id_columns'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['target_id'], ['channel_targets.id'],
                                name=op.f('fk_test_sends_target_id_channel_targets'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_test_sends')),
    )
    op.create_index(op.f('ix_test_sends_column_id'), 'test_sends', ['column_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_test_sends_column_id'), table_name='test_sends')
    op.drop_table('test_sends')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('feishu_open_id')
        batch_op.drop_column('dingtalk_userid')
        batch_op.drop_column('wecom_userid')
        batch_op.drop_column('email')
