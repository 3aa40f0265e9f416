"""Columns made and kept in the browser: the list (专栏管理), 新建专栏 and 编辑专栏 (one
form), the live checks of a rule and of a schedule (small JSON answers the form asks as
the editor types), 试跑 (what the unsaved rules would select from the stored articles),
归档 with its confirmation and 恢复.

Who may do what: an administrator creates, archives and restores columns and sets 必学
and its contact; an editor of a column (``user.can_edit``) edits the rest of its form;
everyone on the staff reads the list."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from starlette.concurrency import run_in_threadpool

from zhuanlan.app.column_form import (
    DEFAULT_TZ,
    RULE_FIELDS,
    TIMEZONES,
    ColumnFields,
    FieldError,
    chinese_time,
    faults_of,
    rule_problem,
)
from zhuanlan.app.staff import StaffUser
from zhuanlan.errors import RuleError
from zhuanlan.web.auth import admin_user, csrf_protect, staff_user
from zhuanlan.web.render import flash_redirect, render

router = APIRouter(prefix="/admin", dependencies=[Depends(csrf_protect)])

_TEXT_FIELDS = ("slug", "name", "description", "include", "exclude", "title_terms",
                "schedule", "timezone", "max_age_days", "min_length",
                "auto_approve_threshold", "contact")
_FLAGS = ("auto_approve", "compulsory", "reflection_names")
# Beyond what any field needs; the checks then say what is wrong with it.
MAX_FIELD = 100_000
MAX_RULE_QUERY = 20_000


# -- the list ------------------------------------------------------------------------

@router.get("/columns", response_class=HTMLResponse)
def columns_page(request: Request, user: StaffUser = Depends(staff_user)) -> HTMLResponse:
    columns = request.app.state.zl.list_columns()
    return render(request, "columns.html",
                  active=[c for c in columns if c["archived_at"] is None],
                  archived=[c for c in columns if c["archived_at"] is not None])


# -- the form --------------------------------------------------------------------------

def _form_of(fields: ColumnFields, slug: str = "") -> dict:
    """The form's values (strings, as the inputs hold them) for saved fields."""
    return {"slug": slug, "name": fields.name, "description": fields.description,
            "include": fields.include, "exclude": fields.exclude,
            "title_terms": fields.title_terms, "schedule": fields.schedule,
            "timezone": fields.timezone,
            "max_age_days": "" if fields.max_age_days is None else str(fields.max_age_days),
            "min_length": str(fields.min_length or ""),
            "auto_approve_threshold": "" if fields.auto_approve_threshold is None
            else str(fields.auto_approve_threshold),
            "contact": fields.contact, "auto_approve": "1" if fields.auto_approve else "",
            "compulsory": "1" if fields.compulsory else "",
            "reflection_names": "1" if fields.reflection_names else "",
            "sources": [str(s) for s in fields.sources]}


async def _posted(request: Request) -> dict:
    data = await request.form()
    form: dict = {k: str(data.get(k) or "")[:MAX_FIELD] for k in _TEXT_FIELDS}
    form.update({k: "1" if data.get(k) else "" for k in _FLAGS})
    form["sources"] = [str(s)[:200] for s in data.getlist("sources")][:200]
    form["trial"] = "1" if data.get("trial") else ""
    return form


def _number(form: dict, name: str, kind, errors: dict, message: str):
    raw = form.get(name, "").strip()
    if not raw:
        return None
    try:
        value = kind(raw)
    except ValueError:
        errors[name] = FieldError(name, message)
        return None
    if kind is float and value != value:      # NaN
        errors[name] = FieldError(name, message)
        return None
    return value


