"""``Database.glance``: a read whose statements each stand alone. On PostgreSQL they run
outside a transaction (no BEGIN/COMMIT round trips for /read/state); the pooled
connection goes back to transactions for the next ``read()``; SQLite's is ``read()``."""

from zhuanlan.store import Database

_XID = "SELECT pg_current_xact_id()::text"


def test_a_glance_runs_outside_a_transaction_and_leaves_none_behind(database_url):
    db = Database(database_url)
    try:
        if db.dialect != "postgresql":
            with db.glance() as conn:
                assert conn.in_transaction()         # SQLite: a read as any other
                assert conn.exec_driver_sql("SELECT 1").scalar() == 1
            return
        for _ in range(3):            # the same pooled connection, in turn
            with db.read() as conn:   # one transaction: one id for both statements
                assert conn.exec_driver_sql(_XID).scalar() == conn.exec_driver_sql(_XID).scalar()
            with db.glance() as conn:  # a transaction of its own for each
                assert conn.exec_driver_sql(_XID).scalar() != conn.exec_driver_sql(_XID).scalar()
    finally:
        db.dispose()
