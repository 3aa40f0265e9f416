"""Many rows in one statement: the rows travel as one JSON array parameter and the
statement reads them as a table (SQLite ``json_each``, PostgreSQL
``jsonb_array_elements``).

Measured at the 9:00 burst (bench/reader.py, py-spy): an executemany of the record
buffer cost ~250 µs a row on SQLite — Python's sqlite3 lets go of the GIL for every row
and the flusher thread then waits behind the busy event loop to take it back — and on
PostgreSQL a round of the pipeline per row; 我已学习, which waits for a flush, waited
seconds. One statement is one wait and one round trip, whatever the number of rows."""

from __future__ import annotations

import json
from datetime import UTC, datetime

# The SQL types the fields are read as on PostgreSQL (SQLite takes JSON's own).
_PG_TYPES = {"text": "text", "int": "integer", "time": "timestamp", "bool": "boolean"}


class JsonRows:
    """The SQL fragments of one dialect for rows given as JSON arrays."""

    def __init__(self, dialect_name: str):
        self.pg = dialect_name == "postgresql"

    @property
    def source(self) -> str:
        """The rows as a table named ``j`` (one placeholder)."""
        if self.pg:
            return "jsonb_array_elements(CAST(%s AS jsonb)) AS j(value)"
        return "json_each(?) AS j"

    def field(self, n: int, kind: str) -> str:
        """Field ``n`` of a row, read as ``kind`` (text, int, time, bool)."""
        if self.pg:
            return f"CAST(j.value->>{n} AS {_PG_TYPES[kind]})"
        return f"json_extract(j.value, '$[{n}]')"

    def greatest(self, a: str, b: str) -> str:
        return f"greatest({a}, {b})" if self.pg else f"max({a}, {b})"

    def param(self, rows: list[list]) -> tuple[str]:
        """The parameter tuple of a statement with one ``source``; times are stored as
        the store keeps them: naive UTC, in the form SQLite's DateTime type writes."""
        return (json.dumps([[_plain(v) for v in row] for row in rows], ensure_ascii=False),)


def _plain(value):
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; use aware datetimes")
        naive = value.astimezone(UTC).replace(tzinfo=None)
        # SQLAlchemy's SQLite DateTime form, so that stored times compare as text.
        return naive.strftime("%Y-%m-%d %H:%M:%S.%f")
    return value
