"""A reader's heartbeats and ``/read/state`` are answered ahead of the app's middleware
(web.reader_lane) exactly as the app answers them, and everything the lane does not read
exactly reaches the app untouched — its body included."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
from sqlalchemy import select

from tests.support.records import Unreachable
from tests.support.smtp import free_port
from tests.support.study_seed import SLUG, organisation, publish, seed_articles
from tests.support.web import WebServer
from zhuanlan.links import READER, LinkSigner
from zhuanlan.store.schema import reading_views, readings
from zhuanlan.study.records import Reader
from zhuanlan.web import reader_lane


@pytest.fixture
def site(make_zl):
    from zhuanlan.web.app import create_app
    zl = make_zl()
    people = organisation(zl)
    issue_id, arts = publish(zl, 2, "本期")
    app = create_app(zl)
    with WebServer(app, free_port()) as web:
        yield zl, app, web, issue_id, arts, people


@contextmanager
def _known(zl, web, subscriber_id: int) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=web.url(""), timeout=10) as client:
        client.get(f"/r/{zl.links.sign(READER, {'s': subscriber_id})}?next=/")
        assert client.cookies.get("zhuanlan_reader")
        yield client


def _same(a: httpx.Response, b: httpx.Response) -> None:
    assert (a.status_code, a.content) == (b.status_code, b.content)
    assert ({k: v for k, v in a.headers.items() if k != "date"}
            == {k: v for k, v in b.headers.items() if k != "date"})


def test_the_state_from_the_lane_is_the_apps(site):
    zl, app, web, issue_id, arts, people = site
    with _known(zl, web, people["甲"]) as jia:
        # The lane reads exactly "a=…&i=…"; the other order goes through the app.
        for a, i in ((arts[0], issue_id), (arts[1], issue_id), (arts[0], 999999)):
            lane, routed = jia.get(f"/read/state?a={a}&i={i}"), jia.get(f"/read/state?i={i}&a={a}")
            _same(lane, routed)
        assert lane.status_code == 404 and "文章" in lane.json()["error"]
        assert jia.get(f"/read/state?a={arts[0]}").json()["issue"] is None


def test_heartbeats_from_the_lane_are_the_apps_and_are_kept(site):
    zl, app, web, issue_id, arts, people = site
    origin = {"Origin": web.url(""), "Content-Type": "application/json"}
    with _known(zl, web, people["乙"]) as yi:
        # Not yet known readable in this process: the app answers (and remembers it) …
        first = yi.post("/read/beat", content=json.dumps({"v": "view-yi-001", "a": arts[0],
                                                          "s": 15}), headers=origin)
        assert arts[0] in app.state.readable_articles
        # … then the lane, with the app's answer.
        again = yi.post("/read/beat", content=json.dumps({"v": "view-yi-001", "a": arts[0],
                                                          "s": 30}), headers=origin)
        assert (first.status_code, again.status_code) == (204, 204)
        assert again.content == b"" and "set-cookie" not in again.headers
        # What the lane does not take the app refuses as before.
        bad = yi.post("/read/beat", content=b'{"v": "short", "a": 1, "s": 1}', headers=origin)
        assert bad.status_code == 400
        foreign = yi.post("/read/beat", content=json.dumps({"v": "view-yi-002", "a": arts[0],
                                                            "s": 5}),
                          headers={"Origin": "https://elsewhere.example"})
        assert foreign.status_code == 403
    zl.records.flush()
    with zl.db.read() as conn:
        rows = conn.execute(select(reading_views.c.view_id, reading_views.c.seconds,
                                   readings.c.subscriber_id)
                            .join(readings, readings.c.id == reading_views.c.reading_id)).all()
    assert [tuple(r) for r in rows] == [("view-yi-001", 30, people["乙"])]


# -- the dispatch itself, on the real app, with a spy for "the rest of the app" ----------

class _Rest:
    """Stands for the middleware and routes behind the lane: records what reached it."""

    def __init__(self) -> None:
        self.bodies: list[bytes] = []

    async def __call__(self, scope, receive, send) -> None:
        body, more = b"", True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        self.bodies.append(body)
        await send({"type": "http.response.start", "status": 599, "headers": []})
        await send({"type": "http.response.body", "body": b""})


def _call(app, lane, method: str, path: str, query: bytes, cookies: dict[str, str],
          chunks: list[bytes], headers: list[tuple[bytes, bytes]] = ()):
    rest, sent = _Rest(), []
    cookie = "; ".join(f"{k}={v}" for k, v in cookies.items()).encode()
    scope = {"type": "http", "method": method, "path": path, "query_string": query,
             "headers": [(b"host", b"127.0.0.1"), (b"cookie", cookie), *headers],
             "app": app, "state": {}}
    messages = [{"type": "http.request", "body": c, "more_body": n < len(chunks) - 1}
                for n, c in enumerate(chunks)] or [{"type": "http.request", "body": b""}]

    async def receive():
        return messages.pop(0)

    async def send(message):
        sent.append(message)

    asyncio.run(lane(rest, scope, receive, send))
    return rest.bodies, sent[0]["status"], b"".join(m.get("body", b"") for m in sent[1:])


def test_the_lane_answers_a_known_reader_and_hands_the_rest_on_intact(site):
    zl, app, web, issue_id, arts, people = site
    known = {"zhuanlan_reader": zl.links.sign("reader-cookie", people["丙"])}
    app.state.readable_articles.add(arts[0])
    beat = json.dumps({"v": "view-bing-01", "a": arts[0], "s": 20}).encode()
    # Answered here, in two chunks as a phone may send them; nothing reached the rest.
    assert _call(app, reader_lane.beat, "POST", "/read/beat", b"", known,
                 [beat[:10], beat[10:]]) == ([], 204, b"")
    reached, status, body = _call(app, reader_lane.state, "GET", "/read/state",
                                  f"a={arts[0]}&i={issue_id}".encode(), known, [])
    assert reached == [] and status == 200 and json.loads(body)["known"] is True
    assert zl.records.pending(Reader.person(people["丙"]), arts[0])
    # Handed on with the body as it came: a staff session, a new visitor, a body with a
    # NUL (raw or escaped), a body too long to be a heartbeat, an article not known
    # readable here.
    (unread,) = seed_articles(zl, 1, "未读")
    staff = {**known, "zhuanlan_session": "x"}
    long_body = b'{"v": "' + b"x" * 3000 + b'"}'
    escaped = json.dumps({"v": "view-\u0000-bing", "a": arts[0], "s": 1}).encode()
    for cookies, chunks in ((staff, [beat]), ({}, [beat]), (known, [beat[:-1] + b"\x00"]),
                            (known, [escaped]),          # the input guard refuses it too
                            (known, [long_body[:2000], long_body[2000:]]),
                            (known, [json.dumps({"v": "view-bing-02", "a": unread,
                                                 "s": 1}).encode()])):
        reached, status, _ = _call(app, reader_lane.beat, "POST", "/read/beat", b"", cookies,
                                   chunks)
        assert status == 599 and reached == [b"".join(chunks)]
    for query, cookies in ((f"i={issue_id}&a={arts[0]}", known), (f"a={arts[0]}", staff),
                           (f"a={arts[0]}", {}), ("a=0", known), (f"a={arts[0]}&x=1", known)):
        reached, status, _ = _call(app, reader_lane.state, "GET", "/read/state",
                                   query.encode(), cookies, [])
        assert status == 599 and reached == [b""]


def test_a_reader_unknown_in_memory_and_a_state_that_needs_a_flush_take_the_long_way(site):
    """The lane answers only from memory and with reads: a person this process cannot
    tell active yet goes to the app (which asks the store from a thread), and a state
    that needs this process's buffered reading time written first is answered after
    that write (on SQLite the read is otherwise done right here)."""
    zl, app, web, issue_id, arts, people = site
    newcomer = zl.add_subscriber("new@example.com", "新人")     # after the set was read
    fresh = {"zhuanlan_reader": zl.links.sign("reader-cookie", newcomer)}
    reached, status, _ = _call(app, reader_lane.state, "GET", "/read/state",
                               f"a={arts[0]}&i={issue_id}".encode(), fresh, [])
    assert status == 599 and reached == [b""]

    zl.reading.set_min_read(SLUG, 30, by="test")
    bing = Reader.person(people["丙"])
    known = {"zhuanlan_reader": zl.links.sign("reader-cookie", people["丙"])}
    app.state.readable_articles.add(arts[0])
    zl.records.confirm_now(bing, arts[0], issue_id=issue_id, staff=False)   # no time yet

    def state() -> dict:
        reached, status, body = _call(app, reader_lane.state, "GET", "/read/state",
                                      f"a={arts[0]}&i={issue_id}".encode(), known, [])
        assert reached == [] and status == 200
        return json.loads(body)

    assert state()["too_quick"] is True
    beat = json.dumps({"v": "view-bing-09", "a": arts[0], "s": 40}).encode()
    assert _call(app, reader_lane.beat, "POST", "/read/beat", b"", known, [beat])[1] == 204
    assert zl.records.pending(bing, arts[0])
    assert state()["too_quick"] is False                  # written, then read
    assert not zl.records.pending(bing, arts[0])


def test_the_lane_reads_the_state_on_its_event_loop(site, monkeypatch):
    """No thread for a reader's state once the issue's minimum and items are kept: on
    PostgreSQL the lane awaits the read (``Database.loop_reads``, the moment's states in one
    statement), on SQLite it is one statement on the loop's own connection
    (``Database.peek``). The answer is the app's, fresh after each confirmation; only
    what the process cannot tell from memory (the minimum, the first time) takes the
    thread's way."""
    zl, app, web, issue_id, arts, people = site
    threaded, on_loop = [], []
    real = zl.reading.reader_state

    def counted(*args, **kwargs):
        threaded.append(args)
        return real(*args, **kwargs)

    if zl.db.reads_on_loop:
        loop_read, name = zl.reading.reader_state_on_loop, "reader_state_on_loop"

        async def looked(*args, **kwargs):
            got = await loop_read(*args, **kwargs)
            on_loop.append(got is not None)
            return got
    else:
        assert zl.db.peeks
        peek_read, name = zl.reading.reader_state_peek, "reader_state_peek"

        def looked(*args, **kwargs):  # type: ignore[misc]
            got = peek_read(*args, **kwargs)
            on_loop.append(got is not None)
            return got

    monkeypatch.setattr(zl.reading, "reader_state", counted)
    monkeypatch.setattr(zl.reading, name, looked)
    ding = Reader.person(people["丁"])
    with _known(zl, web, people["丁"]) as client:
        url = f"/read/state?a={arts[1]}&i={issue_id}"
        client.get(url)                                   # the minimum, read once
        before = len(threaded)
        lane = [client.get(url) for _ in range(3)]
        assert len(threaded) == before and on_loop[-3:] == [True] * 3    # on the loop
        routed = client.get(f"/read/state?i={issue_id}&a={arts[1]}")
        assert len(threaded) == before + 1               # the app's own way, for comparison
        for answer in lane:
            _same(answer, routed)
        assert lane[0].json()["studied_at"] is None
        zl.records.confirm_now(ding, arts[1], issue_id=issue_id, staff=False)
        after = client.get(url).json()
        assert after["studied_at"] is not None and after["issue"]["studied"] == 1
        assert on_loop[-1] is True and len(threaded) == before + 1
        assert client.get(f"/read/state?a={arts[1]}&i=999999").status_code == 404


