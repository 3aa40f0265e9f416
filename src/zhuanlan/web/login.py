"""The login and logout pages (the sessions themselves: ``web.auth``)."""

from __future__ import annotations

import secrets

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from zhuanlan.errors import AuthError, RateLimited
from zhuanlan.web.auth import csrf_protect, safe_next, session_user
from zhuanlan.web.render import render

router = APIRouter()


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = "/admin") -> HTMLResponse:
    return render(request, "login.html", next=safe_next(next),
                  no_users=request.app.state.zl.staff.count_users() == 0)


@router.post("/login", dependencies=[Depends(csrf_protect)])
def login(request: Request, username: str = Form(""), password: str = Form(""),
          next: str = Form("/admin")):
    zl = request.app.state.zl
    client = request.client.host if request.client else ""
    try:
        user = zl.staff.authenticate(username.strip(), password, client=client)
    except RateLimited as exc:
        response = render(request, "login.html", 429, next=safe_next(next), error=exc.message,
                          username=username, no_users=False)
        response.headers["Retry-After"] = str(int(exc.retry_after))
        return response
    except AuthError as exc:
        return render(request, "login.html", 401, next=safe_next(next), error=exc.message,
                      username=username, no_users=False)
    request.session.clear()
    request.session.update(sid=zl.staff.start_session(user, client=client),
                           csrf=secrets.token_urlsafe(24))
    return RedirectResponse(safe_next(next), status_code=303)


@router.post("/logout", dependencies=[Depends(csrf_protect)])
def logout(request: Request) -> RedirectResponse:
    """Ends this session on the server too: a copy of the cookie stops working."""
    token = request.session.get("sid")
    if isinstance(token, str):
        request.app.state.zl.staff.end_session(token, user=session_user(request))
    request.session.clear()
    return RedirectResponse("/login", status_code=303)
