"""BM25 corpus statistics in the store: word_df and corpus_totals, counted from the
articles already stored

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-24
"""
from alembic import op
import sqlalchemy as sa

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
    _backfill(op.get_bind())


def _backfill(conn) -> None:  # noqa: ANN001
    # Counted in memory over batches, written once: a long store is read once, and the
    # statistics are the same as if every article had been counted on arrival.
    from zhuanlan.selection.score import CorpusStats

    stats = CorpusStats()
    last = 0
    while True:
        rows = conn.execute(sa.text(
            "SELECT id, title, text FROM articles WHERE id > :last ORDER BY id LIMIT 500"),
            {"last": last}).all()
        if not rows:
            break
        for row in rows:
            stats.add_text(row.title, row.text)
        last = rows[-1].id
    data = stats.to_dict()
    conn.execute(sa.text("INSERT INTO corpus_totals (id, n_docs, body_words, title_words) "
                         "VALUES (1, :n, :b, :t)"),
                 {"n": data["n_docs"], "b": data["body_words"], "t": data["title_words"]})
    words = [{"w": w[:64], "d": d} for w, d in data["df"].items()]
    merged: dict[str, int] = {}
    for item in words:             # words cut to 64 characters may coincide
        merged[item["w"]] = merged.get(item["w"], 0) + item["d"]
    items = [{"w": w, "d": d} for w, d in sorted(merged.items())]
    for i in range(0, len(items), 1000):
        conn.execute(sa.text("INSERT INTO word_df (word, df) VALUES (:w, :d)"),
                     items[i:i + 1000])


def downgrade() -> None:
    op.drop_table('corpus_totals')
    op.drop_table('word_df')