def test_a_reader_cookie_is_verified_once_and_a_forged_one_never_kept(site, monkeypatch):
    zl, app, web, issue_id, arts, people = site
    verified = []
    real = LinkSigner.verify

    def counted(self, purpose, token):
        verified.append(purpose)
        return real(self, purpose, token)

    monkeypatch.setattr(LinkSigner, "verify", counted)
    url = f"/read/state?a={arts[0]}&i={issue_id}"
    with _known(zl, web, people["甲"]) as jia:
        cookie = jia.cookies["zhuanlan_reader"]
        assert jia.get(url).json()["known"] is True
        before = verified.count("reader-cookie")
        for _ in range(3):
            assert jia.get(url).json()["known"] is True
        assert verified.count("reader-cookie") == before
    forged = cookie[:-1] + ("A" if cookie[-1] != "A" else "B")
    with httpx.Client(base_url=web.url(""), timeout=10,
                      cookies={"zhuanlan_reader": forged}) as stranger:
        for _ in range(2):
            assert stranger.get(url).json()["known"] is False
    assert forged not in app.state.verified_readers
    assert app.state.verified_readers[cookie] == people["甲"]


# -- 我已学习 ------------------------------------------------------------------------------

_FORM = {"Content-Type": "application/x-www-form-urlencoded"}
# The same form with a charset: the lane hands it on, the app reads it alike.
_FORM_TO_APP = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}


