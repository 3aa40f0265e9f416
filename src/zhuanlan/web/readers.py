"""Who is reading: a person known by the signed personal link from the push (no
password), or an anonymous browser, counted as such. And the endpoints the article page
calls: heartbeats of active reading time and the 我已学习 confirmation.

The personal link ``/r/{token}?next=/a/123`` sets a long-lived signed cookie naming the
subscriber, then sends the reader on; later pages know them by the cookie. Cookies are
SameSite=Lax: a POST from another site carries none, so nobody can confirm or inflate
reading in someone else's name.
"""

from __future__ import annotations

import asyncio
import json
import re
import secrets
from typing import NamedTuple
from urllib.parse import parse_qsl, urlsplit

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from zhuanlan.errors import AuthError, PermissionDenied
from zhuanlan.links import READER
from zhuanlan.study.records import Reader
from zhuanlan.web.auth import safe_next, session_user
from zhuanlan.web.params import MAX_ID, FormId, OptionalFormId

router = APIRouter()

READER_COOKIE = "zhuanlan_reader"
ANON_COOKIE = "zhuanlan_anon"
COOKIE_SECONDS = 365 * 24 * 3600
_COOKIE_PURPOSE = "reader-cookie"
VERIFIED_MAX = 100_000


def _active(request: Request, subscriber_id: int) -> bool:
    """Whether the subscriber may still be known by their link (web.active_people)."""
    return request.app.state.active_people.check(subscriber_id)


def _set_cookie(request: Request, name: str, value: str) -> None:
    request.state.reader_cookies = getattr(request.state, "reader_cookies", []) + [(name, value)]


def cookie_headers(request: Request) -> list[tuple[bytes, bytes]]:
    """The Set-Cookie headers of the cookies the handlers decided on (none: [])."""
    cookies = getattr(request.state, "reader_cookies", None)
    if not cookies:
        return []
    secure = request.app.state.zl.cfg["web.secure_cookies"]
    carrier = Response()
    for name, value in cookies:
        carrier.set_cookie(name, value, max_age=COOKIE_SECONDS, httponly=True,
                           samesite="lax", secure=secure)
    return [(k, v) for k, v in carrier.raw_headers if k == b"set-cookie"]


def reader_from_memory(request: Request) -> bool:
    """Whether ``current_reader`` can answer without the store: no signed cookie, or the
    person's active state known in memory (web.active_people). (Then a caller on the
    event loop need not hand the request to a thread.)"""
    if "reader" in request.scope:
        return True
    subscriber_id = _signed_subscriber(request)
    if subscriber_id is None:
        return True
    active = request.app.state.active_people.known(subscriber_id)
    if active is None:
        return False
    if active:
        request.scope["reader"] = Reader.person(subscriber_id)      # verified once
    return True


def _signed_subscriber(request: Request) -> int | None:
    """The person id the signed reader cookie carries, or None (none, or not ours).

    A cookie verified once is known by its text (``VERIFIED_MAX`` at most, only ones
    that verified: a forged one cannot fill it): a phone sends the same cookie with
    every heartbeat of a reading, and its HMAC, base64 and JSON were a twentieth of a
    web process's work at the 9:00 burst (py-spy, bench/reader.py)."""
    signed = request.cookies.get(READER_COOKIE)
    if not signed:
        return None
    verified = request.app.state.verified_readers
    hit = verified.get(signed)
    if hit is not None:
        return hit
    try:
        subscriber_id = request.app.state.zl.links.verify(_COOKIE_PURPOSE, signed)
    except AuthError:
        return None
    if not isinstance(subscriber_id, int):
        return None
    if len(verified) >= VERIFIED_MAX:
        verified.clear()
    verified[signed] = subscriber_id
    return subscriber_id