def _fields(form: dict, before: ColumnFields | None, user: StaffUser,
            sources: list[dict]) -> tuple[ColumnFields, dict[str, FieldError]]:
    """The fields the form asks for, and the faults found reading them (numbers that
    are not numbers). 必学 and its contact are kept as they were for a non-administrator."""
    errors: dict[str, FieldError] = {}
    max_age = _number(form, "max_age_days", int, errors, "时间范围应为 1 到 3650 之间的整数")
    min_length = _number(form, "min_length", int, errors, "最短字数应为不小于 0 的整数")
    threshold = _number(form, "auto_approve_threshold", float, errors,
                        "自动通过的门槛是 0 到 1 之间的概率，例如 0.9")
    known = {str(s["id"]) for s in sources} | {str(s) for s in (before.sources if before
                                                                 else ())}
    chosen = tuple(int(s) if s.isdigit() else s for s in form["sources"] if s in known)
    compulsory, contact = form["compulsory"] == "1", form["contact"]
    if not user.is_admin:
        compulsory = before.compulsory if before else False
        contact = before.contact if before else ""
    fields = ColumnFields(
        name=form["name"], description=form["description"], include=form["include"],
        exclude=form["exclude"], title_terms=form["title_terms"], sources=chosen,
        max_age_days=max_age, min_length=min_length or 0,
        schedule=form["schedule"].strip(), timezone=form["timezone"] or DEFAULT_TZ,
        auto_approve=form["auto_approve"] == "1", auto_approve_threshold=threshold,
        compulsory=compulsory, contact=contact,
        reflection_names=form["reflection_names"] == "1")
    return fields, errors


def _form_page(request: Request, *, column: dict | None, form: dict, status: int = 200,
               errors: dict[str, FieldError] | None = None, trial=None,
               error: str = "") -> HTMLResponse:
    zl = request.app.state.zl
    zones = list(TIMEZONES)
    if form.get("timezone") and form["timezone"] not in zones:
        zones.insert(0, form["timezone"])
    times, schedule_error = [], ""
    try:
        times = [chinese_time(t) for t in zl.columns.next_times(
            form.get("schedule") or "", form.get("timezone") or DEFAULT_TZ)]
    except RuleError as exc:
        schedule_error = exc.message
    return render(request, "column_form.html", status, column=column, form=form,
                  errors={k: v.as_dict() for k, v in (errors or {}).items()},
                  zones=zones, sources=zl.list_sources(), times=times,
                  schedule_error=schedule_error, trial=trial, error=error,
                  rule_fields=RULE_FIELDS)


@router.get("/columns/new", response_class=HTMLResponse)
def new_column_page(request: Request, user: StaffUser = Depends(admin_user)) -> HTMLResponse:
    form = _form_of(ColumnFields(timezone=request.app.state.zl.tz or DEFAULT_TZ))
    return _form_page(request, column=None, form=form)


@router.post("/columns/new", response_class=HTMLResponse)
async def create_column(request: Request, user: StaffUser = Depends(admin_user)):
    zl = request.app.state.zl
    form = await _posted(request)
    fields, errors = _fields(form, None, user, zl.list_sources())
    if form.get("trial"):
        return await _trial(request, None, form, fields, errors)
    if errors:
        return _form_page(request, column=None, form=form, status=400, errors=errors)
    slug = form["slug"].strip()
    try:
        await run_in_threadpool(
            zl.add_column, slug, fields.name, include=fields.include,
            exclude=fields.exclude, title_terms=fields.title_terms,
            sources_filter=list(fields.sources), max_age_days=fields.max_age_days,
            min_length=fields.min_length, schedule=fields.schedule,
            timezone_name=fields.timezone, description=fields.description,
            auto_approve=fields.auto_approve,
            auto_approve_threshold=fields.auto_approve_threshold,
            compulsory=fields.compulsory, contact=fields.contact,
            reflection_names=fields.reflection_names, by=user.username)
    except RuleError as exc:
        return _form_page(request, column=None, form=form, status=400, errors=faults_of(exc))
    pending = zl.candidate_counts(slug).get("pending", 0)
    return flash_redirect(request, "/admin/columns",
                          done=f"已新建专栏「{fields.name.strip()}」；近 30 天已收录的文章中 "
                               f"{pending} 篇符合规则，已放入待审")


def _editable(request: Request, slug: str, user: StaffUser) -> dict:
    column = request.app.state.zl.get_column(slug)
    user.require_edit(column["id"], slug)
    return column


