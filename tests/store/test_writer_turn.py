"""SQLite writers of our processes take turns on a lock file before ``BEGIN IMMEDIATE``
(store.db._WriterTurn): one at a time across processes — a forked child included — and
across threads, re-entrant within a thread, and a writer that waits too long gets a
clear error instead of hanging."""

from __future__ import annotations

import multiprocessing
import threading
import time

import pytest
from sqlalchemy import text

from zhuanlan.errors import StorageError
from zhuanlan.store import db as store_db
from zhuanlan.store.db import Database


def _hold(path: str, held, release) -> None:
    turn = store_db._WriterTurn(store_db.Path(path))
    with turn():
        held.set()
        release.wait(10)


def test_one_writer_at_a_time_across_processes_and_a_clear_error_after_the_wait(
        tmp_path, monkeypatch):
    database = Database(f"sqlite:///{tmp_path / 'z.db'}")
    ctx = multiprocessing.get_context("spawn")
    held, release = ctx.Event(), ctx.Event()
    other = ctx.Process(target=_hold, args=(str(tmp_path / "z.db"), held, release))
    other.start()
    try:
        assert held.wait(20)
        monkeypatch.setattr(store_db, "WRITER_WAIT_SECONDS", 0.3)
        with pytest.raises(StorageError, match="locked"):
            with database.write():
                pass
        monkeypatch.setattr(store_db, "WRITER_WAIT_SECONDS", 30.0)
        order = []
        threading.Timer(0.3, lambda: (order.append("released"), release.set())).start()
        with database.write() as conn:
            order.append("written")
            conn.execute(text("CREATE TABLE t (x INTEGER)"))
        assert order == ["released", "written"]
    finally:
        release.set()
        other.join(10)
        database.dispose()


def _try_in_child(turn, result) -> None:
    try:
        with turn():
            result.put("got it")
    except StorageError:
        result.put("waited")


def test_a_forked_child_does_not_share_its_parents_turn(tmp_path, monkeypatch):
    if "fork" not in multiprocessing.get_all_start_methods():
        pytest.skip("no fork here")
    monkeypatch.setattr(store_db, "WRITER_WAIT_SECONDS", 0.3)
    turn = store_db._WriterTurn(tmp_path / "z.db")
    ctx = multiprocessing.get_context("fork")
    result = ctx.Queue()
    with turn():          # the parent's open file is inherited by the child …
        child = ctx.Process(target=_try_in_child, args=(turn, result))
        child.start()
        # … which opens its own and so waits for the parent like any other process.
        assert result.get(timeout=20) == "waited"
        child.join(10)
    child = ctx.Process(target=_try_in_child, args=(turn, result))
    child.start()
    assert result.get(timeout=20) == "got it"
    child.join(10)


def test_threads_take_turns_and_a_thread_may_nest(tmp_path):
    turn = store_db._WriterTurn(tmp_path / "z.db")
    inside, overlaps = [0], []

    def work() -> None:
        for _ in range(50):
            with turn():
                with turn():                       # nested: no deadlock
                    inside[0] += 1
                    overlaps.append(inside[0])
                    time.sleep(0.0001)
                    inside[0] -= 1

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(overlaps) == 200 and set(overlaps) == {1}
