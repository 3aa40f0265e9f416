"""personal messages through the organization's own app (企业微信 / 钉钉 / 飞书 自建应用),
readers identified by the app's web login, and reminders to those who have not studied

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-05

``deliveries`` gains ``app_id`` (the app target a person's row goes through; NULL for
e-mail and group rows), ``note`` (why a person got e-mail instead of the app message),
``awaiting_result`` (钉钉: the platform accepted the batch, each person's outcome is read
back later), ``sends`` (how many times the row was handed to a platform or an SMTP
server: a row sent twice is counted in the delivery report) and ``reminder_id`` (0 for
the issue itself, else the reminder the row belongs to), which joins the row's unique
key so that a person can be reminded of an issue they already received. SQLite rebuilds
the table once (batch mode), as 0012 did; existing rows keep their values, reminder 0.

``reminders``: one row per 催学 sent for an issue (by whom, for which department's
subtree, to how many people, automatic or not). ``login_nonces``: the single-use
``state`` values and exchanged codes of the apps' web logins. ``columns`` gains
``study_days`` (the study deadline, days after publishing) and ``remind_hours``
(remind automatically this many hours before it; NULL: off).
"""
import sqlalchemy as sa
from alembic import op

revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'reminders',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('issue_id', sa.Integer(), nullable=False),
        sa.Column('department_id', sa.Integer(), nullable=True),
        sa.Column('created_by', sa.String(length=100), nullable=False),
        sa.Column('automatic', sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column('recipients', sa.Integer(), nullable=False, server_default='0'),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['issue_id'], ['issues.id'],
                                name=op.f('fk_reminders_issue_id_issues'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['department_id'], ['departments.id'],
                                name=op.f('fk_reminders_department_id_departments'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_reminders')),
    )
    op.create_index(op.f('ix_reminders_issue_id'), 'reminders', ['issue_id'], unique=False)
    op.create_table(
        'login_nonces',
        sa.Column('nonce', sa.String(length=128), nullable=False),
        sa.Column('used_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('nonce', name=op.f('pk_login_nonces')),
    )
    op.create_index(op.f('ix_login_nonces_used_at'), 'login_nonces', ['used_at'], unique=False)
    with op.batch_alter_table('columns', schema=None) as batch_op:
        batch_op.add_column(sa.Column('study_days', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('remind_hours', sa.Integer(), nullable=True))
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('app_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('note', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('awaiting_result', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.add_column(sa.Column('sends', sa.Integer(), nullable=False,
                                      server_default='0'))
        batch_op.add_column(sa.Column('reminder_id', sa.Integer(), nullable=False,
                                      server_default='0'))
        batch_op.create_foreign_key(op.f('fk_deliveries_app_id_channel_targets'),
                                    'channel_targets', ['app_id'], ['id'], ondelete='CASCADE')
        batch_op.drop_constraint(op.f('uq_deliveries_issue_id'), type_='unique')
        batch_op.create_unique_constraint(
            'uq_deliveries_person', ['issue_id', 'subscriber_id', 'channel', 'reminder_id'])
        batch_op.create_index('ix_deliveries_app', ['app_id', 'issue_id'], unique=False)


def downgrade() -> None:
    op.execute("DELETE FROM deliveries WHERE reminder_id <> 0 OR app_id IS NOT NULL")
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.drop_index('ix_deliveries_app')
        batch_op.drop_constraint('uq_deliveries_person', type_='unique')
        batch_op.create_unique_constraint(op.f('uq_deliveries_issue_id'),
                                          ['issue_id', 'subscriber_id', 'channel'])
        batch_op.drop_constraint(op.f('fk_deliveries_app_id_channel_targets'),
                                 type_='foreignkey')
        batch_op.drop_column('reminder_id')
        batch_op.drop_column('sends')
        batch_op.drop_column('awaiting_result')
        batch_op.drop_column('note')
        batch_op.drop_column('app_id')
    with op.batch_alter_table('columns', schema=None) as batch_op:
        batch_op.drop_column('remind_hours')
        batch_op.drop_column('study_days')
    op.drop_index(op.f('ix_login_nonces_used_at'), table_name='login_nonces')
    op.drop_table('login_nonces')
    op.drop_index(op.f('ix_reminders_issue_id'), table_name='reminders')
    op.drop_table('reminders')
