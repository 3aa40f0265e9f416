"""desk undo: the last step of each editor on each column, and when the 编者按 was saved

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-05

撤销上一步 must work whichever worker process serves the next request, so the step
(what a decision, a bulk decision, a move or a saved 编者按 changed, and what it was
before) is a row: one per (column, editor), replaced by the editor's next step.
``columns.editor_note_at`` lets the desk warn when the note is older than the last issue.
"""
import sqlalchemy as sa
from alembic import op

revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'desk_steps',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('column_id', sa.Integer(), nullable=False),
        sa.Column('actor', sa.String(length=100), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('label', sa.Text(), nullable=False),
        sa.Column('payload', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['column_id'], ['columns.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('column_id', 'actor'),
    )
    with op.batch_alter_table('columns') as batch:
        batch.add_column(sa.Column('editor_note_at', sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('columns') as batch:
        batch.drop_column('editor_note_at')
    op.drop_table('desk_steps')