def _studied(zl, subscriber_id: int, article_id: int):
    with zl.db.read() as conn:
        return conn.execute(select(readings.c.studied_at, readings.c.active_seconds).where(
            readings.c.subscriber_id == subscriber_id,
            readings.c.article_id == article_id)).first()


def test_studied_from_the_lane_is_the_apps_and_is_stored(site):
    zl, app, web, issue_id, arts, people = site
    origin = {"Origin": web.url("")}
    with _known(zl, web, people["甲"]) as jia:
        jia.get(f"/a/{arts[0]}?i={issue_id}")             # known readable in this process
        jia.get(f"/a/{arts[1]}?i={issue_id}")
        form = {"article_id": arts[0], "issue_id": issue_id, "view": "view-jia-0001",
                "seconds": 95}
        lane = jia.post("/read/studied", data=form, headers={**_FORM, **origin})
        routed = jia.post("/read/studied", data={**form, "article_id": arts[1]},
                          headers={**_FORM_TO_APP, **origin})
        assert lane.status_code == routed.status_code == 303
        assert lane.headers["location"] == f"/a/{arts[0]}?i={issue_id}#studied"
        assert routed.headers["location"] == f"/a/{arts[1]}?i={issue_id}#studied"
        assert ({k: v for k, v in lane.headers.items() if k not in ("date", "location")}
                == {k: v for k, v in routed.headers.items()
                    if k not in ("date", "location")})
        # Already stored when the reader is sent back (the group commit was awaited),
        # judged on the reading time the form carried.
        at, seconds = _studied(zl, people["甲"], arts[0])
        assert at is not None and seconds == 95
        state = jia.get(f"/read/state?a={arts[0]}&i={issue_id}").json()
        assert state["studied_at"] and state["issue"]["studied"] == 2
        # back: a path on this site, never elsewhere.
        back = jia.post("/read/studied", data={"article_id": arts[0], "back": "/c/xuexi"},
                        headers={**_FORM, **origin})
        away = jia.post("/read/studied", data={"article_id": arts[0],
                                               "back": "//evil.example/x"},
                        headers={**_FORM, **origin})
        assert back.headers["location"] == "/c/xuexi#studied"
        assert away.headers["location"] == "/#studied"


