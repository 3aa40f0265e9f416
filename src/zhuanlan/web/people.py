"""People pages (administrators): the people and their department tree, import with a
preview and a bad-row report, export, and the subscriptions of each column; and the
public unsubscribe link.

``router`` holds the administrators' pages under /admin/people; ``public_router`` the
unsubscribe page /u/{token}, which needs no login and — for the RFC 8058 one-click POST
that mail clients send — no CSRF token: the signed token itself is the authority.
"""

from __future__ import annotations

import re
import secrets
import time
from pathlib import Path
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from zhuanlan.app.staff import StaffUser
from zhuanlan.errors import AuthError, NotFoundError, RuleError
from zhuanlan.lifecycle import write_private
from zhuanlan.people.departments import display
from zhuanlan.people.importing import (
    ACTIVE_LABELS,
    LABELS,
    FileFormatError,
    ImportRefused,
    PersonRecord,
)
from zhuanlan.web.auth import admin_user, csrf_protect
from zhuanlan.web.params import FormId
from zhuanlan.web.render import flash_redirect, render

router = APIRouter(prefix="/admin/people", dependencies=[Depends(csrf_protect)])
public_router = APIRouter()

UPLOAD_HOURS = 24
_UPLOAD_NAME = re.compile(r"^[A-Za-z0-9_-]{20,64}\.(csv|xlsx)$")


def _people(request: Request):
    return request.app.state.zl.people



@router.get("", response_class=HTMLResponse)
def people_page(request: Request, department: str = "", q: str = "",
                user: StaffUser = Depends(admin_user)) -> HTMLResponse:
    people = _people(request)
    zl = request.app.state.zl
    return render(request, "people.html", people=people.list_people(department or None,
                                                                    search=q),
                  tree=[n for root in people.department_tree() for n in root.walk()],
                  department=department, q=q, columns=zl.list_columns(),
                  display=display)


@router.get("/export.{kind}")
def export(request: Request, kind: str, department: str = "",
           user: StaffUser = Depends(admin_user)) -> Response:
    if kind not in ("csv", "xlsx"):
        raise NotFoundError("没有这种导出格式", resource=kind)
    data = _people(request).export(kind, department=department or None)
    media = ("text/csv; charset=utf-8" if kind == "csv" else
             "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    return Response(data, media_type=media, headers={
        "Content-Disposition": f"attachment; filename=people.{kind}; "
                               f"filename*=UTF-8''{quote('人员')}.{kind}"})


def _uploads(request: Request) -> Path:
    folder = request.app.state.zl.cfg.data_dir / "uploads"
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    # Uploads never confirmed are removed after a day.
    cutoff = time.time() - UPLOAD_HOURS * 3600
    for old in folder.glob("*"):
        try:
            if old.stat().st_mtime < cutoff:
                old.unlink()
        except OSError:
            pass
    return folder


def _upload_path(request: Request, name: str) -> Path:
    if not _UPLOAD_NAME.match(name):
        raise NotFoundError("上传的文件已失效，请重新上传", resource="upload")
    path = _uploads(request) / name
    if not path.is_file():
        raise NotFoundError("上传的文件已失效，请重新上传", resource="upload")
    return path


@router.post("/import", response_class=HTMLResponse)
async def upload(request: Request, file: UploadFile = File(...),
                 deactivate_missing: str = Form(""),
                 user: StaffUser = Depends(admin_user)) -> Response:
    filename = Path(file.filename or "people.csv").name
    max_mb = request.app.state.zl.cfg["people.max_upload_mb"]
    data = await file.read(max_mb * 1024 * 1024 + 1)
    if not data:
        return flash_redirect(request, "/admin/people", error="请选择一个 CSV 或 XLSX 文件")
    if len(data) > max_mb * 1024 * 1024:
        return flash_redirect(request, "/admin/people", error=f"文件超过 {max_mb} MB")
    kind = "xlsx" if filename.lower().endswith((".xlsx", ".xlsm")) or data[:4] == b"PK\x03\x04" \
        else "csv"
    # Kept between the preview and the confirmation under a random name, never the
    # uploader's; the confirmation imports exactly these bytes.
    name = f"{secrets.token_urlsafe(24)}.{kind}"
    write_private(_uploads(request) / name, data)
    # Reading and checking a file of 100,000 rows takes seconds: in a thread, so that
    # every other page keeps answering meanwhile.
    return await run_in_threadpool(_preview, request, name, filename, deactivate_missing == "1")


def _preview(request: Request, name: str, filename: str, deactivate_missing: bool,
             status: int = 200, refused: bool = False, plan=None) -> Response:
    data = _upload_path(request, name).read_bytes()
    if plan is None:
        try:
            plan = _people(request).preview_import(data, filename,
                                                   deactivate_missing=deactivate_missing)
        except FileFormatError as exc:
            (_uploads(request) / name).unlink(missing_ok=True)
            return flash_redirect(request, "/admin/people", error=f"{filename}：{exc}")
    return render(request, "people_import.html", status, plan=plan, upload=name,
                  filename=filename, deactivate_missing=deactivate_missing, labels=LABELS,
                  display=display, refused=refused, status_of=_status_of)


def _status_of(record: PersonRecord) -> str:
    """The 状态 cell as the file has it, and what it is taken for."""
    label, word = ACTIVE_LABELS[record.active], record.status.strip()
    if not word:
        return f"（空）→ {label}"
    return label if word == label else f"{word} → {label}"


