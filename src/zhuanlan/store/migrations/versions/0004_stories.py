"""stories: articles folded across outlets, signatures, one candidate per story

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24
"""
import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'stories',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('representative_id', sa.Integer(), nullable=True),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_stories')),
    )
    with op.batch_alter_table('articles', schema=None) as batch_op:
        batch_op.add_column(sa.Column('story_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('relation', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('signature', sa.LargeBinary(), nullable=True))
        batch_op.create_index(batch_op.f('ix_articles_story_id'), ['story_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_articles_story_id_stories'), 'stories',
                                    ['story_id'], ['id'], ondelete='SET NULL')
    with op.batch_alter_table('stories', schema=None) as batch_op:
        batch_op.create_foreign_key(batch_op.f('fk_stories_representative_id_articles'),
                                    'articles', ['representative_id'], ['id'],
                                    ondelete='SET NULL')
    with op.batch_alter_table('candidates', schema=None) as batch_op:
        batch_op.add_column(sa.Column('story_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_candidates_story_id_stories'), 'stories',
                                    ['story_id'], ['id'], ondelete='SET NULL')
        batch_op.create_unique_constraint('uq_candidates_column_story', ['column_id', 'story_id'])


def downgrade() -> None:
    with op.batch_alter_table('candidates', schema=None) as batch_op:
        batch_op.drop_constraint('uq_candidates_column_story', type_='unique')
        batch_op.drop_constraint(batch_op.f('fk_candidates_story_id_stories'), type_='foreignkey')
        batch_op.drop_column('story_id')
    with op.batch_alter_table('stories', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_stories_representative_id_articles'),
                                 type_='foreignkey')
    with op.batch_alter_table('articles', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_articles_story_id_stories'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_articles_story_id'))
        batch_op.drop_column('signature')
        batch_op.drop_column('relation')
        batch_op.drop_column('story_id')
    op.drop_table('stories')