def test_a_refused_confirmation_gets_the_apps_page(site):
    """The store refuses it (an issue without the article): the app answers, as it
    would have without the lane — its 404 page, nothing confirmed."""
    zl, app, web, issue_id, arts, people = site
    origin = {"Origin": web.url("")}
    with _known(zl, web, people["乙"]) as yi:
        yi.get(f"/a/{arts[0]}?i={issue_id}")
        form = {"article_id": arts[0], "issue_id": 999999}
        lane = yi.post("/read/studied", data=form, headers={**_FORM, **origin})
        routed = yi.post("/read/studied", data=form, headers={**_FORM_TO_APP, **origin})
        assert lane.status_code == routed.status_code == 404
        assert "未找到" in lane.text and lane.text == routed.text
    assert _studied(zl, people["乙"], arts[0]).studied_at is None


def test_the_studied_lane_hands_on_what_it_does_not_read_exactly(site):
    zl, app, web, issue_id, arts, people = site
    known = {"zhuanlan_reader": zl.links.sign("reader-cookie", people["丙"])}
    form_type = [(b"content-type", b"application/x-www-form-urlencoded")]
    app.state.readable_articles.add(arts[0])
    good = f"article_id={arts[0]}&issue_id={issue_id}&view=view-bing-77&seconds=40".encode()
    reached, status, _ = _call(app, reader_lane.studied, "POST", "/read/studied", b"", known,
                               [good[:9], good[9:]], form_type)
    assert (reached, status) == ([], 303)
    at, seconds = _studied(zl, people["丙"], arts[0])
    assert at is not None and seconds == 40
    (unread,) = seed_articles(zl, 1, "未读")
    staff = {**known, "zhuanlan_session": "x"}
    handed_on = [
        (staff, good, form_type), ({}, good, form_type),            # staff; a new visitor
        (known, good, [(b"content-type", b"multipart/form-data; boundary=x")]),
        (known, good, []),                                          # no content type
        (known, good, [*form_type, (b"origin", b"https://elsewhere.example")]),
        (known, f"article_id={unread}".encode(), form_type),        # not known readable
        (known, good + b"%00", form_type),                          # a NUL, escaped
        (known, good + b"&back=" + b"x" * 5000, form_type),          # too long
        (known, good + b"&article_id=1", form_type),                # a field twice
        (known, good + b"&csrf=1", form_type),                      # a field it does not know
        (known, good + b";back=/", form_type),
        (known, f"article_id={arts[0]}&issue_id=".encode(), form_type),
        (known, f"article_id={arts[0]}&seconds=1.5".encode(), form_type),
        (known, f"article_id={arts[0]}&seconds=10000001".encode(), form_type),
        (known, f"article_id={arts[0]}&view={'v' * 41}".encode(), form_type),
        (known, f"article_id={arts[0]}&view=%FF%FE".encode(), form_type),
        (known, f"article_id=0{arts[0]}".encode(), form_type),
        (known, f"article_id={2**31}".encode(), form_type),
    ]
    for cookies, body, headers in handed_on:
        reached, status, _ = _call(app, reader_lane.studied, "POST", "/read/studied", b"",
                                   cookies, [body], headers)
        assert (status, reached) == (599, [body]), body[:80]


