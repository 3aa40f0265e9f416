"""chat channel targets: group robots and webhooks, which columns push to them, and
outbox rows for a target (deliveries.target_id, progress of a split issue)

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-26

Data is kept: every existing delivery is a person's e-mail row (subscriber_id set,
target_id NULL, progress 0), which satisfies the new CHECK.

On PostgreSQL every change is an in-place ALTER. On SQLite, making ``subscriber_id``
nullable and adding the CHECK constraint cannot be done by ALTER TABLE, so
``deliveries`` is rebuilt once (batch mode: copy, drop, rename). ``migrate.py`` turns
foreign keys off while migrations run, so dropping the old table does not cascade, and
checks the references afterwards. Nothing refers to ``deliveries``.
"""
import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'channel_targets',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('config', sa.Text(), nullable=False),
        sa.Column('enabled', sa.Boolean(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.Column('last_error', sa.Text(), nullable=True),
        sa.Column('last_success_at', sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_channel_targets')),
        sa.UniqueConstraint('name', name=op.f('uq_channel_targets_name')),
    )
    op.create_table(
        'column_targets',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('column_id', sa.Integer(), nullable=False),
        sa.Column('target_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['column_id'], ['columns.id'],
                                name=op.f('fk_column_targets_column_id_columns'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['target_id'], ['channel_targets.id'],
                                name=op.f('fk_column_targets_target_id_channel_targets'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_column_targets')),
        sa.UniqueConstraint('column_id', 'target_id', name=op.f('uq_column_targets_column_id')),
    )
    op.create_index(op.f('ix_column_targets_target_id'), 'column_targets', ['target_id'],
                    unique=False)
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('target_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('progress', sa.Integer(), nullable=False,
                                      server_default='0'))
        batch_op.alter_column('subscriber_id', existing_type=sa.Integer(), nullable=True)
        batch_op.create_foreign_key(op.f('fk_deliveries_target_id_channel_targets'),
                                    'channel_targets', ['target_id'], ['id'],
                                    ondelete='CASCADE')
        batch_op.create_unique_constraint('uq_deliveries_issue_target',
                                          ['issue_id', 'target_id'])
        batch_op.create_check_constraint('ck_deliveries_one_recipient',
                                         '(subscriber_id IS NULL) <> (target_id IS NULL)')


def downgrade() -> None:
    op.execute("DELETE FROM deliveries WHERE target_id IS NOT NULL")
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.drop_constraint('ck_deliveries_one_recipient', type_='check')
        batch_op.drop_constraint('uq_deliveries_issue_target', type_='unique')
        batch_op.drop_constraint(op.f('fk_deliveries_target_id_channel_targets'),
                                 type_='foreignkey')
        batch_op.alter_column('subscriber_id', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column('progress')
        batch_op.drop_column('target_id')
    op.drop_index(op.f('ix_column_targets_target_id'), table_name='column_targets')
    op.drop_table('column_targets')
    op.drop_table('channel_targets')
