from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from zhuanlan.store import Database, migrate
from zhuanlan.store.claims import claim, release_values, still_held
from zhuanlan.store.schema import sources

T0 = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)


def _db_with_sources(database_url, n):
    db = Database(database_url)
    migrate.upgrade(db)
    with db.write() as conn:
        conn.execute(sources.insert(), [
            {"name": f"s{i}", "kind": "feed", "url": f"http://example.com/{i}.xml",
             "authority": 50, "enabled": True, "poll_minutes": 30, "next_poll_at": T0,
             "consecutive_failures": 0, "created_at": T0} for i in range(n)])
    return db


def _claim(db, worker, now, limit=3, lease=60):
    with db.write() as conn:
        return [r.id for r in claim(conn, sources, sources.c.next_poll_at <= now,
                                    order_by=[sources.c.id], limit=limit, worker=worker,
                                    lease_seconds=lease, now=now)]


def test_two_workers_claim_disjoint_rows(database_url):
    db = _db_with_sources(database_url, 5)
    a = _claim(db, "a", T0)
    b = _claim(db, "b", T0)
    assert len(a) == 3 and len(b) == 2
    assert not set(a) & set(b)
    assert _claim(db, "c", T0) == []
    db.dispose()


def test_expired_lease_is_claimed_again(database_url):
    db = _db_with_sources(database_url, 2)
    first = _claim(db, "dead", T0, lease=30)
    assert _claim(db, "alive", T0 + timedelta(seconds=10)) == []
    assert sorted(_claim(db, "alive", T0 + timedelta(seconds=31))) == sorted(first)
    db.dispose()


def test_outcome_of_a_worker_whose_lease_was_taken_is_not_recorded(database_url):
    db = _db_with_sources(database_url, 1)
    [row] = _claim(db, "slow", T0, lease=5)
    assert _claim(db, "fast", T0 + timedelta(seconds=6)) == [row]
    with db.write() as conn:
        done = conn.execute(update(sources).where(still_held(sources, row, "slow"))
                            .values(last_error="late", **release_values()))
        assert done.rowcount == 0
        assert conn.execute(select(sources.c.claimed_by)).scalar() == "fast"
    db.dispose()
