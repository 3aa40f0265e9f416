"""Administration pages: sources and their health, the audit log, staff accounts, and
each user's own API tokens."""

from __future__ import annotations

import re

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from zhuanlan.app.staff import ROLES, StaffUser
from zhuanlan.errors import (
    AuthError,
    ConfigError,
    NotFoundError,
    PermissionDenied,
    RateLimited,
    SourceError,
)
from zhuanlan.sources.health import source_status
from zhuanlan.web.auth import admin_user, csrf_protect, staff_user
from zhuanlan.web.params import PathId
from zhuanlan.web.render import flash_redirect, render

router = APIRouter(prefix="/admin", dependencies=[Depends(csrf_protect)])


@router.get("/sources", response_class=HTMLResponse)
def sources_page(request: Request,
                 user: StaffUser = Depends(staff_user)) -> HTMLResponse:
    return _sources_page(request, user)


def _sources_page(request: Request, user: StaffUser, status_code: int = 200, **ctx):
    from zhuanlan.sources.presets import load_presets
    zl = request.app.state.zl
    known = {s["preset"] for s in zl.list_sources() if s["preset"]}
    ctx.setdefault("form", {"mode": "feed"})
    return render(request, "sources.html", status_code, sources=zl.list_sources(),
                  status=source_status, manage=user.is_admin,
                  presets=load_presets(), presets_added=known, **ctx)


# The add-source form: the fields of each mode (see source_probe.probe_source).
_FORM_FIELDS = ("mode", "name", "preset", "url", "item", "links", "date", "items",
                "f_title", "f_url", "f_date")


def _source_request(form: dict[str, str]) -> tuple[str, str, dict | None, str | None, str]:
    """(kind, url, spec, preset, error) from the add-source form."""
    mode = form.get("mode") or "feed"
    url = (form.get("url") or "").strip()
    if mode == "preset":
        if not form.get("preset"):
            return "", "", None, None, "请选择一个预置信息源"
        return "", "", None, form["preset"], ""
    if mode == "feed":
        return "feed", url, None, None, ""
    if mode == "html":
        item, links = (form.get("item") or "").strip(), (form.get("links") or "").strip()
        if not item and not links:
            return "", "", None, None, "请填写列表条目的 CSS 选择器"
        spec = {"links": links or "a"}
        if item:
            spec["item"] = item
        if (form.get("date") or "").strip():
            spec["date"] = form["date"].strip()
        return "html", url, spec, None, ""
    if mode == "json":
        fields = {k: (form.get(f"f_{k}") or "").strip() for k in ("title", "url", "date")}
        if not fields["title"] or not fields["url"]:
            return "", "", None, None, "请填写标题和链接在每个条目中的路径"
        return "json", url, {"items": (form.get("items") or "").strip(),
                             "fields": {k: v for k, v in fields.items() if v}}, None, ""
    return "", "", None, None, "未知的信息源类型"


def _probe_form(request: Request, form: dict[str, str]):
    from zhuanlan.app.source_probe import probe_source
    kind, url, spec, preset, error = _source_request(form)
    if error:
        return None, error
    return probe_source(request.app.state.zl, kind, url, spec, preset=preset), ""


async def _source_form(request: Request) -> dict[str, str]:
    data = await request.form()
    return {k: str(data.get(k) or "") for k in _FORM_FIELDS}


@router.post("/sources/test", response_class=HTMLResponse)
async def test_source(request: Request, user: StaffUser = Depends(admin_user)) -> HTMLResponse:
    """Fetch and show what the source would give, without saving anything."""
    from starlette.concurrency import run_in_threadpool
    form = await _source_form(request)
    probe, error = await run_in_threadpool(_probe_form, request, form)
    return _sources_page(request, user, 200 if probe and probe.ok else 400, form=form,
                         probe=probe, form_error=error or (probe.error if probe else ""))


