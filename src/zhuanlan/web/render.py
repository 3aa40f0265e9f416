"""Templates and the one function handlers render pages with.

Every page gets the logged-in staff user (or None) and the session's CSRF token, so
templates can show the right navigation and every form can carry the token.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates

from zhuanlan.app.staff import ROLE_NAMES
from zhuanlan.editorial.assemble import summary_of
from zhuanlan.editorial.flags import flag_notes
from zhuanlan.explain import explain
from zhuanlan.publish.schedule import describe
from zhuanlan.web.auth import csrf_token, session_user
from zhuanlan.web.marks import mark, mark_hit

HERE = Path(__file__).parent


def make_templates(tz_name: str) -> Jinja2Templates:
    templates = Jinja2Templates(directory=HERE / "templates")
    tz = ZoneInfo(tz_name)

    def local(dt: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
        return dt.astimezone(tz).strftime(fmt) if dt else ""

    templates.env.filters["local"] = local
    templates.env.filters["summary"] = summary_of
    templates.env.filters["mark"] = mark
    templates.env.filters["mark_hit"] = mark_hit
    templates.env.globals["describe_schedule"] = describe
    templates.env.globals["role_names"] = ROLE_NAMES
    templates.env.globals["explain"] = explain
    templates.env.globals["flag_notes"] = flag_notes
    return templates


def render(request: Request, name: str, status_code: int = 200, **ctx) -> HTMLResponse:
    flash = request.session.pop("flash", None) if "session" in request.scope else None
    if isinstance(flash, dict):
        for key in ("error", "done"):
            if flash.get(key) and not ctx.get(key):
                ctx[key] = str(flash[key])
    ctx.setdefault("user", session_user(request))
    ctx.setdefault("csrf_token", csrf_token(request))
    return request.app.state.templates.TemplateResponse(request, name, ctx,
                                                        status_code=status_code)


def render_shared(request: Request, name: str, **ctx) -> HTMLResponse:
    """A reader's page that is the same for every reader (``app.page_cache`` keeps it):
    rendered without the session — no staff navigation, no CSRF token, no flash message
    meant for one browser."""
    return request.app.state.templates.TemplateResponse(
        request, name, {**ctx, "user": None, "csrf_token": ""})


FLASH_CHARS = 500


def flash(request: Request, *, error: str = "", done: str = "") -> None:
    """Keep a one-line message for the next page this browser renders.

    It travels in the signed session cookie, never in the URL: a link that someone else
    made cannot put their words on our page ("账号已冻结，请到 http://…")."""
    if error or done:
        request.session["flash"] = {"error": error[:FLASH_CHARS], "done": done[:FLASH_CHARS]}


def flash_redirect(request: Request, path: str, *, error: str = "",
                   done: str = "") -> RedirectResponse:
    """303 to ``path``; the page shows ``error`` or ``done`` once (see ``flash``)."""
    flash(request, error=error, done=done)
    return RedirectResponse(path, status_code=303)
