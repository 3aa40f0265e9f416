"""One person on the web: 查找人员 (paged), the person's page — details, subscriptions and
study record — for every staff user to see; 添加人员, 编辑, 停用 / 启用 and a column's
订阅 / 取消订阅 for administrators."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from zhuanlan.app.staff import StaffUser
from zhuanlan.people.departments import display
from zhuanlan.people.person_form import FIELDS, PersonInvalid
from zhuanlan.web.auth import admin_user, csrf_protect, staff_user
from zhuanlan.web.params import PathId
from zhuanlan.web.render import flash_redirect, render

router = APIRouter(prefix="/admin/people", dependencies=[Depends(csrf_protect)])

PER_PAGE = 50
MAX_PAGE = 10_000
_MAX_FIELD = 400
LABELS = {"name": "姓名", "email": "邮箱", "employee_no": "工号", "department": "部门",
          "wecom_userid": "企业微信 userid", "dingtalk_userid": "钉钉 userid",
          "feishu_open_id": "飞书 open_id"}


def _tree(request: Request) -> list:
    return [n for root in request.app.state.zl.people.department_tree() for n in root.walk()]


@router.get("/find", response_class=HTMLResponse)
def find_page(request: Request, q: str = Query("", max_length=100),
              page: int = Query(1, ge=1, le=MAX_PAGE),
              user: StaffUser = Depends(staff_user)) -> HTMLResponse:
    """查找人员 by 姓名, e-mail, 工号 or department, a page at a time."""
    found = request.app.state.zl.people.search(q, page=page, per_page=PER_PAGE)
    return render(request, "person_find.html", q=q, found=found, display=display,
                  manage=user.is_admin)


async def _posted(request: Request) -> dict[str, str]:
    data = await request.form()
    return {f: str(data.get(f) or "")[:_MAX_FIELD] for f in FIELDS}


def _form_page(request: Request, form: dict, errors: dict, person: dict | None = None,
               status_code: int = 200) -> HTMLResponse:
    return render(request, "person_form.html", status_code, form=form, errors=errors,
                  person=person, tree=_tree(request), labels=LABELS, display=display)


@router.get("/add", response_class=HTMLResponse)
def add_page(request: Request, user: StaffUser = Depends(admin_user)) -> HTMLResponse:
    return _form_page(request, dict.fromkeys(FIELDS, ""), {})


@router.post("/add", response_class=HTMLResponse)
async def add_person(request: Request, user: StaffUser = Depends(admin_user)):
    form = await _posted(request)
    try:
        person_id = request.app.state.zl.people.create_person(form, by=user.username)
    except PersonInvalid as exc:
        return _form_page(request, form, exc.errors, status_code=400)
    return flash_redirect(request, f"/admin/people/person/{person_id}",
                          done=f"已添加人员：{form['name'].strip()[:200]}")


@router.get("/person/{person_id}", response_class=HTMLResponse)
def person_page(request: Request, person_id: PathId,
                user: StaffUser = Depends(staff_user)) -> HTMLResponse:
    zl = request.app.state.zl
    record = zl.people.study_record(person_id)
    subs = zl.people.subscriptions_of(person_id)
    columns = []
    for c in zl.list_columns():
        via = [display(path) for slug, path in subs["departments"] if slug == c["slug"]]
        direct = c["slug"] in subs["direct"]
        opted_out = c["slug"] in subs["opted_out"]
        columns.append({"slug": c["slug"], "name": c["name"], "direct": direct, "via": via,
                        "opted_out": opted_out,
                        "receives": (direct or bool(via)) and not opted_out})
    return render(request, "person.html", person=record["person"], record=record["columns"],
                  columns=columns, display=display, manage=user.is_admin, labels=LABELS,
                  reflections=zl.reflections.of_person(person_id))


@router.get("/person/{person_id}/edit", response_class=HTMLResponse)
def edit_page(request: Request, person_id: PathId,
              user: StaffUser = Depends(admin_user)) -> HTMLResponse:
    person = request.app.state.zl.people.get(person_id)
    return _form_page(request, {f: person.get(f) or "" for f in FIELDS}, {}, person)


@router.post("/person/{person_id}/edit", response_class=HTMLResponse)
async def edit_person(request: Request, person_id: PathId,
                      user: StaffUser = Depends(admin_user)):
    people = request.app.state.zl.people
    person = people.get(person_id)
    form = await _posted(request)
    try:
        words = people.edit_person(person_id, form, by=user.username)
    except PersonInvalid as exc:
        return _form_page(request, form, exc.errors, person, 400)
    done = ("已保存：" + "；".join(words)) if words else "没有改动"
    return flash_redirect(request, f"/admin/people/person/{person_id}", done=done[:500])


@router.post("/person/{person_id}/active")
def set_active(request: Request, person_id: PathId, active: str = Form(""),
               user: StaffUser = Depends(admin_user)) -> RedirectResponse:
    people = request.app.state.zl.people
    person = people.get(person_id)
    people.set_active(person_id, active == "1", by=user.username)
    word = "已启用" if active == "1" else "已停用（不再收到推送，学习记录保留）"
    return flash_redirect(request, f"/admin/people/person/{person_id}",
                          done=f"{word}：{person['name']}")


@router.post("/person/{person_id}/subscription")
def subscription(request: Request, person_id: PathId,
                 column: str = Form(..., max_length=100), action: str = Form(""),
                 user: StaffUser = Depends(admin_user)) -> RedirectResponse:
    """订阅 (direct, lifting an opt-out) or 取消订阅 (an opt-out, which wins over a
    department's subscription too)."""
    zl = request.app.state.zl
    col = zl.get_column(column)
    back = f"/admin/people/person/{person_id}"
    if action == "subscribe":
        zl.people.subscribe_person(col["slug"], person_id, by=user.username)
        return flash_redirect(request, back, done=f"已订阅：{col['name']}")
    if action == "unsubscribe":
        zl.people.unsubscribe(col["slug"], person_id, via="admin", by=user.username)
        return flash_redirect(request, back, done=f"已取消订阅：{col['name']}")
    return flash_redirect(request, back, error="未知的操作")