@router.post("/sources/add", response_class=HTMLResponse)
async def add_source(request: Request, user: StaffUser = Depends(admin_user)):
    """Save a source once it reads: the list is tried first, and nothing is saved when
    it cannot be read."""
    from starlette.concurrency import run_in_threadpool

    zl = request.app.state.zl
    form = await _source_form(request)
    probe, error = await run_in_threadpool(_probe_form, request, form)
    if probe is None or not probe.ok:
        return _sources_page(request, user, 400, form=form, probe=probe,
                             form_error=error or probe.error)
    try:
        if form["mode"] == "preset":
            source = zl.get_source(zl.sources.add_preset(form["preset"], name=form["name"],
                                                         by=user.username))
            name = source["name"]
        else:
            name = form["name"].strip() or probe.title.strip()[:200] or probe.url
            zl.add_source(name, probe.url, kind=probe.kind, refuse_existing=True,
                          spec=probe.spec if probe.kind != "feed" else None,
                          by=user.username)
    except (ConfigError, NotFoundError, SourceError) as exc:
        return _sources_page(request, user, 400, form=form, probe=probe,
                             form_error=f"无法保存：{exc.message}")
    # The form was posted to …#add; a redirect keeps that fragment unless it names its own.
    return flash_redirect(request, "/admin/sources#top", done="已添加信息源：" + name)


def _back(source_id: int, back: str) -> str:
    # Back to the edit page when asked from there; never anywhere a form names.
    edit = f"/admin/sources/{source_id}/edit"
    return edit if back == edit else "/admin/sources"


@router.post("/sources/{source_id}/enable")
def enable_source(request: Request, source_id: PathId, back: str = Form(""),
                  user: StaffUser = Depends(admin_user)) -> RedirectResponse:
    source = request.app.state.zl.update_source(source_id, enabled=True, by=user.username)
    return flash_redirect(request, _back(source_id, back), done="已启用：" + source["name"])


@router.post("/sources/{source_id}/disable")
def disable_source(request: Request, source_id: PathId, back: str = Form(""),
                   user: StaffUser = Depends(admin_user)) -> RedirectResponse:
    source = request.app.state.zl.update_source(source_id, enabled=False, by=user.username)
    return flash_redirect(request, _back(source_id, back), done="已停用：" + source["name"])


@router.post("/sources/{source_id}/poll")
def poll_source(request: Request, source_id: PathId,
                user: StaffUser = Depends(staff_user)) -> RedirectResponse:
    # Polling now changes nothing an editor could not wait for; any staff may ask.
    zl = request.app.state.zl
    source = zl.get_source(source_id)
    zl.poll_now(source_id)
    return flash_redirect(request, f"/admin/sources#source-{source_id}",
                          done=f"已开始抓取「{source['name']}」：新文章将在下一轮抓取后入库")


@router.get("/audit", response_class=HTMLResponse)
def audit_page(request: Request, user: StaffUser = Depends(admin_user)) -> HTMLResponse:
    return render(request, "audit.html", entries=request.app.state.zl.audit())


# -- staff accounts (administrators) -----------------------------------------------

@router.get("/users", response_class=HTMLResponse)
def users_page(request: Request,
               user: StaffUser = Depends(admin_user)) -> HTMLResponse:
    zl = request.app.state.zl
    return render(request, "users.html", users=zl.staff.list_users(), roles=ROLES,
                  columns=zl.list_columns(),
                  departments=[d["path"] for d in zl.people.departments()])


def _department_list(text: str) -> list[str]:
    """管辖单位 as typed: paths separated by commas, 、, semicolons or new lines."""
    if len(text) > 3000:
        raise ConfigError("departments", "管辖单位太长")
    return [p.strip() for p in re.split(r"[,，、;；\n]", text) if p.strip()]



@router.post("/users")
def add_user(request: Request, username: str = Form(""), password: str = Form(""),
             role: str = Form("editor"), display_name: str = Form(""),
             column: list[str] = Form(default=[]), departments: str = Form(""),
             user: StaffUser = Depends(admin_user)) -> RedirectResponse:
    try:
        request.app.state.zl.staff.add_user(username.strip(), password, role=role,
                                            display_name=display_name.strip(),
                                            columns_=column,
                                            departments=_department_list(departments),
                                            by=user.username)
    except (ConfigError, NotFoundError) as exc:
        return flash_redirect(request, "/admin/users", error=exc.message)
    return flash_redirect(request, "/admin/users", done=f"已添加用户 {username.strip()}")


