"""While a web process runs, its commits do not checkpoint SQLite's WAL (a reader's
我已学习 waited for the checkpoint of the commit it shared); a thread of its own does
(store.wal_checkpoints). The WAL file shows which: a checkpoint that copied every frame
lets the next write start the file again from its beginning, so with commits that do
not checkpoint the file grows write after write, and with the thread it stays about one
interval's writes long."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import httpx
from sqlalchemy import text

from tests.support.smtp import free_port
from tests.support.web import WebServer
from zhuanlan.store.db import Database

PAGES = 1_500          # a write of more than SQLite's 1,000-page checkpoint threshold


def _write(db: Database) -> None:
    with db.write() as conn:
        conn.execute(text("CREATE TABLE IF NOT EXISTS filler (b BLOB)"))
        conn.execute(text(f"INSERT INTO filler SELECT randomblob(3500) FROM "
                          f"(WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 "
                          f"FROM n WHERE i < {PAGES}) SELECT i FROM n)"))


def _wal_pages(db: Database) -> float:
    wal = Path(f"{db.engine.url.database}-wal")
    return (wal.stat().st_size if wal.exists() else 0) / 4096


def _autocheckpoint(db: Database) -> int:
    with db.read() as conn:
        return conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar()


def test_commits_leave_the_checkpoints_to_the_thread(database_url):
    db = Database(database_url)
    try:
        db.checkpoints.interval = 3600            # no checkpoint but the ones asked here
        db.checkpoints.start()
        if db.dialect != "sqlite":
            assert not db.checkpoints.running    # PostgreSQL checkpoints by itself
            with db.write() as conn:
                assert conn.execute(text("SELECT 1")).scalar() == 1
            return
        assert db.checkpoints.running and _autocheckpoint(db) == 0
        _write(db)
        _write(db)
        # Neither commit checkpointed: the second write went on after the first.
        assert _wal_pages(db) > 2 * PAGES
        busy, frames, done = db.checkpoints.checkpoint()
        assert (busy, done) == (0, frames) and frames > 2 * PAGES
        grown = _wal_pages(db)
        _write(db)
        assert _wal_pages(db) <= grown           # started again from its beginning
        db.checkpoints.stop()
        # The rest of the program's connections checkpoint as SQLite does by default.
        assert not db.checkpoints.running and _autocheckpoint(db) == 1000
    finally:
        db.dispose()


def test_the_thread_keeps_the_wal_short_while_writers_go_on(tmp_path):
    """Writers that never pause: a checkpoint beside them never copies the last frames,
    and the WAL would only grow (800 MB in a minute of the burst); the last step, with
    our writers held off, lets it start over."""
    db = Database(f"sqlite:///{tmp_path / 'z.db'}")
    stop = threading.Event()
    written = []

    def writer() -> None:
        while not stop.is_set():
            with db.write() as conn:
                conn.execute(text("INSERT INTO filler SELECT randomblob(3500) FROM "
                                  "(SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3)"))
            written.append(3)

    try:
        _write(db)
        db.checkpoints.interval = 0.05
        db.checkpoints.start()
        threads = [threading.Thread(target=writer) for _ in range(2)]
        for t in threads:
            t.start()
        time.sleep(1)
        before, pages = _wal_pages(db), sum(written)
        time.sleep(3)
        stop.set()
        for t in threads:
            t.join(10)
        pages = sum(written) - pages
        assert pages > 2 * PAGES
        # Without the held step it grows by more than they wrote (each row is a page
        # and more); with it, by a checkpoint's worth now and then (a slow sync).
        assert _wal_pages(db) - before < pages / 4
    finally:
        stop.set()
        db.dispose()


def test_a_web_process_checkpoints_in_its_thread_while_it_runs(make_zl):
    from zhuanlan.web.app import create_app

    zl = make_zl()
    sqlite = zl.db.dialect == "sqlite"
    port = free_port()
    with WebServer(create_app(zl), port):
        assert httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200
        assert zl.db.checkpoints.running == sqlite
        if sqlite:
            assert _autocheckpoint(zl.db) == 0
    assert not zl.db.checkpoints.running
    if sqlite:
        assert _autocheckpoint(zl.db) == 1000


def test_a_stopped_web_process_leaves_no_wal_behind(make_zl):
    """A connection in use while the web process starts (the worker's, in ``zhuanlan
    run``) goes back to the pool like any other: when the program closes the store,
    every connection is closed and SQLite removes its WAL file."""
    from zhuanlan.web.app import create_app

    zl = make_zl()
    if zl.db.dialect != "sqlite":
        return                            # no WAL file of ours on PostgreSQL
    port = free_port()
    with zl.db.read() as held:
        with WebServer(create_app(zl), port):
            assert httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200
            held.execute(text("SELECT count(*) FROM readings")).scalar()
            _write(zl.db)
    wal = Path(f"{zl.db.engine.url.database}-wal")
    assert wal.exists()                   # written while it ran …
    zl.close()
    assert not wal.exists()               # … and gone once the store is closed
