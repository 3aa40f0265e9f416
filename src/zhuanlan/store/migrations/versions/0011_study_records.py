"""study records: readings per reader and article, reading views

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-24
"""
import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'readings',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('reader', sa.String(length=48), nullable=False),
        sa.Column('subscriber_id', sa.Integer(), nullable=True),
        sa.Column('article_id', sa.Integer(), nullable=False),
        sa.Column('issue_id', sa.Integer(), nullable=True),
        sa.Column('opened_at', sa.DateTime(), nullable=False),
        sa.Column('last_seen_at', sa.DateTime(), nullable=False),
        sa.Column('active_seconds', sa.Integer(), nullable=False),
        sa.Column('studied_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['article_id'], ['articles.id'],
                                name=op.f('fk_readings_article_id_articles'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['issue_id'], ['issues.id'],
                                name=op.f('fk_readings_issue_id_issues'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['subscriber_id'], ['subscribers.id'],
                                name=op.f('fk_readings_subscriber_id_subscribers'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_readings')),
        sa.UniqueConstraint('reader', 'article_id', name=op.f('uq_readings_reader')),
    )
    with op.batch_alter_table('readings', schema=None) as batch_op:
        batch_op.create_index('ix_readings_issue_subscriber', ['issue_id', 'subscriber_id'],
                              unique=False)
    op.create_table(
        'reading_views',
        sa.Column('view_id', sa.String(length=40), nullable=False),
        sa.Column('reading_id', sa.Integer(), nullable=False),
        sa.Column('seconds', sa.Integer(), nullable=False),
        sa.Column('started_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['reading_id'], ['readings.id'],
                                name=op.f('fk_reading_views_reading_id_readings'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('view_id', name=op.f('pk_reading_views')),
    )
    with op.batch_alter_table('reading_views', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reading_views_reading_id'), ['reading_id'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('reading_views', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reading_views_reading_id'))
    op.drop_table('reading_views')
    with op.batch_alter_table('readings', schema=None) as batch_op:
        batch_op.drop_index('ix_readings_issue_subscriber')
    op.drop_table('readings')
