"""BM25's corpus statistics kept in the store: counted as articles arrive, read back
per column, used when proposing (rare terms weigh more than common ones)."""

from __future__ import annotations

from zhuanlan.selection.score import CorpusStats
from zhuanlan.store.corpus import clear_cache, count_article, stats_for


def test_counts_match_the_in_memory_statistics(make_zl):
    zl = make_zl()
    texts = [("学习二十大精神", "深入学习贯彻党的二十大精神，推进中国式现代化。"),
             ("经济运行", "经济运行总体平稳，中国式现代化稳步推进。"),
             ("乡村振兴", "全面推进乡村振兴。")] * 8
    memory = CorpusStats()
    with zl.db.write() as conn:
        for title, text in texts:
            count_article(conn, title, text)
            memory.add_text(title, text)
    clear_cache()
    with zl.db.read() as conn:
        stored = stats_for(conn, ["中国式现代化", "乡村振兴", "二十大"])
    assert stored.n_docs == memory.n_docs == 24
    assert stored.avg_len == memory.avg_len
    for term in ("中国式现代化", "乡村振兴", "二十大"):
        assert stored.df(term) == memory.df(term) > 0
        assert stored.idf(term) == memory.idf(term)
    assert stored.idf("乡村振兴") > stored.idf("中国式现代化")   # rarer weighs more
    with zl.db.write() as conn:
        for title, text in texts[:3]:
            count_article(conn, title, text, sign=-1)
    clear_cache()
    with zl.db.read() as conn:
        assert stats_for(conn, ["乡村振兴"]).n_docs == 21


def test_the_migration_counts_the_articles_already_stored(database_url):
    from datetime import datetime

    from sqlalchemy import text

    from zhuanlan.store import Database, migrate

    db = Database(database_url)
    migrate.upgrade(db, "0013")
    with db.write() as conn:
        for i in range(25):
            conn.execute(text(
                "INSERT INTO articles (url, canonical_url, content_hash, title, text, "
                "title_orig, text_orig, flags, created_at) VALUES (:u, :u, :h, :t, :x, :t, :x, "
                "'', :n)"), {"u": f"http://x/{i}", "h": f"h{i}", "t": f"乡村振兴第{i}篇",
                             "x": "全面推进乡村振兴。" if i % 5 == 0 else "学习。",
                             "n": datetime(2026, 1, 1)})
    migrate.upgrade(db)
    clear_cache()
    with db.read() as conn:
        stats = stats_for(conn, ["乡村振兴", "全面"])
    assert stats.n_docs == 25
    assert stats.df("乡村振兴") == 25 and stats.df("全面") == 5
    assert stats.idf("全面") > stats.idf("乡村振兴")
    db.dispose()

