"""INSERT … ON CONFLICT DO NOTHING on both databases."""

from __future__ import annotations

from sqlalchemy import Connection, Table
from sqlalchemy.dialects import postgresql, sqlite


def insert_ignore(conn: Connection, table: Table, rows: list[dict],
                  conflict: list[str] | None = None) -> int:
    """Insert ``rows``, skipping those that collide with a unique key. Returns how many
    were inserted."""
    if not rows:
        return 0
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(table).on_conflict_do_nothing(index_elements=conflict)
    result = conn.execute(stmt, rows)
    return max(result.rowcount, 0)
