"""A reader's heartbeats and ``/read/state``, answered before the app's middleware and
routing — the way ``kept_pages`` answers the article page.

At the 9:00 burst these two are three of every four requests a phone sends (the page's
own part once a view, a heartbeat every 15 s), and their handlers' own work is small (a
dict update and a journal line; one indexed read). Through the middleware stack
(the reader-cookie middleware's task group, the session, the security headers, the input
guard), FastAPI's routing and parameters they cost about twice that work
(bench/reader.py). Here they get exactly what the app's handlers do — the same parsing
(``readers.parse_beat``), the same checks, the same ``reading.reader_state`` and the same
JSON response class — and everything unusual goes to the app: a staff session, a visitor
the app would give a cookie, a person this process cannot yet tell active from memory
(``web.active_people``: the app asks the store, from a thread), an article not yet known
readable in this process, a body or a query the lane does not read exactly, a foreign
origin (the app refuses it with its page)."""

from __future__ import annotations

import re

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from zhuanlan.errors import NotFoundError
from zhuanlan.web.guard import has_nul, replay
from zhuanlan.web.params import MAX_ID
from zhuanlan.web.readers import (
    current_reader,
    parse_beat,
    reader_from_memory,
    same_origin_ok,
)

SESSION_COOKIE = "zhuanlan_session"
MAX_BEAT_BODY = 2048
_STATE_QUERY = re.compile(rb"a=([1-9][0-9]{0,17})(?:&i=([1-9][0-9]{0,17}))?")


def lane_reader(request: Request):
    """The reader of the request, or None when the app must answer (a staff session, a
    new visitor whose cookie the app sets). Also the kept article page's."""
    if SESSION_COOKIE in request.cookies:
        return None
    reader = current_reader(request)
    if getattr(request.state, "reader_cookies", None):
        return None          # the reader stays in the scope; the app sets the cookie
    return reader


async def beat(app: ASGIApp, scope: Scope, receive: Receive, send: Send) -> None:
    """``POST /read/beat``."""
    body, more = bytearray(), True
    while more and len(body) <= MAX_BEAT_BODY:
        message = await receive()
        if message["type"] != "http.request":
            return                                  # the phone went away
        body += message.get("body", b"")
        more = message.get("more_body", False)
    request = Request(scope)
    # The input guard's test too (a NUL, also escaped): what it would refuse, it refuses.
    parsed = parse_beat(bytes(body)) if not more and not has_nul(bytes(body)) else None
    reader = (lane_reader(request) if parsed is not None and same_origin_ok(request)
              and reader_from_memory(request) else None)
    if reader is None or parsed is None or parsed[1] not in request.app.state.readable_articles:
        await app(scope, replay(bytes(body), receive, more=more), send)
        return
    view, article_id, seconds = parsed
    request.app.state.zl.records.beat(reader, article_id, view, seconds)
    await Response(status_code=204)(scope, receive, send)


async def state(app: ASGIApp, scope: Scope, receive: Receive, send: Send) -> None:
    """``GET /read/state?a={article}[&i={issue}]``."""
    query = _STATE_QUERY.fullmatch(scope.get("query_string", b""))
    if query is None or int(query[1]) > MAX_ID or int(query[2] or 0) > MAX_ID:
        await app(scope, receive, send)
        return
    request = Request(scope)
    reader = lane_reader(request) if reader_from_memory(request) else None
    if reader is None:
        await app(scope, receive, send)
        return
    article_id, issue_id = int(query[1]), int(query[2]) if query[2] else None
    zl = request.app.state.zl
    # Personal: the app's session middleware says so (it looked for a staff session).
    vary = {"Vary": "Cookie"}
    try:
        got = None
        if zl.db.reads_on_loop:
            # PostgreSQL is a round trip away: awaited here, not from a thread (the hop
            # there and back waited for a free thread and for the GIL on both sides).
            if issue_id is not None:
                got = await zl.reading.reader_state_on_loop(reader, article_id,
                                                            issue_id=issue_id)
        elif not zl.reading.pages.due():
            # One indexed read of a local file (~0.3 ms, never waiting for a writer in
            # WAL mode) costs less here than the hop to a thread and back, which under
            # the burst's load waited for the GIL on both sides (bench/reader.py).
            got = zl.reading.reader_state(reader, article_id, issue_id=issue_id,
                                          staff=False, flush=False)
        if got is None:
            got = await run_in_threadpool(zl.reading.reader_state, reader, article_id,
                                          issue_id=issue_id, staff=False)
        answer = JSONResponse(got, headers=vary)
    except NotFoundError as exc:
        answer = JSONResponse({"error": exc.message}, status_code=404, headers=vary)
    await answer(scope, receive, send)