@router.post("/users/{username}")
def update_user(request: Request, username: str, role: str = Form(...),
                active: str = Form("0"), column: list[str] = Form(default=[]),
                password: str = Form(""), departments: str = Form(""),
                user: StaffUser = Depends(admin_user)) -> RedirectResponse:
    staff = request.app.state.zl.staff
    try:
        staff.update_user(username, role=role, active=active == "1", columns_=column,
                          departments=_department_list(departments), by=user.username)
        if password:
            staff.set_password(username, password, by=user.username)
    except (ConfigError, NotFoundError, PermissionDenied) as exc:
        return flash_redirect(request, "/admin/users", error=exc.message)
    return flash_redirect(request, "/admin/users", done=f"已更新用户 {username}")


# -- my account: API tokens ----------------------------------------------------------

def _me(request: Request, user: StaffUser, status_code: int = 200, **ctx) -> HTMLResponse:
    zl = request.app.state.zl
    return render(request, "me.html", status_code, tokens=zl.staff.list_tokens(user.username),
                  sessions=zl.staff.sessions(user.username),
                  test_addresses=zl.staff.test_addresses(user.username), **ctx)


@router.post("/me/test-addresses", response_class=HTMLResponse)
def set_test_addresses(request: Request, email: str = Form(""), wecom_userid: str = Form(""),
                       dingtalk_userid: str = Form(""), feishu_open_id: str = Form(""),
                       user: StaffUser = Depends(staff_user)):
    """Where 发送测试给我 sends this user's test of an issue."""
    try:
        request.app.state.zl.staff.set_test_addresses(
            user.username, email=email[:320], wecom_userid=wecom_userid[:200],
            dingtalk_userid=dingtalk_userid[:200], feishu_open_id=feishu_open_id[:200])
    except ConfigError as exc:
        return _me(request, user, 400, error=exc.message)
    return flash_redirect(request, "/admin/me", done="已保存测试收件地址")


@router.get("/me", response_class=HTMLResponse)
def me_page(request: Request, user: StaffUser = Depends(staff_user)) -> HTMLResponse:
    return _me(request, user)


@router.post("/me/tokens", response_class=HTMLResponse)
def create_token(request: Request, name: str = Form("API"),
                 user: StaffUser = Depends(staff_user)) -> HTMLResponse:
    """The new token is in this answer only: never in a cookie, never stored in clear."""
    _, token = request.app.state.zl.staff.create_token(user.username, name[:100])
    response = _me(request, user, fresh=token)
    response.headers["Cache-Control"] = "no-store"
    return response


@router.post("/me/tokens/{token_id}/revoke")
def revoke_token(request: Request, token_id: PathId,
                 user: StaffUser = Depends(staff_user)) -> RedirectResponse:
    request.app.state.zl.staff.revoke_token(token_id, user=user)
    return flash_redirect(request, "/admin/me", done="已吊销令牌")


@router.post("/me/sessions/end")
def end_other_sessions(request: Request,
                       user: StaffUser = Depends(staff_user)) -> RedirectResponse:
    """退出其他设备: every session of this user but the one asking."""
    ended = request.app.state.zl.staff.end_sessions(user.username,
                                                    keep=request.session.get("sid"))
    return flash_redirect(request, "/admin/me", done=f"已退出其他 {ended} 个登录")


@router.post("/me/password")
def change_password(request: Request, current: str = Form(""), password: str = Form(""),
                    user: StaffUser = Depends(staff_user)):
    zl = request.app.state.zl
    try:
        zl.staff.authenticate(user.username, current,
                              client=request.client.host if request.client else "")
        ended = zl.staff.set_password(user.username, password, by=user.username,
                                      keep_session=request.session.get("sid"))
    except (AuthError, ConfigError) as exc:
        return _me(request, user, 400, error=exc.message)
    except RateLimited as exc:
        return _me(request, user, 429, error=exc.message)
    return _me(request, user, done=f"密码已修改；其他 {ended['sessions']} 个登录已退出，"
                                   f"{ended['tokens']} 个 API 令牌已吊销（请按需重新生成）")