# -- 我已学习 answered once journaled, and the page it leads to ---------------------------

def _state_url(article_id: int, issue_id: int) -> str:
    return f"/read/state?a={article_id}&i={issue_id}"


def test_studied_is_answered_before_its_commit_and_its_page_shows_it_at_once(site):
    """With the issue's items kept in this process the lane answers 我已学习 once it is in
    the journal; the state the page asks next shows it although the store does not hold
    it yet (its group commit cannot write), and the store has it once it can."""
    zl, app, web, issue_id, arts, people = site
    origin = {"Origin": web.url("")}
    with _known(zl, web, people["甲"]) as jia:
        jia.get(f"/a/{arts[0]}?i={issue_id}")
        assert jia.get(_state_url(arts[0], issue_id)).json()["studied_at"] is None
        real, zl.records.db = zl.records.db, Unreachable()
        try:
            answer = jia.post("/read/studied", headers={**_FORM, **origin}, data={
                "article_id": arts[0], "issue_id": issue_id, "view": "view-jia-0009",
                "seconds": 95})
            assert answer.status_code == 303
            assert answer.headers["location"] == f"/a/{arts[0]}?i={issue_id}#studied"
            hint = answer.headers["set-cookie"]
            assert hint.startswith("zhuanlan_studied=") and "Path=/read" in hint
            assert "HttpOnly" in hint and "Max-Age=60" in hint
            assert _studied(zl, people["甲"], arts[0]) is None          # not stored yet
            state = jia.get(_state_url(arts[0], issue_id)).json()
            assert state["studied_at"] and not state["too_quick"]
            assert state["issue"]["studied"] == 1
        finally:
            zl.records.db = real
        zl.records.flush()
        at, seconds = _studied(zl, people["甲"], arts[0])
        assert at is not None and seconds == 95
        assert zl.records.unwritten(Reader.person(people["甲"]), arts[0]) is None
        assert jia.get(_state_url(arts[0], issue_id)).json()["studied_at"] == state["studied_at"]