@router.get("/c/{slug}/edit", response_class=HTMLResponse)
def edit_column_page(request: Request, slug: str,
                     user: StaffUser = Depends(staff_user)) -> HTMLResponse:
    column = _editable(request, slug, user)
    return _form_page(request, column=column,
                      form=_form_of(ColumnFields.of_row(column), column["slug"]))


@router.post("/c/{slug}/edit", response_class=HTMLResponse)
async def save_column(request: Request, slug: str, user: StaffUser = Depends(staff_user)):
    zl = request.app.state.zl
    column = _editable(request, slug, user)
    form = await _posted(request)
    form["slug"] = column["slug"]
    fields, errors = _fields(form, ColumnFields.of_row(column), user, zl.list_sources())
    if form.get("trial"):
        return await _trial(request, column, form, fields, errors)
    if errors:
        return _form_page(request, column=column, form=form, status=400, errors=errors)
    try:
        changed = await run_in_threadpool(zl.columns.update, column["slug"], fields,
                                          by=user.username)
    except RuleError as exc:
        return _form_page(request, column=column, form=form, status=400, errors=faults_of(exc))
    return flash_redirect(request, "/admin/columns",
                          done=f"已保存专栏「{fields.name.strip()}」" if changed
                          else "没有改动")


# -- 试跑 ---------------------------------------------------------------------------

async def _trial(request: Request, column: dict | None, form: dict, fields: ColumnFields,
                 errors: dict[str, FieldError]) -> HTMLResponse:
    zl = request.app.state.zl
    if errors:
        return _form_page(request, column=column, form=form, status=400, errors=errors)
    try:
        result = await run_in_threadpool(zl.columns.trial, fields)
    except RuleError as exc:
        return _form_page(request, column=column, form=form, status=400, errors=faults_of(exc))
    return _form_page(request, column=column, form=form, trial=result)


# -- live checks (JSON, asked as the editor types) ----------------------------------

@router.get("/columns/check/rule")
def check_rule(field: str = Query("include", max_length=20),
               text: str = Query("", max_length=MAX_RULE_QUERY),
               user: StaffUser = Depends(staff_user)) -> JSONResponse:
    if field not in RULE_FIELDS:
        return JSONResponse({"ok": False, "message": "未知的字段"}, status_code=422)
    found = rule_problem(text, field)
    if found is None:
        return JSONResponse({"ok": True})
    return JSONResponse({"ok": False, **found.as_dict()})


@router.get("/columns/check/schedule")
def check_schedule(request: Request, schedule: str = Query("", max_length=100),
                   timezone: str = Query(DEFAULT_TZ, max_length=64),
                   user: StaffUser = Depends(staff_user)) -> JSONResponse:
    try:
        times = request.app.state.zl.columns.next_times(schedule, timezone or DEFAULT_TZ)
    except RuleError as exc:
        return JSONResponse({"ok": False, "message": exc.message})
    return JSONResponse({"ok": True, "times": [chinese_time(t) for t in times]})


# -- 归档 and 恢复 --------------------------------------------------------------------

@router.get("/c/{slug}/archive", response_class=HTMLResponse)
def archive_page(request: Request, slug: str,
                 user: StaffUser = Depends(admin_user)) -> HTMLResponse:
    zl = request.app.state.zl
    column = zl.get_column(slug)
    return render(request, "column_archive.html", column=column,
                  issues=len(zl.issues_of(slug)))


@router.post("/c/{slug}/archive")
def archive_column(request: Request, slug: str,
                   user: StaffUser = Depends(admin_user)) -> RedirectResponse:
    zl = request.app.state.zl
    column = zl.get_column(slug)
    zl.columns.archive(column["slug"], by=user.username)
    return flash_redirect(request, "/admin/columns",
                          done=f"已归档专栏「{column['name']}」：不再定时发布和推送")


@router.post("/c/{slug}/unarchive")
def unarchive_column(request: Request, slug: str,
                     user: StaffUser = Depends(admin_user)) -> RedirectResponse:
    zl = request.app.state.zl
    column = zl.get_column(slug)
    zl.columns.unarchive(column["slug"], by=user.username)
    return flash_redirect(request, "/admin/columns", done=f"已恢复专栏「{column['name']}」")
