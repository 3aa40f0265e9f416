"""The apps' web login for readers (``zhuanlan.app.app_login``): ``/app-login/{app}``
starts it, the platform sends the reader back to ``/app-login/{app}/callback``.

A reader page opened inside 企业微信, 钉钉 or 飞书 (known by the user agent the apps
send) by someone the site does not know yet goes through the login of the first enabled
app of that platform once; if the platform or the directory does not know them, they read
anonymously and are not sent round again for an hour.
"""

from __future__ import annotations

import logging
import time
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from zhuanlan.app.app_login import STATE_SECONDS
from zhuanlan.errors import AuthError, DeliveryError, NotFoundError
from zhuanlan.web.auth import safe_next
from zhuanlan.web.params import PathId
from zhuanlan.web.readers import READER_COOKIE, current_reader, remember_reader

log = logging.getLogger(__name__)
router = APIRouter()

# What each app puts in its in-app browser's user agent.
IN_APP = (("wxwork", "wecom_app"), ("dingtalk", "dingtalk_app"), ("lark", "feishu_app"),
          ("feishu", "feishu_app"))
TRIED_COOKIE = "zhuanlan_app_tried"
LOGIN_COOKIE = "zhuanlan_app_login"
TRIED_SECONDS = 3600
_APPS_TTL = 60.0


def platform_of(user_agent: str) -> str | None:
    ua = user_agent.lower()
    return next((kind for mark, kind in IN_APP if mark in ua), None)


def _app_for(request: Request, kind: str) -> int | None:
    """The first enabled app of the platform; cached for a minute per process."""
    state = request.app.state
    cache = getattr(state, "app_logins", None)
    if cache is None:
        cache = state.app_logins = {}
    hit = cache.get(kind)
    if hit is None or time.monotonic() - hit[0] > _APPS_TTL:
        hit = cache[kind] = (time.monotonic(), request.app.state.zl.app_login.app_for(kind))
    return hit[1]


def in_app_redirect(request: Request) -> Response | None:
    """For a reader page opened inside an app by an unknown reader: the app's login."""
    if (request.method != "GET" or request.cookies.get(READER_COOKIE)
            or request.cookies.get(TRIED_COOKIE)
            or not request.url.path.startswith(("/c/", "/a/"))
            or request.url.path.endswith(".atom")):
        return None
    kind = platform_of(request.headers.get("user-agent", ""))
    app_id = _app_for(request, kind) if kind else None
    if app_id is None:
        return None
    path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    response = RedirectResponse(f"/app-login/{app_id}?next={quote(path, safe='')}",
                                status_code=303)
    response.set_cookie(TRIED_COOKIE, "1", max_age=TRIED_SECONDS, httponly=True,
                        samesite="lax", secure=request.app.state.zl.cfg["web.secure_cookies"])
    return response


@router.get("/app-login/{app_id}")
def begin(request: Request, app_id: PathId, next: str = "/") -> RedirectResponse:
    target = safe_next(next, "/")
    if current_reader(request).known:
        return RedirectResponse(target, status_code=303)
    try:
        url, cookie = request.app.state.zl.app_login.start(app_id, target)
    except (NotFoundError, DeliveryError) as exc:
        # No such app any more, or the platform cannot be reached: read anonymously.
        log.warning("app login not started", extra={"app": app_id, "error": str(exc)})
        return RedirectResponse(target, status_code=303)
    response = RedirectResponse(url, status_code=303)
    response.set_cookie(LOGIN_COOKIE, cookie, max_age=STATE_SECONDS, httponly=True,
                        samesite="lax", path="/app-login",
                        secure=request.app.state.zl.cfg["web.secure_cookies"])
    return response


@router.get("/app-login/{app_id}/callback")
def callback(request: Request, app_id: PathId, state: str = "", code: str = "",
             authCode: str = "") -> RedirectResponse:
    """Raises AuthError (the error page) for a forged, expired, replayed or foreign
    login."""
    zl = request.app.state.zl
    try:
        identified = zl.app_login.finish(app_id, code=code or authCode, state=state,
                                         cookie=request.cookies.get(LOGIN_COOKIE))
    except NotFoundError as exc:
        raise AuthError("这个应用已停用或不存在", resource="app-login") from exc
    except DeliveryError as exc:
        raise AuthError(f"平台未能确认您的身份：{exc.message}", resource="app-login") from exc
    response = RedirectResponse(safe_next(identified.next_path, "/"), status_code=303)
    response.delete_cookie(LOGIN_COOKIE, path="/app-login")
    if identified.subscriber_id is not None and zl.subscriber_active(identified.subscriber_id):
        remember_reader(request, identified.subscriber_id)
    else:
        log.info("app login: not in the directory", extra={
            "app": app_id, "platform_user": identified.platform_user})
    return response
