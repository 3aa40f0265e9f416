"""Administration pages: sources and their health, the audit log, staff accounts, and
each user's own API tokens."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from zhuanlan.errors import AuthError, ConfigError, NotFoundError, PermissionDenied, RateLimited
from zhuanlan.staff import ROLES, StaffUser
from zhuanlan.web.auth import admin_user, csrf_protect, staff_user
from zhuanlan.web.render import render
from zhuanlan.web.status import source_status

router = APIRouter(prefix="/admin", dependencies=[Depends(csrf_protect)])


@router.get("/sources", response_class=HTMLResponse)
def sources_page(request: Request, user: StaffUser = Depends(staff_user)) -> HTMLResponse:
    return render(request, "sources.html", sources=request.app.state.zl.list_sources(),
                  status=source_status)


@router.post("/sources/{source_id}/poll")
def poll_source(request: Request, source_id: int,
                user: StaffUser = Depends(staff_user)) -> RedirectResponse:
    # Polling now changes nothing an editor could not wait for; any staff may ask.
    zl = request.app.state.zl
    zl.get_source(source_id)
    zl.poll_now(source_id)
    return RedirectResponse("/admin/sources", status_code=303)


@router.get("/audit", response_class=HTMLResponse)
def audit_page(request: Request, user: StaffUser = Depends(admin_user)) -> HTMLResponse:
    return render(request, "audit.html", entries=request.app.state.zl.audit())


# -- staff accounts (administrators) -----------------------------------------------

@router.get("/users", response_class=HTMLResponse)
def users_page(request: Request, error: str = "", done: str = "",
               user: StaffUser = Depends(admin_user)) -> HTMLResponse:
    zl = request.app.state.zl
    return render(request, "users.html", users=zl.staff.list_users(), roles=ROLES,
                  columns=zl.list_columns(), error=error, done=done)


def _users_back(error: str = "", done: str = "") -> RedirectResponse:
    query = f"?error={quote(error)}" if error else (f"?done={quote(done)}" if done else "")
    return RedirectResponse(f"/admin/users{query}", status_code=303)


@router.post("/users")
def add_user(request: Request, username: str = Form(""), password: str = Form(""),
             role: str = Form("editor"), display_name: str = Form(""),
             column: list[str] = Form(default=[]),
             user: StaffUser = Depends(admin_user)) -> RedirectResponse:
    try:
        request.app.state.zl.staff.add_user(username.strip(), password, role=role,
                                            display_name=display_name.strip(),
                                            columns_=column, by=user.username)
    except (ConfigError, NotFoundError) as exc:
        return _users_back(error=exc.message)
    return _users_back(done=f"已添加用户 {username.strip()}")


@router.post("/users/{username}")
def update_user(request: Request, username: str, role: str = Form(...),
                active: str = Form("0"), column: list[str] = Form(default=[]),
                password: str = Form(""),
                user: StaffUser = Depends(admin_user)) -> RedirectResponse:
    staff = request.app.state.zl.staff
    try:
        staff.update_user(username, role=role, active=active == "1", columns_=column,
                          by=user.username)
        if password:
            staff.set_password(username, password, by=user.username)
    except (ConfigError, NotFoundError, PermissionDenied) as exc:
        return _users_back(error=exc.message)
    return _users_back(done=f"已更新用户 {username}")


# -- my account: API tokens ----------------------------------------------------------

@router.get("/me", response_class=HTMLResponse)
def me_page(request: Request, user: StaffUser = Depends(staff_user)) -> HTMLResponse:
    zl = request.app.state.zl
    fresh = request.session.pop("fresh_token", None)   # shown once, then gone
    return render(request, "me.html", tokens=zl.staff.list_tokens(user.username), fresh=fresh)


@router.post("/me/tokens")
def create_token(request: Request, name: str = Form("API"),
                 user: StaffUser = Depends(staff_user)) -> RedirectResponse:
    _, token = request.app.state.zl.staff.create_token(user.username, name)
    request.session["fresh_token"] = token
    return RedirectResponse("/admin/me", status_code=303)


@router.post("/me/tokens/{token_id}/revoke")
def revoke_token(request: Request, token_id: int,
                 user: StaffUser = Depends(staff_user)) -> RedirectResponse:
    request.app.state.zl.staff.revoke_token(token_id, user=user)
    return RedirectResponse("/admin/me", status_code=303)


@router.post("/me/password")
def change_password(request: Request, current: str = Form(""), password: str = Form(""),
                    user: StaffUser = Depends(staff_user)):  # noqa: ANN201
    zl = request.app.state.zl
    tokens = zl.staff.list_tokens(user.username)
    try:
        zl.staff.authenticate(user.username, current,
                              client=request.client.host if request.client else "")
        zl.staff.set_password(user.username, password, by=user.username)
    except (AuthError, ConfigError) as exc:
        return render(request, "me.html", 400, tokens=tokens, fresh=None, error=exc.message)
    except RateLimited as exc:
        return render(request, "me.html", 429, tokens=tokens, fresh=None, error=exc.message)
    fresh_user = zl.staff.by_name(user.username)
    request.session.update(epoch=fresh_user.epoch)
    return render(request, "me.html", tokens=tokens, fresh=None, done="密码已修改",
                  user=fresh_user)
