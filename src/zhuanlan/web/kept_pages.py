"""The kept article page answered before the app's middleware and routing run.

Profiled (cProfile, the cached article page in process): of about 1 ms a request, the
handler's own work — the reader from the cookie, the kept page, recording the open —
is under a tenth; the rest is the middleware stack (the reader-cookie middleware's task
group, the session, the security headers, the input guard), FastAPI's routing and
parameters, and the thread hop of a synchronous handler. At 9:00 nearly every request
is a known reader opening an article page already kept, so this pure-ASGI layer answers
exactly that: ``GET /a/{id}`` or ``/a/{id}?i={issue}``, no staff session, a reader the
page would not give a new cookie, and a response that went through the whole app before.
It replays that response as the app sent it — status, every header (the security
headers among them) but its Set-Cookie, body — and records the open as the page does.
The view's heartbeats, ``/read/state`` and 我已学习 go to ``reader_lane``, which answers them the
same way. Everything else, and every doubt, goes to the app."""

from __future__ import annotations

import re

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from zhuanlan.web import reader_lane
from zhuanlan.web.app_login import in_app_redirect
from zhuanlan.web.params import MAX_ID
from zhuanlan.web.readers import reader_from_memory, remember_readable

# The other requests of a reading, answered here as well (see ``reader_lane``).
_LANE = {"/read/beat": ("POST", reader_lane.beat), "/read/state": ("GET", reader_lane.state),
         "/read/studied": ("POST", reader_lane.studied)}
KEPT = "zhuanlan.kept_page"          # scope key: (page key, generation) of a keepable page
_ARTICLE = re.compile(r"/a/([1-9][0-9]{0,17})")
_QUERY = re.compile(rb"(?:i=([1-9][0-9]{0,17}))?")


class KeptPages:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] in _LANE:
            method, lane = _LANE[scope["path"]]
            if scope["method"] == method:
                await lane(self.app, scope, receive, send)
                return
        if (scope["type"] != "http" or scope["method"] != "GET"
                or not (path := _ARTICLE.fullmatch(scope["path"]))
                or not (query := _QUERY.fullmatch(scope.get("query_string", b"")))):
            await self.app(scope, receive, send)
            return
        article_id, issue_id = int(path[1]), int(query[1]) if query[1] else None
        request = Request(scope)
        if article_id <= MAX_ID and (issue_id or 0) <= MAX_ID \
                and reader_lane.SESSION_COOKIE not in request.cookies:
            # In a thread only when the store must be asked (a reader not seen within the
            # minute, the once-a-second check for changes): the hop cost a fifth of the
            # request.
            if request.app.state.zl.reading.pages.due() or not reader_from_memory(request):
                kept = await run_in_threadpool(_kept, request, article_id, issue_id)
            else:
                kept = _kept(request, article_id, issue_id)
            if kept is not None:
                status, headers, body = kept
                await send({"type": "http.response.start", "status": status,
                            "headers": headers})
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, _keeping(scope, send))


def _kept(request: Request, article_id: int, issue_id: int | None):
    """(status, headers, body) of the kept response for this reader, the open recorded;
    None when the app must answer (a new visitor's cookie, an app's login, nothing kept)."""
    if in_app_redirect(request) is not None:
        return None
    reader = reader_lane.lane_reader(request)
    if reader is None:
        return None
    zl = request.app.state.zl
    kept = zl.reading.pages.get(("response", article_id, issue_id, reader.known))
    if kept is None:
        return None
    remember_readable(request, article_id)
    zl.records.opened(reader, article_id, issue_id)
    return kept


def _keeping(scope: Scope, send: Send) -> Send:
    """``send``, keeping the app's answer when the page said it may be kept."""
    start: dict = {}
    chunks: list[bytes] = []

    async def wrapped(message: Message) -> None:
        await send(message)
        if KEPT not in scope:
            return
        if message["type"] == "http.response.start":
            start.update(message)
        elif message["type"] == "http.response.body" and start.get("status") == 200:
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                (_, article_id, issue_id, known), generation = scope[KEPT]
                body = b"".join(chunks)
                headers = [(k, v) for k, v in start.get("headers", [])
                           if k.lower() != b"set-cookie"]
                scope["app"].state.zl.reading.pages.put(
                    ("response", article_id, issue_id, known), (200, headers, body),
                    generation, size=len(body))

    return wrapped
