"""Schema migrations with Alembic, run from code (no alembic.ini needed)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection

from zhuanlan.errors import ConfigError, StorageError
from zhuanlan.redact import redact_url
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
            _raw(conn).execute("PRAGMA foreign_keys=OFF")
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
                _raw(conn).execute("PRAGMA foreign_keys=ON")


def _raw(conn: Connection) -> Any:
    driver = conn.connection.driver_connection
    assert driver is not None
    return driver


def upgrade(db: Database, revision: str = "head") -> None:
    """Bring the database's schema to ``revision`` (default: the newest), then derive
    what the revisions just applied added for the articles already stored."""
    before = current_revision(db)
    cfg = alembic_config()
    with _migrating(db) as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
    catch_up(db, before, current_revision(db))


# Revisions that add tables the application fills from every article with its own code
# (segmentation, counting): after them, the articles already stored are processed here
# rather than in the migration, which may not import application code.
SEARCH_INDEX, CORPUS_STATS = "0009", "0014"


def catch_up(db: Database, before: str | None, after: str | None, *,
             batch: int = 500, progress: Callable[[int], None] | None = None) -> None:
    """Index and count the stored articles for the revisions between ``before`` and
    ``after`` that asked for it (idempotent: only what is missing is indexed)."""
    from zhuanlan.store import corpus, search

    def crossed(revision: str) -> bool:
        return (before is None or before < revision) and after is not None and after >= revision

    if crossed(SEARCH_INDEX):
        with db.write() as conn:
            search.reindex(conn, batch=batch, only_missing=True, progress=progress)
    if crossed(CORPUS_STATS):
        with db.write() as conn:
            corpus.rebuild(conn, batch=batch)


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


def check_current(db: Database) -> str:
    """The database's revision; ConfigError when it is not this release's head,
    StorageError when the database cannot be reached."""
    head = head_revision()
    try:
        current = current_revision(db)
    except Exception as exc:
        raise StorageError(f"cannot read the schema revision: {exc}",
                           resource=redact_url(db.url)) from exc
    if current == head:
        return current
    advice = ("run `zhuanlan migrate` (the zhuanlan-migrate unit) before starting web "
              "processes and workers")
    if current is None:
        problem = "has no zhuanlan schema (never migrated)"
    else:
        script = ScriptDirectory.from_config(alembic_config())
        try:
            known = script.get_revision(current) is not None
        except Exception:  # noqa: BLE001 — alembic's ResolutionError: not in this release
            known = False
        if known:
            problem = f"is at schema revision {current}, behind this release's {head}"
        else:
            problem = (f"is at schema revision {current}, which this release does not know "
                       f"(a newer release migrated it; this one expects {head})")
            advice = ("install the release that migrated it, or restore the backup taken "
                      "before that upgrade (docs/deploy.md)")
    raise ConfigError("database.url", f"{redact_url(db.url)} {problem}; {advice}")
