"""The store's PostgreSQL sessions run without JIT (store/db.py says why), and options
given in the database URL are kept beside it."""

import pytest
from sqlalchemy import text

from zhuanlan.store import Database


def test_postgresql_sessions_have_no_jit_and_keep_the_urls_options(database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("JIT is PostgreSQL's")
    db = Database(database_url)
    with db.read() as conn:
        assert conn.execute(text("SHOW jit")).scalar_one() == "off"
    db.dispose()
    sep = "&" if "?" in database_url else "?"
    db = Database(f"{database_url}{sep}options=-c%20statement_timeout%3D12345")
    with db.read() as conn:
        assert conn.execute(text("SHOW jit")).scalar_one() == "off"
        assert conn.execute(text("SHOW statement_timeout")).scalar_one() == "12345ms"
    db.dispose()
