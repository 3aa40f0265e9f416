"""The ASGI app: the reader's pages, the editor's desk, administration and the JSON API.
Handlers parse, call the facade (``app.state.zl``), render."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware

from zhuanlan.core import Zhuanlan
from zhuanlan.errors import NotFoundError, PermissionDenied
from zhuanlan.web import admin, auth, desk, reader
from zhuanlan.web.render import make_templates, render

HERE = Path(__file__).parent


def create_app(zl: Zhuanlan) -> FastAPI:
    app = FastAPI(title="zhuanlan 专栏", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.zl = zl
    app.state.templates = make_templates(zl.tz)
    app.add_middleware(
        SessionMiddleware, secret_key=zl.cfg.secret_key, session_cookie="zhuanlan_session",
        max_age=zl.cfg["web.session_hours"] * 3600, same_site="lax",
        https_only=zl.cfg["web.secure_cookies"])
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    @app.exception_handler(NotFoundError)
    async def not_found(request: Request, exc: NotFoundError) -> HTMLResponse:
        return render(request, "error.html", 404, title="未找到", message=f"未找到：{exc}")

    @app.exception_handler(auth.LoginRequired)
    async def login_required(request: Request, exc: auth.LoginRequired) -> RedirectResponse:
        return auth.login_redirect(request)

    @app.exception_handler(PermissionDenied)
    async def forbidden(request: Request, exc: PermissionDenied) -> HTMLResponse:
        return render(request, "error.html", 403, title="没有权限", message=exc.message)

    for module in (reader, auth, desk, admin):
        app.include_router(module.router)
    from zhuanlan.web import api
    app.mount("/api/v1", api.create_api(zl))
    return app
