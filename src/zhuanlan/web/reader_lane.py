"""A reader's heartbeats, ``/read/state`` and 我已学习, answered before the app's
middleware and routing — the way ``kept_pages`` answers the article page.

At the 9:00 burst these are four of every five requests a phone sends (the page's own
part once a view, a heartbeat every 15 s, the confirmation at the end), and their
handlers' own work is small (a dict update and a journal line; one indexed read).
Through the middleware stack (the reader-cookie middleware's task group, the session,
the security headers, the input guard), FastAPI's routing and parameters they cost about
twice that work (bench/reader.py). Here they get exactly what the app's handlers do
— the same parsing (``readers.parse_beat``, ``readers.parse_studied``), the same checks,
the same ``reading.reader_state`` (on SQLite, once the issue's items are kept, its one
statement on the loop's own connection: ``reader_state_peek``), the same record calls
and the same response classes — with one difference: 我已学习 whose checks this process
can make from memory (the article published, the issue's items kept) is answered once
it is in the journal, like an open, not after the group commit (measured: its p99 was
twice the other requests', the commit's); ``studied_hint`` lets the page it leads to
show it on any process. And
everything unusual goes to the app: a staff session, a visitor the app would give a
cookie, a person this process cannot yet tell active from memory (``web.active_people``:
the app asks the store, from a thread), an article not yet known readable in this
process, a body or a query the lane does not read exactly, a foreign origin (the app
refuses it with its page), a confirmation the store refused (the app confirms again —
it is idempotent — and shows its error page)."""

from __future__ import annotations

import asyncio
import re

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from zhuanlan.errors import NotFoundError
from zhuanlan.web.guard import has_nul, replay
from zhuanlan.web.params import MAX_ID
from zhuanlan.web.readers import (
    current_reader,
    parse_beat,
    parse_studied,
    reader_from_memory,
    same_origin_ok,
    studied_target,
)
from zhuanlan.web.studied_hint import hint_of, set_hint

SESSION_COOKIE = "zhuanlan_session"
MAX_BEAT_BODY = 2048
MAX_STUDIED_BODY = 4096
_FORM = b"application/x-www-form-urlencoded"
# Personal: the app's session middleware says so (it looked for a staff session).
_VARY = {"Vary": "Cookie"}
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


async def _body(receive: Receive, limit: int) -> tuple[bytes, bool, bool] | None:
    """The body as far as ``limit``, whether more follows, and whether it is the whole
    body within ``limit`` (else the lane hands it on); None when the phone went away."""
    body, more = bytearray(), True
    while more and len(body) <= limit:
        message = await receive()
        if message["type"] != "http.request":
            return None
        body += message.get("body", b"")
        more = message.get("more_body", False)
    return bytes(body), more, not more and len(body) <= limit


async def beat(app: ASGIApp, scope: Scope, receive: Receive, send: Send) -> None:
    """``POST /read/beat``."""
    if (got := await _body(receive, MAX_BEAT_BODY)) is None:
        return
    body, more, whole = got
    request = Request(scope)
    # The input guard's test too (a NUL, also escaped): what it would refuse, it refuses.
    parsed = parse_beat(body) if whole and not has_nul(body) else None
    reader = (lane_reader(request) if parsed is not None and same_origin_ok(request)
              and reader_from_memory(request) else None)
    if reader is None or parsed is None or parsed[1] not in request.app.state.readable_articles:
        await app(scope, replay(body, receive, more=more), send)
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
    hint = hint_of(request, reader, article_id)
    try:
        got = None
        if zl.db.reads_on_loop:
            # PostgreSQL is a round trip away: awaited here, not from a thread (the hop
            # there and back waited for a free thread and for the GIL on both sides).
            if issue_id is not None:
                got = await zl.reading.reader_state_on_loop(reader, article_id,
                                                            issue_id=issue_id, hint=hint)
        elif not zl.reading.pages.due():
            # One indexed read of a local file (never waiting for a writer in WAL mode)
            # costs less here than the hop to a thread and back, which under the burst's
            # load waited for the GIL on both sides (bench/reader.py); on SQLite's own
            # connection when the issue's items are kept, a fifth of the way through
            # SQLAlchemy.
            if issue_id is not None and zl.db.peeks:
                got = zl.reading.reader_state_peek(reader, article_id, issue_id=issue_id,
                                                   hint=hint)
            if got is None:
                got = zl.reading.reader_state(reader, article_id, issue_id=issue_id,
                                              staff=False, flush=False, hint=hint)
        if got is None:
            got = await run_in_threadpool(zl.reading.reader_state, reader, article_id,
                                          issue_id=issue_id, staff=False, hint=hint)
        answer = JSONResponse(got, headers=_VARY)
    except NotFoundError as exc:
        answer = JSONResponse({"error": exc.message}, status_code=404, headers=_VARY)
    await answer(scope, receive, send)


async def studied(app: ASGIApp, scope: Scope, receive: Receive, send: Send) -> None:
    """``POST /read/studied`` from the article page's form."""
    if (got := await _body(receive, MAX_STUDIED_BODY)) is None:
        return
    body, more, whole = got
    request = Request(scope)
    zl = request.app.state.zl
    form = (parse_studied(body) if whole and not has_nul(body)
            and request.headers.get("content-type", "").encode().lower() == _FORM else None)
    reader = (lane_reader(request) if form is not None and zl.records.running
              and same_origin_ok(request) and reader_from_memory(request) else None)
    if (reader is None or form is None
            or form.article_id not in request.app.state.readable_articles):
        await app(scope, replay(body, receive, more=more), send)
        return
    if form.view_seconds is not None:
        zl.records.beat(reader, form.article_id, *form.view_seconds)
    target = studied_target(form.article_id, form.issue_id, form.back)
    if form.issue_id is None or zl.reading.carries(form.issue_id, form.article_id):
        # Checked as the commit will check it (the article published: readable_articles;
        # the issue carrying it): answered once journaled, as an open is. The page it
        # leads to shows it before it is stored (``Reading.reader_state``, the hint).
        at = zl.records.keep_confirmation(reader, form.article_id, issue_id=form.issue_id)
        answer = RedirectResponse(target, status_code=303, headers=_VARY)
        set_hint(request, answer, reader, form.article_id, at)
        await answer(scope, receive, send)
        return
    # The issue's items not kept in this process yet (or not carrying it): told after
    # the commit, or by the app's error page.
    done = zl.records.confirm(reader, form.article_id, issue_id=form.issue_id, staff=False)
    try:
        await asyncio.wrap_future(done)
    except Exception:  # noqa: BLE001 — whatever it was, the app answers it
        # Refused (NotFoundError) or the database away: the app confirms again — a
        # confirmation is idempotent — and answers with its page, as for any reader.
        await app(scope, replay(body, receive), send)
        return
    await RedirectResponse(target, status_code=303, headers=_VARY)(scope, receive, send)
