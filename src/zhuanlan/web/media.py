"""Pictures of articles, served from our own server: ``GET /img/{id}``.

The worker fetched each picture once (``jobs/images.py``) and kept it as a file named
by its SHA-256; here it is served with the MIME type read from its bytes, never sniffed
by the browser, under a policy that forbids it to run anything, cached for a year
(a row's picture never changes) and revalidated by its hash.

``ContentSecurityPolicy`` is a small ASGI middleware for the HTML pages: they may load
only from this server (no outlet's image, script or font reaches the reader's browser).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, Response
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from zhuanlan.web.auth import session_user
from zhuanlan.web.params import PathId

router = APIRouter()

IMAGE_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'",
}
CACHE_FOREVER = "public, max-age=31536000, immutable"

# For the HTML pages: everything from this server only, no plug-ins, no framing. Inline
# style attributes are allowed (some pages indent rows with them; with every load
# restricted to 'self' a style cannot reach outside); inline scripts are not.
PAGE_POLICY = ("default-src 'self'; img-src 'self'; style-src 'self' 'unsafe-inline'; "
               "script-src 'self'; "
               "connect-src 'self'; object-src 'none'; base-uri 'none'; "
               "frame-ancestors 'none'; form-action 'self'")


def _matches(if_none_match: str, etag: str) -> bool:
    """RFC 9110 §13.1.2: weak comparison over the listed tags, ``*`` matches all."""
    for tag in if_none_match.split(","):
        tag = tag.strip()
        if tag == "*" or tag.removeprefix("W/") == etag:
            return True
    return False


@router.get("/img/{image_id}")
def image(request: Request, image_id: PathId) -> Response:
    stored, public = request.app.state.zl.reading.picture(
        image_id, staff=session_user(request) is not None)
    if stored is None:
        # Not fetched (yet), refused or too large, or of an article that was never
        # published (readers see only those): nothing to show.
        return Response("not found", status_code=404, media_type="text/plain",
                        headers={**IMAGE_HEADERS, "Cache-Control": "no-store"})
    etag = f'"{stored.sha256}"'
    # A picture only staff may see must not sit in a shared cache (nginx, a proxy).
    headers = {**IMAGE_HEADERS, "ETag": etag,
               "Cache-Control": CACHE_FOREVER if public else "private, no-cache"}
    if _matches(request.headers.get("if-none-match", ""), etag):
        return Response(status_code=304, headers=headers)
    try:
        stat = stored.path.stat()
    except FileNotFoundError:
        return Response("not found", status_code=404, media_type="text/plain",
                        headers={**IMAGE_HEADERS, "Cache-Control": "no-store"})
    return FileResponse(stored.path, media_type=stored.mime, headers=headers,
                        stat_result=stat)


class ContentSecurityPolicy:
    """Adds ``Content-Security-Policy`` (``PAGE_POLICY`` unless given) and
    ``X-Content-Type-Options: nosniff`` to HTML responses that set no policy of their
    own. ``app.add_middleware(ContentSecurityPolicy)``."""

    def __init__(self, app: ASGIApp, policy: str = PAGE_POLICY) -> None:
        self.app = app
        self.policy = policy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_policy(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if (headers.get("content-type", "").startswith("text/html")
                        and "content-security-policy" not in headers):
                    headers["Content-Security-Policy"] = self.policy
                    if "x-content-type-options" not in headers:
                        headers["X-Content-Type-Options"] = "nosniff"
            await send(message)

        await self.app(scope, receive, send_with_policy)
