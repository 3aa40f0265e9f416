"""Staff login, sessions and CSRF for the web pages.

The browser keeps a signed cookie (Starlette's SessionMiddleware: HttpOnly, SameSite=Lax,
Secure when ``web.secure_cookies``) carrying a random session token; the session itself
lives in the store (``zhuanlan.store.staff``) and is checked on every request, so logging
out, a password change or a deactivation ends it on the server, whatever a copied cookie
says. Every POST made from a page carries the session's CSRF token, checked by
``csrf_protect``.
"""

from __future__ import annotations

import hmac
import secrets
from urllib.parse import quote

from fastapi import Depends, Request
from fastapi.responses import RedirectResponse

from zhuanlan.app.staff import StaffUser
from zhuanlan.errors import AuthError, PermissionDenied

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


class LoginRequired(AuthError):
    """A page needs a logged-in staff user; the handler sends them to the login page."""


def csrf_token(request: Request) -> str:
    session = request.session
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(24)
    return session["csrf"]


async def csrf_protect(request: Request) -> None:
    """Refuse a state-changing request whose form (or X-CSRF-Token header) does not carry
    the session's token."""
    if request.method in SAFE_METHODS:
        return
    expected = request.session.get("csrf")
    sent: object = request.headers.get("x-csrf-token")
    if sent is None:
        form = await request.form()
        sent = form.get("csrf_token")
    if not expected or not isinstance(sent, str) or not hmac.compare_digest(expected, sent):
        raise PermissionDenied("表单已过期或来源不明（CSRF 校验失败），请刷新页面后重试",
                               resource="csrf")


def session_user(request: Request) -> StaffUser | None:
    """The logged-in staff user, looked up once per request."""
    if "staff_user" in request.scope:
        return request.scope["staff_user"]
    user = None
    token = request.session.get("sid") if "session" in request.scope else None
    if isinstance(token, str):
        user = request.app.state.zl.staff.session_user(token)
        if user is None:
            request.session.pop("sid", None)
    request.scope["staff_user"] = user
    return user


def staff_user(request: Request) -> StaffUser:
    user = session_user(request)
    if user is None:
        raise LoginRequired("请先登录", resource=request.url.path)
    return user


def admin_user(user: StaffUser = Depends(staff_user)) -> StaffUser:
    user.require_admin()
    return user


def safe_next(target: str, default: str = "/admin") -> str:
    """``target`` when it is a path on this site, else ``default``: an absolute or
    scheme-relative URL would be an open redirect."""
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target


def login_redirect(request: Request) -> RedirectResponse:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?next={quote(target)}", status_code=303)
