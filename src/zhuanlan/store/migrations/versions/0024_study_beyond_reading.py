"""答题, 学习心得: quiz questions and answers, reflections

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-05

``quiz_questions``: proposed from an issue's articles, reviewed by an editor (only
"kept" ones reach readers), each citing the sentence it was made from. ``quiz_answers``:
the first attempt of a person per question, for the record (unique per question and
person: a second answer cannot replace it). ``reflections``: one 学习心得 per person and
issue, which the editor can mark excellent and feature in a later issue. ``columns``
gains ``reflection_names``: the column's rule that featured reflections show the author's
name without asking.
"""
import sqlalchemy as sa
from alembic import op

revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('columns') as batch:
        batch.add_column(sa.Column('reflection_names', sa.Boolean(), nullable=False,
                                   server_default=sa.false()))
    op.create_table(
        'quiz_questions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('column_id', sa.Integer(), nullable=False),
        sa.Column('issue_id', sa.Integer(), nullable=True),
        sa.Column('article_id', sa.Integer(), nullable=True),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('prompt', sa.Text(), nullable=False),
        sa.Column('choices', sa.Text(), nullable=False),
        sa.Column('answer', sa.Text(), nullable=False),
        sa.Column('sentence', sa.Text(), nullable=False),
        sa.Column('state', sa.String(length=20), nullable=False),
        sa.Column('origin', sa.String(length=20), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=True),
        sa.Column('updated_by', sa.String(length=100), nullable=True),
        sa.ForeignKeyConstraint(['column_id'], ['columns.id'],
                                name=op.f('fk_quiz_questions_column_id_columns'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['issue_id'], ['issues.id'],
                                name=op.f('fk_quiz_questions_issue_id_issues'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['article_id'], ['articles.id'],
                                name=op.f('fk_quiz_questions_article_id_articles'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_quiz_questions')),
    )
    op.create_index(op.f('ix_quiz_questions_issue_id'), 'quiz_questions', ['issue_id'])
    op.create_index('ix_quiz_questions_column_state', 'quiz_questions', ['column_id', 'state'])
    op.create_table(
        'quiz_answers',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('question_id', sa.Integer(), nullable=False),
        sa.Column('issue_id', sa.Integer(), nullable=False),
        sa.Column('subscriber_id', sa.Integer(), nullable=False),
        sa.Column('answer', sa.Text(), nullable=False),
        sa.Column('correct', sa.Boolean(), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('answered_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['question_id'], ['quiz_questions.id'],
                                name=op.f('fk_quiz_answers_question_id_quiz_questions'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['issue_id'], ['issues.id'],
                                name=op.f('fk_quiz_answers_issue_id_issues'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['subscriber_id'], ['subscribers.id'],
                                name=op.f('fk_quiz_answers_subscriber_id_subscribers'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_quiz_answers')),
        sa.UniqueConstraint('question_id', 'subscriber_id',
                            name=op.f('uq_quiz_answers_question_id')),
    )
    op.create_index('ix_quiz_answers_issue_subscriber', 'quiz_answers',
                    ['issue_id', 'subscriber_id'])
    op.create_table(
        'reflections',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('issue_id', sa.Integer(), nullable=False),
        sa.Column('subscriber_id', sa.Integer(), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('submitted_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=True),
        sa.Column('excellent', sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column('hidden', sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column('consent', sa.String(length=20), nullable=True),
        sa.Column('feature_column_id', sa.Integer(), nullable=True),
        sa.Column('featured_issue_id', sa.Integer(), nullable=True),
        sa.Column('marked_by', sa.String(length=100), nullable=True),
        sa.ForeignKeyConstraint(['issue_id'], ['issues.id'],
                                name=op.f('fk_reflections_issue_id_issues'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['subscriber_id'], ['subscribers.id'],
                                name=op.f('fk_reflections_subscriber_id_subscribers'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['feature_column_id'], ['columns.id'],
                                name=op.f('fk_reflections_feature_column_id_columns'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['featured_issue_id'], ['issues.id'],
                                name=op.f('fk_reflections_featured_issue_id_issues'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_reflections')),
        sa.UniqueConstraint('issue_id', 'subscriber_id', name=op.f('uq_reflections_issue_id')),
    )
    op.create_index('ix_reflections_subscriber', 'reflections', ['subscriber_id'])


def downgrade() -> None:
    op.drop_index('ix_reflections_subscriber', table_name='reflections')
    op.drop_table('reflections')
    op.drop_index('ix_quiz_answers_issue_subscriber', table_name='quiz_answers')
    op.drop_table('quiz_answers')
    op.drop_index('ix_quiz_questions_column_state', table_name='quiz_questions')
    op.drop_index(op.f('ix_quiz_questions_issue_id'), table_name='quiz_questions')
    op.drop_table('quiz_questions')
    with op.batch_alter_table('columns') as batch:
        batch.drop_column('reflection_names')
