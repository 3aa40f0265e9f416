"""The corpus statistics BM25 needs (document frequencies, average lengths), kept in the
store as articles arrive, so that every worker scores with the same idf and a restart
loses nothing.

One row per word with its document frequency, one row of totals. An article adds its
distinct search words (``selection.score.doc_terms``) in the transaction that stores it;
re-extraction takes the old words out and puts the new ones in. Upserts are issued in
word order so that two workers counting articles with common words take the row locks in
the same order (no deadlock on PostgreSQL).

Scoring reads back only what a column needs: the totals and the frequencies of its
terms' words, cached per process for a minute (a frequency that is a minute old changes
no ranking).
"""

from __future__ import annotations

import time
from collections.abc import Iterable

from sqlalchemy import Connection, select, update
from sqlalchemy.dialects import postgresql, sqlite

from zhuanlan.selection.score import CorpusStats, doc_terms
from zhuanlan.store.schema import articles, corpus_totals, word_df
from zhuanlan.store.upsert import insert_ignore
from zhuanlan.text.tokenize import tokenize

MAX_WORD = 64
CACHE_SECONDS = 60.0
_cache: dict[tuple, tuple[float, CorpusStats]] = {}


def count_article(conn: Connection, title: str, text: str, *, sign: int = 1) -> None:
    """Count (``sign=1``) or uncount (``-1``) one article in the statistics."""
    terms, body_len, title_len = doc_terms(title, text)
    words = sorted({w.lower()[:MAX_WORD] for w in terms if w.strip()})
    insert_ignore(conn, corpus_totals, [{"id": 1, "n_docs": 0, "body_words": 0,
                                         "title_words": 0}], ["id"])
    conn.execute(update(corpus_totals).where(corpus_totals.c.id == 1).values(
        n_docs=corpus_totals.c.n_docs + sign,
        body_words=corpus_totals.c.body_words + sign * body_len,
        title_words=corpus_totals.c.title_words + sign * title_len))
    if not words:
        return
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(word_df)
    stmt = stmt.on_conflict_do_update(index_elements=["word"],
                                      set_={"df": word_df.c.df + stmt.excluded.df})
    for i in range(0, len(words), 500):
        conn.execute(stmt, [{"word": w, "df": sign} for w in words[i:i + 500]])


def stats_for(conn: Connection, terms: Iterable[str]) -> CorpusStats:
    """The statistics restricted to the words of ``terms`` (term forms): all BM25 needs to
    score them. Cached per process for a minute."""
    forms = tuple(sorted({t.lower() for t in terms if t}))
    key = (id(conn.engine), str(conn.engine.url), forms)   # one cache, several stores
    hit = _cache.get(key)
    now = time.monotonic()
    if hit is not None and now - hit[0] < CACHE_SECONDS:
        return hit[1]
    words = set(forms)
    for form in forms:
        words.update(w.lower() for w in tokenize(form))
    words = {w[:MAX_WORD] for w in words}
    totals = conn.execute(select(corpus_totals).where(corpus_totals.c.id == 1)).first()
    df: dict[str, int] = {}
    listed = sorted(words)
    for i in range(0, len(listed), 500):
        df.update(conn.execute(select(word_df.c.word, word_df.c.df)
                               .where(word_df.c.word.in_(listed[i:i + 500]))).all())
    stats = CorpusStats.from_dict({
        "n_docs": totals.n_docs if totals else 0,
        "body_words": totals.body_words if totals else 0,
        "title_words": totals.title_words if totals else 0,
        "df": {w: n for w, n in df.items() if n > 0}})
    if len(_cache) > 1024:
        _cache.clear()
    _cache[key] = (now, stats)
    return stats


def clear_cache() -> None:
    _cache.clear()


def rebuild(conn: Connection, *, batch: int = 500) -> int:
    """Count every stored article afresh (after the tables were made, on a store that
    already had articles). Counted in memory over batches, written once: a long store is
    read once, and the statistics are those of every article counted on arrival.
    Returns how many articles were counted."""
    stats = CorpusStats()
    last = 0
    while True:
        rows = conn.execute(select(articles.c.id, articles.c.title, articles.c.text)
                            .where(articles.c.id > last).order_by(articles.c.id)
                            .limit(batch)).all()
        if not rows:
            break
        for row in rows:
            stats.add_text(row.title, row.text)
        last = rows[-1].id
    data = stats.to_dict()
    conn.execute(word_df.delete())
    conn.execute(corpus_totals.delete())
    conn.execute(corpus_totals.insert().values(id=1, n_docs=data["n_docs"],
                                               body_words=data["body_words"],
                                               title_words=data["title_words"]))
    merged: dict[str, int] = {}
    for word, df in data["df"].items():        # words cut to 64 characters may coincide
        merged[word[:MAX_WORD]] = merged.get(word[:MAX_WORD], 0) + df
    items = [{"word": w, "df": d} for w, d in sorted(merged.items())]
    for i in range(0, len(items), 1000):
        conn.execute(word_df.insert(), items[i:i + 1000])
    clear_cache()
    return data["n_docs"]
