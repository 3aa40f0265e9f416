"""BM25 corpus statistics in the store: word_df and corpus_totals, counted from the
articles already stored

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-24
"""
import sqlalchemy as sa
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'word_df',
        sa.Column('word', sa.String(length=64), nullable=False),
        sa.Column('df', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('word', name=op.f('pk_word_df')),
    )
    op.create_table(
        'corpus_totals',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('n_docs', sa.Integer(), nullable=False),
        sa.Column('body_words', sa.Integer(), nullable=False),
        sa.Column('title_words', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_corpus_totals')),
    )
    # The articles already stored are counted by the application after the upgrade
    # (``store.migrate.catch_up``): the counting is its code, which a migration must not
    # import.


def downgrade() -> None:
    op.drop_table('corpus_totals')
    op.drop_table('word_df')
