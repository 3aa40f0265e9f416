"""Shared fixtures. Every test that touches the database runs on SQLite and on
PostgreSQL (127.0.0.1:5432, database ``test``), each test in a schema of its own."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

pytest_plugins = ["tests.support.fixtures", "tests.support.search_seed"]

PG_URL = os.environ.get("ZHUANLAN_TEST_PG_URL",
                        f"postgresql+psycopg://{os.environ.get('USER') or 'root'}@127.0.0.1:5432/test")
FIXTURES = Path(__file__).parent / "fixtures"


def _pg_schema_url(schema: str) -> str:
    # The search_path travels in the URL, so a worker subprocess lands in the same schema.
    return f"{PG_URL}?options=-csearch_path%3D{schema}"


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'zhuanlan.db'}"
        return
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield _pg_schema_url(schema)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def make_config(tmp_path: Path, database_url: str, **overrides):
    from zhuanlan.config import load_config

    base = {
        "data_dir": str(tmp_path / "data"),
        "database.url": database_url,
        "sample.enabled": False,
        "presets.enabled": False,
        "fetch.allow_private": ["127.0.0.1"],
        "fetch.timeout": 10.0,
        # Politeness pauses and retry back-off would only slow the local tests; the
        # tests of politeness set their own values.
        "fetch.per_host_delay": 0.0,
        "fetch.backoff_base": 0.05,
        "fetch.retries": 1,
        "worker.idle_seconds": 0.2,
        # Extraction inline: a process pool's start-up would dominate these small tests.
        "worker.processes": 1,
    }
    base.update({k.replace("__", "."): v for k, v in overrides.items()})
    return load_config(path=None, environ={}, **base)


@pytest.fixture
def make_zl(tmp_path: Path, database_url: str):
    """Factory of migrated facades on the test database; closed at the end."""
    from zhuanlan.core import Zhuanlan

    made = []

    def factory(clock=None, **overrides):
        kwargs = {"clock": clock} if clock is not None else {}
        zl = Zhuanlan(make_config(tmp_path, database_url, **overrides), **kwargs)
        zl.migrate()
        made.append(zl)
        return zl

    yield factory
    for zl in made:
        zl.close()


@pytest.fixture
def zl(make_zl):
    return make_zl()
