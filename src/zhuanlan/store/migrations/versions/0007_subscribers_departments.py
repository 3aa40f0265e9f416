"""subscribers: the department tree, chat ids, unique 工号, department subscriptions and
opt-outs; the free-text departments of existing subscribers become tree rows

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25
"""
import re
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

# The separators people write between 集团, 公司 and 部门 (kept here rather than imported:
# a migration must not change when the application code does).
_SEPARATORS = re.compile(r"\s*(?:/|›|>|／|＞|»)\s*")


def _split(text):
    parts = [" ".join(p.split()) for p in _SEPARATORS.split((text or "").strip())]
    return [p[:200] for p in parts if p]


def _move_departments_into_the_tree() -> None:
    conn = op.get_bind()
    subscribers = sa.table('subscribers', sa.column('id', sa.Integer),
                           sa.column('department', sa.String),
                           sa.column('department_id', sa.Integer),
                           sa.column('employee_no', sa.String))
    departments = sa.table('departments', sa.column('id', sa.Integer),
                           sa.column('name', sa.String), sa.column('parent_id', sa.Integer),
                           sa.column('path', sa.String), sa.column('created_at', sa.DateTime))
    now = datetime.now(UTC).replace(tzinfo=None)
    ids: dict[str, int] = {}
    seen_numbers: set[str] = set()
    rows = conn.execute(sa.select(subscribers.c.id, subscribers.c.department,
                                  subscribers.c.employee_no).order_by(subscribers.c.id)).all()
    for sid, text, number in rows:
        parts = _split(text)
        while parts and len("/".join(parts)) > 300:
            parts = parts[:-1]
        department_id = None
        for i in range(1, len(parts) + 1):
            path = "/".join(parts[:i])
            if path not in ids:
                ids[path] = conn.execute(departments.insert().values(
                    name=parts[i - 1], parent_id=department_id, path=path, created_at=now)
                    .returning(departments.c.id)).scalar_one()
            department_id = ids[path]
        values = {'department_id': department_id, 'department': "/".join(parts)}
        # 工号 becomes unique: an empty one is none, and a repeated one stays with the
        # first subscriber that had it (the others keep their row, without the number).
        number = (number or "").strip()
        if not number or number in seen_numbers:
            values['employee_no'] = None
        else:
            seen_numbers.add(number)
            values['employee_no'] = number
        conn.execute(subscribers.update().where(subscribers.c.id == sid).values(**values))


def upgrade() -> None:
    op.create_table('departments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('path', sa.String(length=300), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['parent_id'], ['departments.id'], name=op.f('fk_departments_parent_id_departments'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_departments')),
    sa.UniqueConstraint('path', name=op.f('uq_departments_path'))
    )
    with op.batch_alter_table('departments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_departments_parent_id'), ['parent_id'], unique=False)

    # No batch rebuild of subscribers: on SQLite a rebuild DROPs the table, and with
    # foreign keys on that first deletes every row referring to it (subscriptions,
    # deliveries) through their ON DELETE CASCADE. Columns are added in place instead,
    # the reference with its column (SQLite keeps no name or ON DELETE for such an inline
    # reference: it has neither on either database), and the unique 工号 is a unique
    # index.
    if op.get_bind().dialect.name == 'sqlite':
        op.execute('ALTER TABLE subscribers ADD COLUMN department_id INTEGER '
                   'CONSTRAINT fk_subscribers_department_id_departments '
                   'REFERENCES departments (id)')
    else:
        op.add_column('subscribers', sa.Column('department_id', sa.Integer(), nullable=True))
        op.create_foreign_key(op.f('fk_subscribers_department_id_departments'), 'subscribers',
                              'departments', ['department_id'], ['id'])
    with op.batch_alter_table('subscribers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('wecom_userid', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('dingtalk_userid', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('feishu_open_id', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('updated_at', sa.DateTime(), nullable=True))

    _move_departments_into_the_tree()

    with op.batch_alter_table('subscribers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_subscribers_department_id'), ['department_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_subscribers_employee_no'), ['employee_no'], unique=True)

    with op.batch_alter_table('subscriptions', schema=None) as batch_op:
        batch_op.alter_column('subscriber_id', existing_type=sa.Integer(), nullable=True)
        batch_op.add_column(sa.Column('department_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_subscriptions_department_id_departments'), 'departments', ['department_id'], ['id'], ondelete='CASCADE')
        batch_op.create_unique_constraint('uq_subscriptions_column_department', ['column_id', 'department_id'])
        batch_op.create_check_constraint('ck_subscriptions_one_target', '(subscriber_id IS NULL) <> (department_id IS NULL)')

    op.create_table('unsubscriptions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('column_id', sa.Integer(), nullable=False),
    sa.Column('subscriber_id', sa.Integer(), nullable=False),
    sa.Column('via', sa.String(length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['column_id'], ['columns.id'], name=op.f('fk_unsubscriptions_column_id_columns'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['subscriber_id'], ['subscribers.id'], name=op.f('fk_unsubscriptions_subscriber_id_subscribers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_unsubscriptions')),
    sa.UniqueConstraint('column_id', 'subscriber_id', name=op.f('uq_unsubscriptions_column_id'))
    )


def downgrade() -> None:
    # Department subscriptions and opt-outs have no place in the old schema; people keep
    # their department as text.
    op.drop_table('unsubscriptions')
    op.execute("DELETE FROM subscriptions WHERE subscriber_id IS NULL")
    with op.batch_alter_table('subscriptions', schema=None) as batch_op:
        batch_op.drop_constraint('ck_subscriptions_one_target', type_='check')
        batch_op.drop_constraint('uq_subscriptions_column_department', type_='unique')
        batch_op.drop_constraint(batch_op.f('fk_subscriptions_department_id_departments'), type_='foreignkey')
        batch_op.drop_column('department_id')
        batch_op.alter_column('subscriber_id', existing_type=sa.Integer(), nullable=False)

    with op.batch_alter_table('subscribers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_subscribers_employee_no'))
        batch_op.drop_index(batch_op.f('ix_subscribers_department_id'))
    # On SQLite dropping a column that carries a reference rebuilds the table, which
    # (foreign keys on) loses the rows of subscriptions and deliveries: a downgrade there
    # keeps the people but not their subscriptions and outbox.
    with op.batch_alter_table('subscribers', schema=None) as batch_op:
        if op.get_bind().dialect.name != 'sqlite':
            batch_op.drop_constraint(batch_op.f('fk_subscribers_department_id_departments'), type_='foreignkey')
        batch_op.drop_column('updated_at')
        batch_op.drop_column('feishu_open_id')
        batch_op.drop_column('dingtalk_userid')
        batch_op.drop_column('wecom_userid')
        batch_op.drop_column('department_id')

    with op.batch_alter_table('departments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_departments_parent_id'))
    op.drop_table('departments')
