"""Refuses, before any handler runs, what no page of ours can take: NUL characters in
the path, the query or a form/JSON body (PostgreSQL cannot store them in text, and no
person types one), and form or JSON bodies beyond a size no form of ours needs.

Uploads (multipart) are left to their handlers, which bound them: a file may contain
any byte.
"""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

MAX_FORM_BYTES = 2 * 1024 * 1024
_SCANNED = (b"application/x-www-form-urlencoded", b"application/json", b"text/plain")


class InputGuard:
    def __init__(self, app: ASGIApp, max_body: int = MAX_FORM_BYTES) -> None:
        self.app = app
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if "\x00" in scope.get("path", "") or has_nul(scope.get("query_string", b"")):
            await _refuse(send, 422, "请求无效：地址中含有空字符（\\0）")
            return
        ctype = dict(scope.get("headers") or []).get(b"content-type", b"").split(b";")[0]
        if scope.get("method") in ("GET", "HEAD") or ctype.strip().lower() not in _SCANNED:
            await self.app(scope, receive, send)
            return
        body = bytearray()
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > self.max_body:
                await _refuse(send, 413, "请求无效：提交的内容太大")
                return
        if has_nul(bytes(body)):
            await _refuse(send, 422, "请求无效：提交的内容含有空字符（\\0）")
            return
        await self.app(scope, replay(bytes(body), receive), send)


def replay(body: bytes, receive: Receive, *, more: bool = False) -> Receive:
    """``receive`` for the app behind a layer that read the body: the body read so far,
    then the rest as it comes."""
    given = False

    async def replayed() -> Message:
        nonlocal given
        if given:
            return await receive()
        given = True
        return {"type": "http.request", "body": body, "more_body": more}

    return replayed


def has_nul(data: bytes) -> bool:
    lowered = data.lower()
    return b"\x00" in data or b"%00" in lowered or b"\\u0000" in lowered


async def _refuse(send: Send, status: int, message: str) -> None:
    body = json.dumps({"error": "BadRequest", "message": message},
                      ensure_ascii=False).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json; charset=utf-8"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
