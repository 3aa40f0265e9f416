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
from typing import Iterable

from sqlalchemy import Connection, select, update
from sqlalchemy.dialects import postgresql, sqlite

from zhuanlan.selection.score import CorpusStats, doc_terms
from zhuanlan.store.schema import corpus_totals, word_df
from zhuanlan.store.upsert import insert_ignore
from zhuanlan.text.tokenize import tokenize

MAX_WORD = 64
CACHE_SECONDS = 60.0
_cache: dict[tuple, tuple[float, CorpusStats]] = {}


def count_article(conn: Connection, title: str, text: str, *, sign: int = 1) -> None:
    """Count (``sign=1``) or uncount (``-1``) one article in the statistics."""
    words, body_len, title_len = doc_terms(title, text)
    words = sorted({w.lower()[:MAX_WORD] for w in words if w.strip()})
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