def current_reader(request: Request) -> Reader:
    """The reader of this request; makes an anonymous id (and its cookie) when needed."""
    if "reader" in request.scope:
        return request.scope["reader"]
    reader = known_reader(request)
    if reader is None:
        anon = request.cookies.get(ANON_COOKIE, "")
        if not (16 <= len(anon) <= 40 and anon.replace("-", "").replace("_", "").isalnum()):
            anon = secrets.token_urlsafe(18)
            _set_cookie(request, ANON_COOKIE, anon)
        reader = Reader.anonymous(anon)
    request.scope["reader"] = reader
    return reader


def known_reader(request: Request) -> Reader | None:
    """The person of the signed reader cookie (personal link or app login), or None.
    Makes no anonymous id: for pages that show the person something but record nothing
    (我的学习记录, the link to it)."""
    if "reader" in request.scope:
        reader = request.scope["reader"]
        return reader if reader.known else None
    subscriber_id = _signed_subscriber(request)
    if subscriber_id is not None and _active(request, subscriber_id):
        return Reader.person(subscriber_id)
    return None


def same_origin_ok(request: Request) -> bool:
    origin = request.headers.get("origin")
    return not (origin and origin != "null"
                and urlsplit(origin).netloc != request.headers.get("host"))


def _same_origin(request: Request) -> None:
    if not same_origin_ok(request):
        raise PermissionDenied("跨站请求被拒绝", resource="origin")


def parse_beat(body: bytes) -> tuple[str, int, int] | None:
    """(view id, article id, seconds) of a heartbeat's body, or None when it is not one."""
    try:
        data = json.loads(body[:2048])
        view, article_id, seconds = str(data["v"]), int(data["a"]), int(data["s"])
    except (ValueError, KeyError, TypeError):
        return None
    if not (8 <= len(view) <= 40) or seconds < 0 or not 1 <= article_id <= MAX_ID:
        return None
    return view, article_id, seconds


class StudiedForm(NamedTuple):
    article_id: int
    issue_id: int | None
    back: str
    view_seconds: tuple[str, int] | None     # the view's reading time it came with


_STUDIED_FIELDS = {"article_id", "issue_id", "back", "view", "seconds"}
_ID = re.compile(r"[1-9][0-9]{0,17}")
_SECONDS = re.compile(r"-?[0-9]{1,9}")


def parse_studied(body: bytes) -> StudiedForm | None:
    """The 我已学习 form as :func:`studied` reads it, or None for anything it would read
    otherwise or refuse (a field twice, one it does not know, a value it would not take
    as it is): then the app's own form parsing answers."""
    if b";" in body:
        return None                      # a separator some form parsers also split on
    try:
        pairs = parse_qsl(body.decode(), keep_blank_values=True, strict_parsing=True,
                          errors="strict", max_num_fields=len(_STUDIED_FIELDS))
    except ValueError:                   # UnicodeDecodeError among them
        return None
    form = dict(pairs)
    if len(form) != len(pairs) or not form.keys() <= _STUDIED_FIELDS:
        return None
    article, issue = form.get("article_id", ""), form.get("issue_id")
    view, seconds = form.get("view", ""), form.get("seconds", "-1")
    if (not _ID.fullmatch(article) or (issue is not None and not _ID.fullmatch(issue))
            or len(view) > 40 or not _SECONDS.fullmatch(seconds)):
        return None
    article_id, issue_id, secs = int(article), int(issue) if issue else None, int(seconds)
    if article_id > MAX_ID or (issue_id or 0) > MAX_ID or secs > 10**7:
        return None
    return StudiedForm(article_id, issue_id, form.get("back", ""), _view_time(view, secs))


def _view_time(view: str, seconds: int) -> tuple[str, int] | None:
    """The page view's reading time 我已学习 came with, when it carried one."""
    return (view, seconds) if len(view) >= 8 and seconds >= 0 else None


