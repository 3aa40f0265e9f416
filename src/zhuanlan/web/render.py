"""Templates and the one function handlers render pages with.

Every page gets the logged-in staff user (or None) and the session's CSRF token, so
templates can show the right navigation and every form can carry the token.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from urllib.parse import quote
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates

from zhuanlan.jobs.publishing import summary_of
from zhuanlan.publish.schedule import describe
from zhuanlan.staff import ROLE_NAMES
from zhuanlan.web.marks import mark

HERE = Path(__file__).parent


def make_templates(tz_name: str) -> Jinja2Templates:
    templates = Jinja2Templates(directory=HERE / "templates")
    tz = ZoneInfo(tz_name)

    def local(dt: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
        return dt.astimezone(tz).strftime(fmt) if dt else ""

    templates.env.filters["local"] = local
    templates.env.filters["summary"] = summary_of
    templates.env.filters["mark"] = mark
    templates.env.globals["describe_schedule"] = describe
    templates.env.globals["role_names"] = ROLE_NAMES
    return templates


def render(request: Request, name: str, status_code: int = 200, **ctx) -> HTMLResponse:
    from zhuanlan.web.auth import csrf_token, session_user
    ctx.setdefault("user", session_user(request))
    ctx.setdefault("csrf_token", csrf_token(request))
    return request.app.state.templates.TemplateResponse(request, name, ctx,
                                                        status_code=status_code)


def flash_redirect(path: str, *, error: str = "", done: str = "") -> RedirectResponse:
    """303 back to ``path`` with the message the page shows (``error`` or ``done``)."""
    sep = "&" if "?" in path else "?"
    query = f"{sep}error={quote(error)}" if error else (f"{sep}done={quote(done)}" if done else "")
    return RedirectResponse(f"{path}{query}", status_code=303)
