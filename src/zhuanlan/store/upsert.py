"""INSERT … ON CONFLICT DO NOTHING on both databases."""

from __future__ import annotations

from sqlalchemy import Connection, Select, Table
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


def upsert(conn: Connection, table: Table, names: list[str], rows: Select,
           conflict: list[str]) -> None:
    """INSERT the ``rows`` a query selects into the columns ``names``; a row that collides
    with the key ``conflict`` updates the other columns instead."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(table).from_select(names, rows)
    conn.execute(stmt.on_conflict_do_update(
        index_elements=conflict,
        set_={n: stmt.excluded[n] for n in names if n not in conflict}))
