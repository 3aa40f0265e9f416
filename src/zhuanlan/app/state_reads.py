"""The readers' ``/read/state`` reads of one moment on PostgreSQL, made as one statement.

Measured at the 9:00 burst (bench/reader.py --pg): with a statement per request the
state waited 130–150 ms at p50 while every other request of the mix took 15–19 — not
for PostgreSQL but for a connection: each read held one of the event loop's pooled
connections until the busy loop came back to it (a turn of 20–30 ms), so 16 of them
served ~600 states a second per process. Here a state asks for its reader's rows and
waits; the reads waiting when the loop gets to it go out together in one statement
(``readings.reading_times_of_many``) on one connection, and the rows are handed to each.
Several such statements may be in flight at once (up to the pool's size)."""

from __future__ import annotations

import asyncio
from collections import defaultdict

from zhuanlan.store import Database, readings


class StateReads:
    """Batches of ``reading_times`` for the event loop it is first used on."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._waiting: list[tuple[str, list[int], asyncio.Future]] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._reading: set[asyncio.Task] = set()
        self.statements = 0                  # how many were made (tests, diagnostics)

    async def rows(self, reader_key: str, article_ids: list[int]) -> list:
        """The reader's records of these articles (as ``readings.reading_times``).
        Raises what the read raised (StorageError: the database cannot answer)."""
        loop = asyncio.get_running_loop()
        if self._loop is not loop:             # tests run several loops, one at a time
            self._loop, self._waiting = loop, []
        answer = loop.create_future()
        if not self._waiting:
            loop.call_soon(self._go)
        self._waiting.append((reader_key, article_ids, answer))
        return await answer

    def _go(self) -> None:
        batch, self._waiting = self._waiting, []
        if batch:
            task = asyncio.get_running_loop().create_task(self._read(batch))
            self._reading.add(task)          # held: the loop keeps only a weak reference
            task.add_done_callback(self._reading.discard)

    async def _read(self, batch: list[tuple[str, list[int], asyncio.Future]]) -> None:
        readers = sorted({reader for reader, _, _ in batch})
        articles = sorted({a for _, ids, _ in batch for a in ids})
        try:
            self.statements += 1
            async with self.db.aglance() as conn:
                rows = await readings.reading_times_of_many(conn, readers, articles)
        except Exception as exc:  # noqa: BLE001 — whatever it is, each waiter gets it
            for _, _, answer in batch:
                if not answer.done():
                    answer.set_exception(exc)
            return
        except BaseException:                 # cancelled (the loop ends): none left waiting
            for _, _, answer in batch:
                answer.cancel()
            raise
        mine: dict[str, list] = defaultdict(list)
        for row in rows:
            mine[row.reader].append(row)
        for reader, ids, answer in batch:
            if not answer.done():
                wanted = set(ids)
                answer.set_result([r for r in mine.get(reader, ()) if r.article_id in wanted])
