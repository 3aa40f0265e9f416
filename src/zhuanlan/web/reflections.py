"""学习心得 on the web: a reader submits (and until the editor acts, changes) their
reflection under the issue and answers whether a 选登 may show their name; the editor
lists an issue's reflections and marks 优秀, hides (with a reason) or 选登 them.

A reader is known by their personal link or app login (``readers.current_reader``);
their forms are checked for the same origin like 我已学习. The editor's forms carry the
CSRF token and need the column's editing right."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from zhuanlan.app.staff import StaffUser
from zhuanlan.errors import InvalidTransition, NotFoundError, PermissionDenied, RuleError
from zhuanlan.study.reflection import CONSENT_NAMES, MAX_INPUT, department_label
from zhuanlan.web.auth import csrf_protect, safe_next, staff_user
from zhuanlan.web.params import FormId, PathId
from zhuanlan.web.reader import render_issue
from zhuanlan.web.readers import _same_origin, current_reader
from zhuanlan.web.render import flash_redirect, render

router = APIRouter()
admin_router = APIRouter(prefix="/admin", dependencies=[Depends(csrf_protect)])


@router.post("/c/{slug}/{number}/reflection", response_model=None)
def submit(request: Request, slug: str, number: PathId,
           body: str = Form("", max_length=MAX_INPUT)) -> RedirectResponse | HTMLResponse:
    """Submit or change the reader's reflection; a refusal shows the page again with
    what they typed and why."""
    _same_origin(request)
    zl = request.app.state.zl
    issue_id = zl.issue_id(slug, number)
    try:
        new = zl.reflections.submit(current_reader(request), issue_id, body)
    except (RuleError, PermissionDenied, InvalidTransition) as exc:
        return render_issue(request, slug, number, 422,
                            reflection_draft=body, reflection_error=exc.message)
    done = "已提交您的学习心得，谢谢！" if new else "已保存您修改的学习心得"
    return flash_redirect(request, f"/c/{slug}/{number}#reflection", done=done)


@router.post("/reflection/{reflection_id}/consent")
def consent(request: Request, reflection_id: PathId, agree: str = Form(""),
            back: str = Form("", max_length=300)) -> RedirectResponse:
    """同意 / 不同意: may the 选登 show the author's name and department."""
    _same_origin(request)
    zl = request.app.state.zl
    target = safe_next(back, "/")
    try:
        zl.reflections.answer(current_reader(request), reflection_id, agree == "1")
    except InvalidTransition as exc:
        return flash_redirect(request, target + "#reflection", error=exc.message)
    done = "您已同意署名选登，谢谢！" if agree == "1" else "您已选择不选登这篇心得"
    return flash_redirect(request, target + "#reflection", done=done)


@admin_router.get("/c/{slug}/{number}/reflections", response_class=HTMLResponse)
def reflections_page(request: Request, slug: str, number: PathId,
                     user: StaffUser = Depends(staff_user)) -> HTMLResponse:
    """The issue's reflections; a user limited to some departments sees theirs only."""
    found = request.app.state.zl.reflections.of_issue(slug, number)
    column = found["column"]
    shown = [r for r in found["reflections"] if user.scope.contains(r["department"] or "")]
    return render(request, "reflections.html", column=column, number=number,
                  reflections=shown, can_edit=user.can_edit(column["id"]),
                  consent_names=CONSENT_NAMES, department=department_label)


@admin_router.post("/c/{slug}/{number}/reflections")
def reflection_action(request: Request, slug: str, number: PathId, reflection_id: FormId,
                      action: str = Form(..., max_length=20),
                      reason: str = Form("", max_length=1000),
                      user: StaffUser = Depends(staff_user)) -> RedirectResponse:
    zl = request.app.state.zl
    user.require_edit(zl.get_column(slug)["id"], slug)
    target = f"/admin/c/{slug}/{number}/reflections"
    try:
        done = zl.reflections.act(slug, number, reflection_id, action, by=user.username,
                                  reason=reason)
    except (RuleError, InvalidTransition, NotFoundError) as exc:
        return flash_redirect(request, f"{target}#r-{reflection_id}", error=exc.message)
    return flash_redirect(request, f"{target}#r-{reflection_id}", done=done)
