"""issue items by article: whether an article was published is asked per reader page

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-05

Readers see only articles published in an issue (and staff every article), so the
article page, its pictures and every heartbeat ask "is this article in an issue?".
The only index of ``issue_items`` began with ``issue_id``; this one answers by article.
"""
from alembic import op

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_issue_items_article', 'issue_items', ['article_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_issue_items_article', table_name='issue_items')
