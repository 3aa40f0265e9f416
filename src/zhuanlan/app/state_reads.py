"""The readers' ``/read/state`` reads of one moment on PostgreSQL, made as one statement.

Measured at the 9:00 burst (bench/reader.py --pg): with a statement per request the
state waited 130–150 ms at p50 while every other request of the mix took 15–19 — not
for PostgreSQL but for a connection: each read held one of the event loop's pooled
connections until the busy loop came back to it (a turn of 20–30 ms), so 16 of them
served ~600 states a second per process. Here a state asks for its reader's rows and
waits; the reads waiting when the loop gets to it go out together in one statement
(``readings.READING_TIMES_OF_PAIRS``, sent from that callback by ``Database.loop_reads``),
and each waiter's rows are handed to it from the callback that reads the answer."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from functools import partial

from zhuanlan.errors import StorageError
from zhuanlan.store import Database, readings

_Waiting = list[tuple[str, list[int], asyncio.Future]]


class StateReads:
    """Batches of ``reading_times`` for the event loop it is first used on."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._waiting: _Waiting = []
        self._loop: asyncio.AbstractEventLoop | None = None

    async def rows(self, reader_key: str, article_ids: list[int]) -> list[readings.Times]:
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
        if not batch:
            return
        pairs = sorted({(reader, a) for reader, ids, _ in batch for a in ids})
        self.db.loop_reads().submit(readings.READING_TIMES_OF_PAIRS,
                                    ([r for r, _ in pairs], [a for _, a in pairs]),
                                    partial(self._answer, batch))

    @staticmethod
    def _answer(batch: _Waiting, outcome: list[tuple] | StorageError) -> None:
        mine: dict[str, list] = defaultdict(list)
        try:
            if isinstance(outcome, StorageError):
                raise outcome
            for reader, times in readings.reader_times(outcome):
                mine[reader].append(times)
        except Exception as exc:  # noqa: BLE001 — whatever it is, each waiter gets it
            for _, _, answer in batch:
                if not answer.done():          # cancelled: its request has gone
                    answer.set_exception(exc)
            return
        for reader, ids, answer in batch:
            if not answer.done():
                wanted = set(ids)
                answer.set_result([r for r in mine.get(reader, ()) if r.article_id in wanted])
