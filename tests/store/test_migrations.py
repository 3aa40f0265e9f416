from sqlalchemy import inspect

from zhuanlan.store import Database, migrate
from zhuanlan.store.schema import metadata


def test_upgrade_empty_database_to_head_creates_every_table(database_url):
    db = Database(database_url)
    assert migrate.current_revision(db) is None
    migrate.upgrade(db)
    assert migrate.current_revision(db) == migrate.head_revision()
    tables = set(inspect(db.engine).get_table_names())
    assert set(metadata.tables) <= tables
    db.dispose()


def test_downgrade_to_base_and_upgrade_again(database_url):
    db = Database(database_url)
    migrate.upgrade(db)
    migrate.downgrade(db, "base")
    assert migrate.current_revision(db) is None
    assert not set(metadata.tables) & set(inspect(db.engine).get_table_names())
    migrate.upgrade(db)
    assert migrate.current_revision(db) == migrate.head_revision()
    db.dispose()


def test_schema_after_migrations_matches_the_declared_tables(database_url):
    """The migrations and schema.py must not drift apart: autogenerate finds nothing."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    db = Database(database_url)
    migrate.upgrade(db)
    with db.engine.connect() as conn:
        # The search index (migration 0009) is not in schema.py; env.py leaves it out too.
        from zhuanlan.store.search import include_object
        diff = compare_metadata(
            MigrationContext.configure(conn, opts={"include_object": include_object}), metadata)
    assert diff == []
    db.dispose()


def test_upgrade_from_the_previous_revision_keeps_the_data(database_url):
    from datetime import datetime

    from sqlalchemy import text

    db = Database(database_url)
    migrate.upgrade(db, "0001")
    with db.write() as conn:
        conn.execute(text(
            "INSERT INTO sources (name, kind, url, authority, enabled, poll_minutes, "
            "consecutive_failures, created_at) VALUES ('人民网', 'feed', 'http://x/rss.xml', 90, "
            ":t, 30, 0, :now)"), {"t": True, "now": datetime(2026, 1, 1)})
    migrate.upgrade(db)
    with db.read() as conn:
        row = conn.execute(text("SELECT name, poll_min_minutes, poll_max_minutes, recent_counts "
                                "FROM sources")).one()
    assert tuple(row) == ("人民网", 5, 1440, "")
    db.dispose()


def test_rebuilding_a_table_on_sqlite_keeps_the_rows_that_refer_to_it(database_url):
    """0004 rebuilds ``articles`` (batch mode on SQLite). With foreign keys on during the
    migration, dropping the old table would cascade to the candidates and issue items."""
    from datetime import datetime

    from sqlalchemy import text

    db = Database(database_url)
    migrate.upgrade(db, "0003")
    now = datetime(2026, 1, 1)
    with db.write() as conn:
        conn.execute(text(
            "INSERT INTO articles (id, url, canonical_url, content_hash, title, text, title_orig, "
            "text_orig, flags, created_at) VALUES (1, 'u', 'u', 'h', 't', 'x', 't', 'x', '', :n)"),
            {"n": now})
        conn.execute(text(
            "INSERT INTO columns (id, slug, name, description, editor_note, include_terms, "
            "exclude_terms, schedule, timezone, title_terms, min_length, auto_approve, "
            "created_at) VALUES (1, 'c', 'c', '', '', 'x', '', '0 9 * * 1', 'Asia/Shanghai', "
            "'', 0, :f, :n)"), {"n": now, "f": False})
        conn.execute(text(
            "INSERT INTO candidates (column_id, article_id, state, score, terms, created_at) "
            "VALUES (1, 1, 'approved', 1.0, '', :n)"), {"n": now})
    migrate.upgrade(db)
    with db.read() as conn:
        assert conn.execute(text("SELECT count(*) FROM candidates")).scalar() == 1
        assert conn.execute(text("SELECT count(*) FROM articles")).scalar() == 1
    db.dispose()
