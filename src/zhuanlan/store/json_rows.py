"""Many rows in one statement: the rows travel as one JSON array parameter (``:rows``)
and the statement reads them as a table (SQLite ``json_each``, PostgreSQL
``jsonb_array_elements``).

Measured at the 9:00 burst (bench/reader.py, py-spy): an executemany of the record
buffer cost ~250 µs a row on SQLite — Python's sqlite3 lets go of the GIL for every row
and the flusher thread then waits behind the busy event loop to take it back — and on
PostgreSQL a round of the pipeline per row; 我已学习, which waits for a flush, waited
seconds. One statement is one wait and one round trip, whatever the number of rows."""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import Dialect

from zhuanlan.store.types import UTCDateTime

# The SQL types the fields are read as on PostgreSQL (SQLite takes JSON's own).
_PG_TYPES = {"text": "text", "int": "integer", "time": "timestamp", "bool": "boolean"}


class JsonRows:
    """The SQL fragments of one dialect for rows given as JSON arrays."""

    def __init__(self, dialect_name: str):
        self.pg = dialect_name == "postgresql"

    @property
    def source(self) -> str:
        """The rows of the ``:rows`` parameter as a table named ``j``."""
        if self.pg:
            return "jsonb_array_elements(CAST(:rows AS jsonb)) AS j(value)"
        return "json_each(:rows) AS j"

    def field(self, n: int, kind: str) -> str:
        """Field ``n`` of a row, read as ``kind`` (text, int, time, bool)."""
        if self.pg:
            return f"CAST(j.value->>{n} AS {_PG_TYPES[kind]})"
        return f"json_extract(j.value, '$[{n}]')"

    def greatest(self, a: str, b: str) -> str:
        return f"greatest({a}, {b})" if self.pg else f"max({a}, {b})"


def rows_param(dialect: Dialect, rows: list[list]) -> dict[str, str]:
    """The ``:rows`` parameter. Times are written as the store's time type writes them
    (naive UTC; on SQLite its text form, so that stored times compare as text)."""
    stamp = UTCDateTime().dialect_impl(dialect).bind_processor(dialect)

    def plain(value):
        if not isinstance(value, datetime):
            return value
        stored = stamp(value) if stamp is not None else value
        return stored if isinstance(stored, str) else str(stored)

    return {"rows": json.dumps([[plain(v) for v in row] for row in rows], ensure_ascii=False)}
