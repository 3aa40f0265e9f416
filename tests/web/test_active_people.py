"""Whether a reader's cookie still names an active person is answered from the set of
all active ids that every web process reloads in the background (web.active_people),
not by a store read per reader; a person added since is asked of the store once; a
person deactivated is refused once the answer is older than a minute."""

from __future__ import annotations

import time

import httpx
from sqlalchemy import event, update

from tests.support.smtp import free_port
from tests.support.study_seed import organisation, publish
from tests.support.web import WebServer
from zhuanlan.links import READER
from zhuanlan.store.schema import subscribers
from zhuanlan.web import active_people
from zhuanlan.web.active_people import ActivePeople


def _deactivate(zl, sid: int) -> None:
    with zl.db.write() as conn:
        conn.execute(update(subscribers).where(subscribers.c.id == sid).values(active=False))


def test_the_set_answers_and_the_store_is_asked_for_the_rest(make_zl, monkeypatch):
    zl = make_zl()
    a, b = (zl.add_subscriber(f"{n}@example.com", n) for n in ("a", "b"))
    asked: list[int] = []

    def one(sid: int) -> bool:
        asked.append(sid)
        return zl.subscriber_active(sid)

    people = ActivePeople(zl.people.active_subscriber_ids, one)
    assert people.known(a) is None                  # nothing read yet
    people.reload()
    assert people.known(a) is True and people.known(b) is True and asked == []
    c = zl.add_subscriber("c@example.com", "c")     # after the set was read
    assert people.known(c) is None
    assert people.check(c) is True and people.check(c) is True and asked == [c]
    _deactivate(zl, b)
    assert people.check(b) is True                  # believed for at most a minute …
    people.reload()
    assert people.known(b) is None and people.check(b) is False     # … then refused
    assert asked == [c, b]
    # A set that could not be reloaded for longer than it may be believed is not used.
    monkeypatch.setattr(active_people, "TTL", 0.05)
    time.sleep(0.1)
    assert people.known(a) is None and people.check(a) is True and asked == [c, b, a]


def test_readers_are_known_without_a_store_read_each_and_the_deactivated_are_refused(
        make_zl, monkeypatch):
    from zhuanlan.web.app import create_app
    monkeypatch.setattr(active_people, "RELOAD", 0.2)
    zl = make_zl()
    people = list(organisation(zl).values())
    _, (aid,) = publish(zl, 1, "本期")
    app = create_app(zl)
    reads: list[str] = []

    def keep(conn, cursor, statement, parameters, context, executemany):
        if "FROM subscribers" in statement and "WHERE subscribers.id =" in statement:
            reads.append(statement)

    with WebServer(app, free_port()) as web:
        time.sleep(0.5)                             # the set is read at start
        event.listen(zl.db.engine, "before_cursor_execute", keep)
        try:
            clients = []
            for sid in people:
                client = httpx.Client(base_url=web.url(""), timeout=10)
                assert client.get(f"/r/{zl.links.sign(READER, {'s': sid})}?next=/").status_code \
                    in (200, 303)
                page = client.get(f"/a/{aid}")
                assert page.status_code == 200 and "本期" in page.text
                clients.append(client)
            assert reads == []                      # no per-person check
            _deactivate(zl, people[0])
            time.sleep(0.6)                         # a reload later
            assert clients[0].get(f"/read/state?a={aid}").json()["known"] is False
            assert clients[1].get(f"/read/state?a={aid}").json()["known"] is True
            again = httpx.Client(base_url=web.url(""), timeout=10)
            assert again.get(f"/r/{zl.links.sign(READER, {'s': people[0]})}").status_code == 403
            assert clients[1].get(f"/a/{aid}").status_code == 200
        finally:
            event.remove(zl.db.engine, "before_cursor_execute", keep)
            for client in clients:
                client.close()
