"""Migration 0009: the search tables per dialect, the articles already stored indexed
after the upgrade (``store.migrate.catch_up``), downgrade, and autogenerate leaving the
search tables alone."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import inspect, text

from tests.support.search_seed import Seed, corpus_article
from zhuanlan.store import Database, migrate, search


def _insert_raw(db, n: int) -> None:
    # Plain SQL as at revision 0008: the application's tables may have moved on since.
    title, body = corpus_article("newspaper4k_zh:chinese_article_002")
    with db.write() as conn:
        for i in range(n):
            conn.execute(text(
                "INSERT INTO articles (url, canonical_url, content_hash, title, text, title_orig,"
                " text_orig, flags, created_at) VALUES (:u, :u, :h, :t, :b, :t, :b, '', :now)"),
                {"u": f"http://example.cn/{i}", "h": f"h{i}",
                 "t": f"{title}（{i}）" if i % 2 == 0 else f"党建（{i}）",
                 "b": body if i % 2 == 0 else "全面从严治党永远在路上。", "now": datetime(2026, 1, 1)})


def test_upgrade_backfills_existing_articles_in_batches(database_url, monkeypatch):
    db = Database(database_url)
    migrate.upgrade(db, "0008")
    _insert_raw(db, 7)
    batches = []
    real = search.reindex

    def spy(conn, **kw):
        kw.update(batch=3, progress=batches.append)
        return real(conn, **kw)

    monkeypatch.setattr(search, "reindex", spy)
    migrate.upgrade(db, "0009")
    assert batches == [3, 6, 7]
    seed = Seed(db)
    assert seed.search("短缺药品").total == 4
    assert seed.search("全面从严治党").total == 3
    assert seed.search("全面从严治党", staff=False).total == 0   # none published yet
    db.dispose()


def test_downgrade_drops_the_search_tables_and_upgrade_makes_them_again(database_url):
    db = Database(database_url)
    migrate.upgrade(db, "0009")
    _insert_raw(db, 2)
    with db.read() as conn:
        assert search.search_schema_present(conn)
    migrate.downgrade(db, "0008")
    with db.read() as conn:
        assert not search.search_schema_present(conn)
    assert not [t for t in inspect(db.engine).get_table_names() if search.is_search_object(t, "table")]
    migrate.upgrade(db, "0009")
    assert Seed(db).search("短缺药品").total == 1
    db.dispose()


def test_autogenerate_with_the_filter_ignores_the_search_tables(database_url):
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from zhuanlan.store.schema import metadata

    db = Database(database_url)
    migrate.upgrade(db, "0009")
    with db.engine.connect() as conn:
        unfiltered = compare_metadata(MigrationContext.configure(conn), metadata)
        filtered = compare_metadata(
            MigrationContext.configure(conn, opts={"include_object": search.include_object}),
            metadata)

    def names(diff) -> set[str]:
        return {getattr(d[1], "name", "") for d in diff if isinstance(d, tuple)}

    assert {n for n in names(unfiltered) if search.is_search_object(n, "table")}
    assert not {n for n in names(filtered) if search.is_search_object(n, "table")}
    db.dispose()
