"""full-text search: article_fts (SQLite FTS5) / article_search (PostgreSQL tsvector)

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-24

The search index is not declared in schema.py (an FTS5 virtual table and a tsvector
have no portable SQLAlchemy form); ``zhuanlan.store.search.include_object`` keeps
autogenerate from proposing to drop it. The articles already stored are indexed by the
application after the upgrade (``store.migrate.catch_up``): the segmentation is its code
(rjieba, terms.txt, normalisation), which a migration must not import.
"""
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

SQLITE_DDL = [
    # Regular (not contentless) FTS5: SQLite before 3.43 cannot delete from a contentless
    # table without the old values, and an article's search row is rewritten on
    # re-extraction. rowid = articles.id.
    "CREATE VIRTUAL TABLE IF NOT EXISTS article_fts USING fts5("
    "title, body, parts, tokenize = 'unicode61 remove_diacritics 2')",
]
POSTGRESQL_DDL = [
    "CREATE TABLE IF NOT EXISTS article_search ("
    " article_id INTEGER NOT NULL,"
    " tsv TSVECTOR NOT NULL,"
    " CONSTRAINT pk_article_search PRIMARY KEY (article_id),"
    " CONSTRAINT fk_article_search_article_id_articles FOREIGN KEY (article_id)"
    "  REFERENCES articles (id) ON DELETE CASCADE)",
    "CREATE INDEX IF NOT EXISTS ix_article_search_tsv ON article_search USING gin (tsv)",
]


def create_search_schema(bind) -> None:
    """The search tables of ``bind``'s dialect (idempotent)."""
    ddl = POSTGRESQL_DDL if bind.dialect.name == "postgresql" else SQLITE_DDL
    for statement in ddl:
        bind.exec_driver_sql(statement)


def drop_search_schema(bind) -> None:
    table = "article_search" if bind.dialect.name == "postgresql" else "article_fts"
    bind.exec_driver_sql(f"DROP TABLE IF EXISTS {table}")


def upgrade() -> None:
    create_search_schema(op.get_bind())


def downgrade() -> None:
    drop_search_schema(op.get_bind())
