"""The app's middleware for readers: an unknown reader inside a messaging app goes to its
login (``app_login.in_app_redirect``); the cookies the handlers decided on
(``readers.current_reader``, the personal link) are attached to the answer.

Pure ASGI: Starlette's ``@app.middleware("http")`` costs a task group and a stream per
request, on every request of the app (bench/reader.py: the static file's rate)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from zhuanlan.web.app_login import in_app_redirect
from zhuanlan.web.readers import cookie_headers


class ReaderCookies:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        if (redirect := in_app_redirect(request)) is not None:
            await redirect(scope, receive, send)
            return

        async def with_cookies(message: Message) -> None:
            if message["type"] == "http.response.start":
                if extra := cookie_headers(request):
                    message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, with_cookies)