def test_a_state_shows_the_confirmation_its_hint_names(site):
    """A state that reaches a process which did not take the confirmation (its buffer
    knows nothing of it) shows it by the 303's signed hint — only the bearer's own, of
    that article, for a minute — in the lane and in the app alike."""
    from datetime import timedelta
    zl, app, web, issue_id, arts, people = site
    key = Reader.person(people["乙"]).key
    now = zl.clock()

    def hinted(reader_key: str, article_id: int, at) -> str:
        return zl.links.sign("studied-hint", [reader_key, article_id, at.isoformat()])

    with _known(zl, web, people["乙"]) as yi:
        lane, routed = _state_url(arts[0], issue_id), f"/read/state?i={issue_id}&a={arts[0]}"
        assert yi.get(lane).json()["studied_at"] is None
        yi.cookies.set("zhuanlan_studied", hinted(key, arts[0], now))
        for url in (lane, routed):
            state = yi.get(url).json()
            assert state["studied_at"] and state["issue"]["studied"] == 1, url
        for other in (hinted("s:999999", arts[0], now), hinted(key, arts[1], now),
                      hinted(key, arts[0], now - timedelta(minutes=5)), "forged.token",
                      zl.links.sign("reader-cookie", [key, arts[0], now.isoformat()])):
            yi.cookies.set("zhuanlan_studied", other)
            assert yi.get(lane).json()["studied_at"] is None
    assert _studied(zl, people["乙"], arts[0]) is None       # a hint never counts


def test_a_hinted_confirmation_under_the_minimum_waits_for_the_store(site):
    """Whether a confirmation was quick only the store tells (the reading time may sit in
    the other process's buffer): with a minimum the hinted state waits for it to be
    written, then answers from the store."""
    import threading
    import time

    from zhuanlan.study.records import RecordBuffer
    zl, app, web, issue_id, arts, people = site
    zl.reading.set_min_read(SLUG, 60, by="test")
    reader = Reader.person(people["丙"])
    other = RecordBuffer(zl.db, zl.clock)           # the other process's buffer

    def the_other_process_writes() -> None:
        time.sleep(0.3)
        other.beat(reader, arts[0], "view-bing-0060", 75)
        other.confirm_now(reader, arts[0], issue_id=issue_id, staff=False)

    with _known(zl, web, people["丙"]) as bing:
        bing.get(f"/a/{arts[0]}?i={issue_id}")
        bing.cookies.set("zhuanlan_studied", zl.links.sign(
            "studied-hint", [reader.key, arts[0], zl.clock().isoformat()]))
        writer = threading.Thread(target=the_other_process_writes)
        writer.start()
        started = time.monotonic()
        state = bing.get(_state_url(arts[0], issue_id)).json()
        writer.join()
    assert time.monotonic() - started >= 0.3
    assert state["studied_at"] and not state["too_quick"] and state["issue"]["studied"] == 1
