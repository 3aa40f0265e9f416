"""The browser's word that 我已学习 was just answered, for the page it leads back to.

The reader lane answers a confirmation once it is in its process's journal, before the
group commit stores it (``RecordBuffer.keep_confirmation``). The page's ``/read/state``
that follows shows it at once when it reaches the same process (it looks in its buffer),
but with several web processes (``serve --workers``, or nginx in front) it may reach
another, which cannot see that buffer yet. So the 303 carries a short-lived signed
cookie naming the reader, the article and the confirmation's time, sent only to
``/read/…``; a process whose store does not show the confirmation yet shows this one.
Signed with the reader in it, it cannot be made or moved to another reader, and it
only ever changes what its own bearer sees for a minute, never what is counted.
"""

from __future__ import annotations

from datetime import datetime

from starlette.requests import Request
from starlette.responses import Response

from zhuanlan.errors import AuthError
from zhuanlan.study.records import Reader

HINT_COOKIE = "zhuanlan_studied"
HINT_SECONDS = 60
_PURPOSE = "studied-hint"
_SKEW_SECONDS = 5        # processes of one machine read one clock; a little leeway all the same


def set_hint(request: Request, response: Response, reader: Reader, article_id: int,
             at: datetime) -> None:
    """Put the hint of a confirmation answered before it was stored on ``response``."""
    zl = request.app.state.zl
    token = zl.links.sign(_PURPOSE, [reader.key, article_id, at.isoformat()])
    response.set_cookie(HINT_COOKIE, token, max_age=HINT_SECONDS, path="/read",
                        httponly=True, samesite="lax", secure=zl.cfg["web.secure_cookies"])


def hint_of(request: Request, reader: Reader, article_id: int) -> datetime | None:
    """When the request's hint says the reader confirmed the article, or None (no hint,
    another reader's or article's, forged, or older than ``HINT_SECONDS``)."""
    token = request.cookies.get(HINT_COOKIE)
    if not token:
        return None
    zl = request.app.state.zl
    try:
        key, hinted, at = zl.links.verify(_PURPOSE, token)
        at = datetime.fromisoformat(at)
        age = (zl.clock() - at).total_seconds()
    except (AuthError, ValueError, TypeError):
        return None
    if key != reader.key or hinted != article_id or not -_SKEW_SECONDS <= age <= HINT_SECONDS:
        return None
    return at