@router.post("/import/apply")
def apply_upload(request: Request, upload: str = Form(...), filename: str = Form(""),
                 deactivate_missing: str = Form(""),
                 user: StaffUser = Depends(admin_user)) -> Response:
    path = _upload_path(request, upload)
    filename = Path(filename).name or path.name
    try:
        plan = _people(request).apply_import(path.read_bytes(), filename,
                                             deactivate_missing=deactivate_missing == "1",
                                             by=user.username)
    except ImportRefused as exc:
        return _preview(request, upload, filename, deactivate_missing == "1", 422,
                        refused=True, plan=exc.plan)
    except FileFormatError as exc:
        return flash_redirect(request, "/admin/people", error=f"{filename}：{exc}")
    path.unlink(missing_ok=True)
    s = plan.summary()
    return flash_redirect(request, "/admin/people", done=f"已导入 {filename}：新增 {s['added']} 人，更新 "
                 f"{s['updated']} 人，停用 {s['deactivated']} 人，未变 {s['unchanged']} 人"
                 + (f"；跳过 {s['skipped']} 行（状态无法识别，未导入）" if s["skipped"] else ""))


@router.post("/import/cancel")
def cancel_upload(request: Request, upload: str = Form(...),
                  user: StaffUser = Depends(admin_user)) -> RedirectResponse:
    try:
        _upload_path(request, upload).unlink(missing_ok=True)
    except NotFoundError:
        pass
    return flash_redirect(request, "/admin/people", done="已取消导入")


# -- subscriptions of a column -----------------------------------------------------

@router.get("/columns/{slug}", response_class=HTMLResponse)
def column_page(request: Request, slug: str,
                user: StaffUser = Depends(admin_user)) -> HTMLResponse:
    people = _people(request)
    return render(request, "people_column.html", subs=people.column_subscriptions(slug),
                  paths=[d["path"] for d in people.departments()], display=display)


def _column_action(request: Request, slug: str, action) -> RedirectResponse:
    back = f"/admin/people/columns/{quote(slug)}"
    request.app.state.zl.get_column(slug)
    try:
        message = action()
    except (NotFoundError, RuleError) as exc:
        return flash_redirect(request, back, error=exc.message)
    return flash_redirect(request, back, done=message)


@router.post("/columns/{slug}/departments")
def add_department(request: Request, slug: str, path: str = Form(""),
                   user: StaffUser = Depends(admin_user)) -> RedirectResponse:
    def act() -> str:
        _people(request).subscribe_department(slug, path, by=user.username)
        return f"已订阅部门 {display(path)}（含下级部门）"
    return _column_action(request, slug, act)


@router.post("/columns/{slug}/departments/remove", response_model=None)
def remove_department(request: Request, slug: str, path: str = Form(""),
                      confirmed: str = Form(""),
                      user: StaffUser = Depends(admin_user)) -> RedirectResponse | HTMLResponse:
    """Without ``confirmed``: the confirmation, saying how many people would stop
    receiving the column; only the confirmed POST removes."""
    if not confirmed:
        try:
            removal = _people(request).department_removal(slug, path)
        except NotFoundError as exc:
            request.app.state.zl.get_column(slug)
            return flash_redirect(request, f"/admin/people/columns/{quote(slug)}",
                                  error=exc.message)
        return render(request, "people_remove_department.html", removal=removal,
                      display=display)

    def act() -> str:
        lost = _people(request).remove_department(slug, path, by=user.username)
        return f"已取消部门 {display(path)} 的订阅，{lost} 人不再收到本专栏"
    return _column_action(request, slug, act)


@router.post("/columns/{slug}/people")
def add_person(request: Request, slug: str, person: str = Form(""),
               user: StaffUser = Depends(admin_user)) -> RedirectResponse:
    def act() -> str:
        _people(request).subscribe_person(slug, person, by=user.username)
        return f"已为 {person} 订阅"
    return _column_action(request, slug, act)


@router.post("/columns/{slug}/people/remove")
def remove_person(request: Request, slug: str, person_id: FormId,
                  user: StaffUser = Depends(admin_user)) -> RedirectResponse:
    def act() -> str:
        _people(request).remove_person(slug, person_id, by=user.username)
        return "已取消个人订阅（部门订阅仍可能覆盖此人）"
    return _column_action(request, slug, act)


# -- the public unsubscribe link ---------------------------------------------------

def _no_referrer(response: Response) -> Response:
    # The token is in the URL: do not hand it to another site in a Referer.
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    return response


@public_router.get("/u/{token}", response_class=HTMLResponse)
def unsubscribe_page(request: Request, token: str) -> Response:
    """The confirmation page: a GET changes nothing (mail scanners follow links)."""
    try:
        found = _people(request).read_unsubscribe_token(token)
    except (AuthError, NotFoundError) as exc:
        return _no_referrer(render(request, "unsubscribe.html", 403 if isinstance(
            exc, AuthError) else 404, invalid=True, message=exc.message))
    return _no_referrer(render(request, "unsubscribe.html", token=token, found=found,
                               done=found["opted_out"]))


@public_router.post("/u/{token}", response_class=HTMLResponse)
async def unsubscribe(request: Request, token: str) -> Response:
    """Record the opt-out at once: the confirm button of the page, or the RFC 8058
    one-click POST (body ``List-Unsubscribe=One-Click``) a mail client sends."""
    form = await request.form()
    one_click = form.get("List-Unsubscribe") == "One-Click"
    try:
        found = _people(request).unsubscribe_by_token(
            token, via="one_click" if one_click else "link")
    except (AuthError, NotFoundError) as exc:
        return _no_referrer(render(request, "unsubscribe.html", 403 if isinstance(
            exc, AuthError) else 404, invalid=True, message=exc.message))
    return _no_referrer(render(request, "unsubscribe.html", token=token, found=found,
                               done=True))