def studied_target(article_id: int, issue_id: int | None, back: str) -> str:
    """Where 我已学习 sends the reader: back, or to the article, at the confirmation."""
    page = f"/a/{article_id}" + (f"?i={issue_id}" if issue_id is not None else "")
    return safe_next(back or page, "/") + "#studied"


@router.get("/r/{token}")
def personal_link(request: Request, token: str, next: str = "/") -> RedirectResponse:
    """The personal link from the push: know the reader from now on."""
    zl = request.app.state.zl
    payload = zl.links.verify(READER, token)          # AuthError → the error page
    subscriber_id = payload.get("s") if isinstance(payload, dict) else None
    if not isinstance(subscriber_id, int) or not _active(request, subscriber_id):
        raise AuthError("链接对应的人员不存在或已停用", resource="reader")
    remember_reader(request, subscriber_id)
    return RedirectResponse(safe_next(next, "/"), status_code=303)


def remember_reader(request: Request, subscriber_id: int) -> None:
    """Know the reader from now on (personal link, or the app's web login)."""
    zl = request.app.state.zl
    _set_cookie(request, READER_COOKIE, zl.links.sign(_COOKIE_PURPOSE, subscriber_id))
    request.scope["reader"] = Reader.person(subscriber_id)


_READABLE_MAX = 200_000


def remember_readable(request: Request, article_id: int) -> None:
    """The article page was shown: its heartbeats need not ask the store again."""
    known = request.app.state.readable_articles
    if len(known) >= _READABLE_MAX:
        known.clear()
    known.add(article_id)


def _readable(request: Request, article_id: int) -> bool:
    """Whether this visitor may record reading of the article (see
    ``store.visibility``). Only published articles are remembered: one stays published,
    while an unknown id must be asked again (it may be published later)."""
    readable, published = request.app.state.zl.reading.readable(
        article_id, staff=session_user(request) is not None)
    if published:
        remember_readable(request, article_id)
    return readable


@router.post("/read/beat", status_code=204)
async def heartbeat(request: Request) -> Response:
    """``{"v": view id, "a": article id, "s": visible seconds so far in this view}``, sent
    by fetch(keepalive) or navigator.sendBeacon (any content type). An article the
    visitor cannot read is refused here (404), so nothing the store would refuse is
    ever buffered."""
    _same_origin(request)
    parsed = parse_beat(await request.body())
    if parsed is None:
        return Response(status_code=400)
    view, article_id, seconds = parsed
    if (article_id not in request.app.state.readable_articles
            and not await run_in_threadpool(_readable, request, article_id)):
        return Response(status_code=404)
    request.app.state.zl.records.beat(current_reader(request), article_id, view, seconds)
    return Response(status_code=204)


@router.post("/read/studied")
async def studied(request: Request, article_id: FormId, issue_id: OptionalFormId = None,
                  back: str = Form(""), view: str = Form("", max_length=40),
                  seconds: int = Form(-1, le=10**7)) -> RedirectResponse:
    """我已学习. reading.js adds the page view's reading time so far (``view``,
    ``seconds``): the last heartbeat then never arrives after the confirmation.

    No transaction of its own: the confirmation joins the record buffer's next flush
    (a group commit, see ``study.records``) and the answer waits for that commit, so the
    page the reader is sent back to shows it."""
    _same_origin(request)
    reader = current_reader(request)
    records = request.app.state.zl.records
    staff = session_user(request) is not None
    view_time = _view_time(view, seconds)
    if view_time is not None and (
            article_id in request.app.state.readable_articles
            or await run_in_threadpool(_readable, request, article_id)):
        records.beat(reader, article_id, *view_time)
    done = records.confirm(reader, article_id, issue_id=issue_id, staff=staff)
    if not records.running:          # an app without its lifespan (tests): flush here
        await run_in_threadpool(records.flush)
    await asyncio.wrap_future(done)   # NotFoundError, or the database's error, raised here
    return RedirectResponse(studied_target(article_id, issue_id, back), status_code=303)
