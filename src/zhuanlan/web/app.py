"""The ASGI app: the reader's pages, the editor's desk, administration and the JSON API.
Handlers parse, call the facade (``app.state.zl``), render."""

from __future__ import annotations

import json
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware

from zhuanlan.core import Zhuanlan
from zhuanlan.errors import (
    AuthError,
    ConfigError,
    InvalidTransition,
    NotFoundError,
    PermissionDenied,
    RuleError,
    SourceError,
)
from zhuanlan.web import (
    admin,
    app_login,
    auth,
    channels,
    columns,
    desk,
    ledger,
    login,
    media,
    people,
    person,
    quiz,
    reader,
    readers,
    reflections,
    search,
    source_edit,
    stats,
)
from zhuanlan.web.active_people import ActivePeople
from zhuanlan.web.framework import NO_TELEMETRY
from zhuanlan.web.guard import InputGuard
from zhuanlan.web.kept_pages import KeptPages
from zhuanlan.web.params import validation_detail, validation_message
from zhuanlan.web.reader_cookies import ReaderCookies
from zhuanlan.web.render import make_templates, render

HERE = Path(__file__).parent


def create_app(zl: Zhuanlan) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI):
        zl.db.checkpoints.start()
        zl.records.start()
        zl.reading.pages.start()
        app.state.active_people.start()
        try:
            yield
        finally:
            app.state.active_people.stop()
            zl.reading.pages.stop()
            zl.records.stop()
            zl.db.checkpoints.stop()
            zl.db.close_loop_reads()

    app = FastAPI(title="zhuanlan 专栏", docs_url=None, redoc_url=None, openapi_url=None,
                  lifespan=lifespan, telemetry=NO_TELEMETRY)
    app.state.zl = zl
    app.state.active_people = ActivePeople(zl.people.active_subscriber_ids, zl.subscriber_active)
    app.state.readable_articles = set()
    app.state.verified_readers = {}          # signed reader cookie → person (web.readers)
    app.state.templates = make_templates(zl.tz)
    app.add_middleware(
        SessionMiddleware, secret_key=zl.cfg.secret_key, session_cookie="zhuanlan_session",
        max_age=zl.cfg["web.session_hours"] * 3600, same_site="lax",
        https_only=zl.cfg["web.secure_cookies"])
    app.add_middleware(media.ContentSecurityPolicy)
    app.add_middleware(InputGuard)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> HTMLResponse:
        errors = exc.errors()
        return render(request, "error.html", 422, title="请求无效",
                      message=validation_message(errors),
                      detail=json.dumps(validation_detail(errors), ensure_ascii=False,
                                        indent=1))

    @app.exception_handler(NotFoundError)
    async def not_found(request: Request, exc: NotFoundError) -> HTMLResponse:
        return render(request, "error.html", 404, title="未找到", message=exc.message)

    @app.exception_handler(InvalidTransition)
    async def conflict(request: Request, exc: InvalidTransition) -> HTMLResponse:
        return render(request, "error.html", 409, title="无法执行", message=exc.message)

    for kind in (RuleError, ConfigError, SourceError):
        # A value the user gave that we cannot take: say which and why, on a page.
        app.add_exception_handler(kind, lambda request, exc: render(
            request, "error.html", 422, title="无法执行", message=exc.message))

    @app.exception_handler(auth.LoginRequired)
    async def login_required(request: Request, exc: auth.LoginRequired) -> RedirectResponse:
        return auth.login_redirect(request)

    @app.exception_handler(AuthError)
    async def bad_link(request: Request, exc: AuthError) -> HTMLResponse:
        return render(request, "error.html", 403, title="链接无效", message=exc.message)

    @app.exception_handler(PermissionDenied)
    async def forbidden(request: Request, exc: PermissionDenied) -> HTMLResponse:
        return render(request, "error.html", 403, title="没有权限", message=exc.message)

    app.add_middleware(ReaderCookies)

    # Outermost: a kept article page for a known reader skips all of the above.
    app.add_middleware(KeptPages)

    for module in (reader, readers, search, media, login, desk, columns, admin, source_edit,
                   people, person, ledger, stats, channels, app_login, quiz):
        app.include_router(module.router)
    app.include_router(people.public_router)
    app.include_router(reflections.router)
    app.include_router(reflections.admin_router)
    from zhuanlan.web import api
    app.mount("/api/v1", api.create_api(zl))
    return app
