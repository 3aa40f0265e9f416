"""Chat targets and delivery reports on the web.

``router``:

* /admin/channels (administrators): the group robots and webhooks — list with health,
  add (settings checked before saving), test (sends a small 测试消息 now, not an outbox
  row), enable / disable / delete, assign to and remove from columns.
* /admin/c/{slug}/{number}/deliveries (any staff user): the issue's delivery report per
  channel — sent, failed with the reasons, pending with the next attempt, each chat
  target's row — and, for administrators, "retry failed" (audited).
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from zhuanlan.app.channels import KIND_NAMES, app_config
from zhuanlan.app.staff import StaffUser
from zhuanlan.channels.apps import APP_KINDS
from zhuanlan.channels.chat import KINDS
from zhuanlan.errors import ConfigError, NotFoundError
from zhuanlan.explain import explain
from zhuanlan.web.auth import admin_user, csrf_protect, staff_user
from zhuanlan.web.params import PathId
from zhuanlan.web.render import flash_redirect, render

router = APIRouter(prefix="/admin", dependencies=[Depends(csrf_protect)])



def _zl(request: Request):
    return request.app.state.zl


@router.get("/channels", response_class=HTMLResponse)
def channels_page(request: Request,
                  user: StaffUser = Depends(admin_user)) -> HTMLResponse:
    zl = _zl(request)
    return render(request, "channels.html", targets=zl.targets.all(),
                  columns=zl.list_columns(), kinds=KINDS, app_kinds=APP_KINDS,
                  kind_names=KIND_NAMES)


@router.post("/channels/add-app")
async def add_app(request: Request, user: StaffUser = Depends(admin_user)) -> RedirectResponse:
    form = await request.form()
    name = str(form.get("name") or "")
    kind = str(form.get("kind") or "")
    config = app_config(kind, **{f: str(form.get(f) or "")
                                 for f in ("app_id", "app_secret", "agent_id", "corpid")})
    slugs = [str(s) for s in form.getlist("column") if s]
    try:
        _zl(request).targets.add(name, kind, config, columns_=slugs, by=user.username)
    except (ConfigError, NotFoundError) as exc:
        return flash_redirect(request, "/admin/channels#apps", error=f"未保存：{exc.message}")
    return flash_redirect(request, "/admin/channels", done=f"已添加应用“{name.strip()}”")


@router.post("/channels/add")
async def add_target(request: Request, user: StaffUser = Depends(admin_user)
                     ) -> RedirectResponse:
    form = await request.form()
    name = str(form.get("name") or "")
    kind = str(form.get("kind") or "")
    config = {"url": str(form.get("url") or ""), "secret": str(form.get("secret") or "")}
    msgtype = str(form.get("msgtype") or "")
    if msgtype:
        config["msg_type" if kind == "feishu" else "msgtype"] = msgtype
    slugs = [str(s) for s in form.getlist("column") if s]
    try:
        _zl(request).targets.add(name, kind, config, columns_=slugs, by=user.username)
    except (ConfigError, NotFoundError) as exc:
        return flash_redirect(request, "/admin/channels", error=f"未保存：{exc.message}")
    return flash_redirect(request, "/admin/channels", done=f"已添加推送渠道“{name.strip()}”")


def _target_action(request: Request, target_id: PathId, action) -> RedirectResponse:
    try:
        message = action(_zl(request).targets)
    except (ConfigError, NotFoundError) as exc:
        return flash_redirect(request, "/admin/channels", error=exc.message)
    return flash_redirect(request, "/admin/channels", done=message)


@router.post("/channels/{target_id}/test")
def test_target(request: Request, target_id: PathId,
                user: StaffUser = Depends(admin_user)) -> RedirectResponse:
    targets = _zl(request).targets
    try:
        name = targets.get(target_id)["name"]
        result = targets.test(target_id, by=user.username)
    except NotFoundError as exc:
        return flash_redirect(request, "/admin/channels", error=exc.message)
    if result.ok:
        return flash_redirect(request, "/admin/channels", done=f"“{name}”：{result.message}")
    # The original text is on the channel's row, folded; the flash line stays readable.
    return flash_redirect(request, "/admin/channels",
                          error=f"“{name}”测试失败：{explain(result.message).text}")


@router.post("/channels/{target_id}/enable")
def enable_target(request: Request, target_id: PathId,
                  user: StaffUser = Depends(admin_user)) -> RedirectResponse:
    def act(targets) -> str:
        targets.set_enabled(target_id, True, by=user.username)
        return "已启用"
    return _target_action(request, target_id, act)


@router.post("/channels/{target_id}/disable")
def disable_target(request: Request, target_id: PathId,
                   user: StaffUser = Depends(admin_user)) -> RedirectResponse:
    def act(targets) -> str:
        targets.set_enabled(target_id, False, by=user.username)
        return "已停用（停用期间发布的期不会推送到这里）"
    return _target_action(request, target_id, act)


@router.post("/channels/{target_id}/delete")
def delete_target(request: Request, target_id: PathId,
                  user: StaffUser = Depends(admin_user)) -> RedirectResponse:
    def act(targets) -> str:
        name = targets.get(target_id)["name"]
        targets.delete(target_id, by=user.username)
        return f"已删除“{name}”"
    return _target_action(request, target_id, act)


@router.post("/channels/{target_id}/assign")
def assign_target(request: Request, target_id: PathId, column: str = Form(""),
                  user: StaffUser = Depends(admin_user)) -> RedirectResponse:
    def act(targets) -> str:
        changed = targets.assign(target_id, column, by=user.username)
        return f"专栏 {column} 将推送到这里" if changed else f"专栏 {column} 已经推送到这里"
    return _target_action(request, target_id, act)


@router.post("/channels/{target_id}/unassign")
def unassign_target(request: Request, target_id: PathId, column: str = Form(""),
                    user: StaffUser = Depends(admin_user)) -> RedirectResponse:
    def act(targets) -> str:
        targets.unassign(target_id, column, by=user.username)
        return f"专栏 {column} 不再推送到这里"
    return _target_action(request, target_id, act)


# -- the delivery report of an issue ------------------------------------------------

@router.get("/c/{slug}/{number}/deliveries", response_class=HTMLResponse)
def report_page(request: Request, slug: str, number: PathId,
                user: StaffUser = Depends(staff_user)) -> HTMLResponse:
    user.require_whole_organisation("推送报告")
    zl = _zl(request)
    report = zl.delivery_report(zl.issue_id(slug, number))
    return render(request, "deliveries.html", report=report, slug=slug, number=number)


@router.post("/c/{slug}/{number}/deliveries/retry")
def retry_failed(request: Request, slug: str, number: PathId,
                 user: StaffUser = Depends(admin_user)) -> RedirectResponse:
    zl = _zl(request)
    n = zl.retry_failed_deliveries(zl.issue_id(slug, number), by=user.username)
    return flash_redirect(request, f"/admin/c/{quote(slug)}/{number}/deliveries",
                 done=f"已将 {n} 条失败的推送重新排队" if n else "没有失败的推送")
