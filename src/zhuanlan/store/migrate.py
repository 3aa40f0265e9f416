"""Schema migrations with Alembic, run from code (no alembic.ini needed)."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from sqlalchemy import Connection

from zhuanlan.errors import StorageError
from zhuanlan.store.db import Database

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config() -> AlembicConfig:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


@contextmanager
def _migrating(db: Database) -> Iterator[Connection]:
    """A connection for Alembic. On SQLite, foreign keys are off while it runs: a batch
    migration rebuilds a table by copying it and dropping the old one, and with foreign
    keys on, that DROP would cascade to every row referring to it (an upgrade that
    rebuilds ``articles`` would delete the candidates). They are checked afterwards."""
    with db.engine.connect() as conn:
        sqlite = conn.dialect.name == "sqlite"
        if sqlite:
            # Outside any transaction (the pragma is a no-op inside one): on the raw
            # connection, before SQLAlchemy begins.
            conn.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")
        try:
            yield conn
            if sqlite:
                broken = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    conn.rollback()
                    raise StorageError(f"migration left {len(broken)} dangling references "
                                       f"(first: {broken[0]})", resource="migration")
            conn.commit()
        finally:
            if sqlite:
                conn.rollback()
                conn.connection.driver_connection.execute("PRAGMA foreign_keys=ON")


def upgrade(db: Database, revision: str = "head") -> None:
    """Bring the database's schema to ``revision`` (default: the newest)."""
    cfg = alembic_config()
    with _migrating(db) as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def downgrade(db: Database, revision: str) -> None:
    cfg = alembic_config()
    with _migrating(db) as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)


def current_revision(db: Database) -> str | None:
    with db.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head
