"""The JSON API (``/api/v1``): sources, columns, candidates, decisions and issues, for
other systems and scripts. Described by OpenAPI at ``/api/v1/openapi.json``.

Every call carries a personal API token (``Authorization: Bearer zl_…``); the token acts
with its owner's role, checked exactly as on the desk: viewers read, editors decide and
publish on their columns, administrators also manage sources and columns. Tokens, not
cookies, so there is no CSRF to guard against here.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any, Literal

from fastapi import Depends, FastAPI, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field

from zhuanlan.app.staff import StaffUser
from zhuanlan.errors import (
    AuthError,
    ConfigError,
    InvalidTransition,
    NotFoundError,
    PermissionDenied,
    RuleError,
    SourceError,
)
from zhuanlan.study.periods import MAX_YEAR, MIN_YEAR, PART_PATTERN, Period
from zhuanlan.web.auth import session_user
from zhuanlan.web.framework import NO_TELEMETRY
from zhuanlan.web.params import MAX_ID, PathId, validation_detail, validation_message

bearer = HTTPBearer(auto_error=False, description="个人 API 令牌（在“我的账号”页面或用 "
                    "`zhuanlan user token` 生成）")

# What a row of each kind shows; internal fields (the learner's bytes, leases) stay in.
SOURCE_FIELDS = ("id", "name", "kind", "url", "preset", "authority", "enabled", "poll_minutes",
                 "next_poll_at", "last_success_at", "last_error", "last_error_kind",
                 "consecutive_failures", "alarm", "last_note", "max_new_per_poll",
                 "article_count", "created_at")
COLUMN_FIELDS = ("id", "slug", "name", "description", "editor_note", "include_terms",
                 "exclude_terms", "title_terms", "max_age_days", "min_length", "schedule",
                 "timezone", "auto_approve", "auto_approve_threshold", "next_run_at",
                 "issue_count", "pending_count", "created_at")
CANDIDATE_FIELDS = ("id", "state", "score", "terms", "reason", "priority", "article_id",
                    "title", "url", "published_at", "source_name", "outlet", "created_at",
                    "decided_at", "decided_by")


def _pick(row: dict, fields: tuple[str, ...]) -> dict:
    return {k: row[k] for k in fields if k in row}


class SourceIn(BaseModel):
    name: str = Field(..., examples=["人民网 时政"])
    url: str = Field(..., examples=["http://www.people.com.cn/rss/politics.xml"])
    kind: Literal["feed", "html", "json", "sitemap"] = "feed"
    preset: str | None = None
    spec: dict[str, Any] | None = Field(None, description="列表页的选择器等（html/json/sitemap）")
    params: dict[str, str] | None = None
    authority: int = Field(50, ge=0, le=100)
    enabled: bool = True
    max_new_per_poll: int | None = Field(None, ge=1, le=100_000,
                                         description="每次抓取最多新增的条目数（空：按全局设置）")


class SourcePatch(BaseModel):
    enabled: bool | None = None
    params: dict[str, str] | None = None


class ColumnIn(BaseModel):
    slug: str = Field(..., pattern=r"^[a-z0-9][a-z0-9-]{0,99}$")
    name: str
    include: str = Field(..., description="入选规则：AND / OR / NOT、括号、引号短语")
    exclude: str = ""
    title_terms: str = ""
    sources: list[int | str] | None = None
    max_age_days: int | None = None
    min_length: int = 0
    schedule: str = "0 9 * * 1"
    timezone: str | None = None
    editor_note: str = ""
    description: str = ""
    auto_approve: bool = False
    auto_approve_threshold: float | None = None


class Decision(BaseModel):
    action: Literal["approve", "reject", "undo"]


class Note(BaseModel):
    editor_note: str


class Representative(BaseModel):
    article_id: int | None = Field(..., ge=1, le=MAX_ID, description="本报道中的一篇文章；null 恢复自动选择")


class Split(BaseModel):
    article_id: int = Field(..., ge=1, le=MAX_ID, description="不是同一篇的文章（本报道中的一篇）")


class DecisionOut(BaseModel):
    id: int
    state: str


def create_api(zl) -> FastAPI:
    api = FastAPI(title="zhuanlan 专栏 API", version="1", docs_url=None, redoc_url=None,
                  openapi_url=None, telemetry=NO_TELEMETRY,
                  description="专栏的信息源、专栏、候选稿件、审稿决定与期刊。"
                              "以个人 API 令牌认证，权限与网页编辑台相同。")
    api.state.zl = zl      # the mount makes this the request's app for outer middleware too

    def user(credentials: HTTPAuthorizationCredentials | None = Depends(bearer)) -> StaffUser:
        if credentials is None:
            raise AuthError("缺少 API 令牌（Authorization: Bearer …）", resource="token")
        return zl.staff.user_for_token(credentials.credentials)

    def admin(u: StaffUser = Depends(user)) -> StaffUser:
        u.require_admin()
        return u

    def editable(slug: str, u: StaffUser) -> dict:
        column = zl.get_column(slug)
        u.require_edit(column["id"], slug)
        return column

    def error(status: int, exc: Exception, headers: dict | None = None) -> JSONResponse:
        body = {"error": type(exc).__name__, "message": getattr(exc, "message", str(exc)),
                "resource": getattr(exc, "resource", None)}
        position = getattr(exc, "position", None)
        if position is not None:
            body["position"] = position
        return JSONResponse(body, status_code=status, headers=headers)

    @api.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        return JSONResponse({"error": "ValidationError", "message": validation_message(errors),
                             "detail": jsonable_encoder(validation_detail(errors))},
                            status_code=422)

    @api.exception_handler(AuthError)
    async def _auth(request: Request, exc: AuthError) -> JSONResponse:
        return error(401, exc, {"WWW-Authenticate": "Bearer"})

    @api.exception_handler(PermissionDenied)
    async def _forbidden(request: Request, exc: PermissionDenied) -> JSONResponse:
        return error(403, exc)

    @api.exception_handler(NotFoundError)
    async def _missing(request: Request, exc: NotFoundError) -> JSONResponse:
        return error(404, exc)

    @api.exception_handler(InvalidTransition)
    async def _conflict(request: Request, exc: InvalidTransition) -> JSONResponse:
        return error(409, exc)

    for kind in (RuleError, ConfigError, SourceError):
        api.add_exception_handler(kind, lambda request, exc: error(422, exc))

    def ok(data: Any) -> JSONResponse:
        return JSONResponse(jsonable_encoder(data))

    @api.get("/openapi.json", include_in_schema=False)
    def openapi(request: Request,
                credentials: HTTPAuthorizationCredentials | None = Depends(bearer)) -> JSONResponse:
        """The description, for staff only (a session or a token): a private instance
        need not tell strangers what it offers."""
        if credentials is not None:
            zl.staff.user_for_token(credentials.credentials)
        elif session_user(request) is None:
            raise AuthError("接口说明仅对已登录的工作人员开放（登录后访问，或带 API 令牌）",
                            resource="openapi")
        return JSONResponse(api.openapi())

    @api.get("/me", summary="当前令牌的用户")
    def me(u: StaffUser = Depends(user)) -> dict:
        return {"username": u.username, "display_name": u.display_name, "role": u.role,
                "columns": sorted(c["slug"] for c in zl.list_columns()
                                  if u.can_edit(c["id"])),
                "departments": list(u.scope.departments)}

    # -- sources -------------------------------------------------------------------

    @api.get("/sources", summary="信息源及其健康状况")
    def list_sources(u: StaffUser = Depends(user)) -> JSONResponse:
        return ok([_pick(s, SOURCE_FIELDS) for s in zl.list_sources()])

    @api.post("/sources", status_code=201, summary="添加信息源（管理员）")
    def add_source(body: SourceIn, u: StaffUser = Depends(admin)) -> JSONResponse:
        source_id = zl.add_source(body.name, body.url, kind=body.kind, preset=body.preset,
                                  spec=body.spec, params=body.params, authority=body.authority,
                                  enabled=body.enabled, max_new_per_poll=body.max_new_per_poll,
                                  by=u.username)
        return JSONResponse(jsonable_encoder(_pick(zl.get_source(source_id), SOURCE_FIELDS)),
                            status_code=201)

    @api.get("/sources/{source_id}", summary="一个信息源")
    def get_source(source_id: PathId, u: StaffUser = Depends(user)) -> JSONResponse:
        return ok(_pick(zl.get_source(source_id), SOURCE_FIELDS))

    @api.patch("/sources/{source_id}", summary="启用、停用或设置参数（管理员）")
    def patch_source(source_id: PathId, body: SourcePatch,
                     u: StaffUser = Depends(admin)) -> JSONResponse:
        return ok(_pick(zl.update_source(source_id, enabled=body.enabled, params=body.params,
                                         by=u.username), SOURCE_FIELDS))

    @api.post("/sources/{source_id}/poll", status_code=202, summary="立即抓取")
    def poll_source(source_id: PathId, u: StaffUser = Depends(user)) -> dict:
        zl.get_source(source_id)
        zl.poll_now(source_id)
        return {"id": source_id, "polling": True}

    # -- columns -------------------------------------------------------------------

    @api.get("/columns", summary="专栏")
    def list_columns(u: StaffUser = Depends(user)) -> JSONResponse:
        return ok([_pick(c, COLUMN_FIELDS) for c in zl.list_columns()])

    @api.post("/columns", status_code=201, summary="创建专栏（管理员）")
    def add_column(body: ColumnIn, u: StaffUser = Depends(admin)) -> JSONResponse:
        zl.add_column(body.slug, body.name, include=body.include, exclude=body.exclude,
                      title_terms=body.title_terms, sources_filter=body.sources,
                      max_age_days=body.max_age_days, min_length=body.min_length,
                      schedule=body.schedule, timezone_name=body.timezone,
                      editor_note=body.editor_note, description=body.description,
                      auto_approve=body.auto_approve,
                      auto_approve_threshold=body.auto_approve_threshold, by=u.username)
        return JSONResponse(jsonable_encoder(_pick(zl.get_column(body.slug), COLUMN_FIELDS)),
                            status_code=201)

    @api.get("/columns/{slug}", summary="一个专栏")
    def get_column(slug: str, u: StaffUser = Depends(user)) -> JSONResponse:
        column = zl.get_column(slug)
        return ok(_pick(column, COLUMN_FIELDS) | {"counts": zl.candidate_counts(slug),
                                                  "can_edit": u.can_edit(column["id"])})

    @api.put("/columns/{slug}/note", summary="下一期的编者按")
    def set_note(slug: str, body: Note, u: StaffUser = Depends(user)) -> dict:
        editable(slug, u)
        zl.set_editor_note(slug, body.editor_note.strip(), by=u.username)
        return {"slug": slug, "editor_note": body.editor_note.strip()}

    # -- candidates and decisions ------------------------------------------------------

    @api.get("/columns/{slug}/candidates", summary="候选稿件（按学习模型或得分排序）")
    def list_candidates(slug: str, state: Literal["pending", "approved", "rejected",
                                                  "published"] = "pending",
                        limit: int = 100, offset: int = 0,
                        u: StaffUser = Depends(user)) -> JSONResponse:
        rows = zl.candidates(slug, state)[offset:offset + max(1, min(limit, 1000))]
        return ok([_pick(r, CANDIDATE_FIELDS) for r in rows])

    @api.post("/columns/{slug}/candidates/{candidate_id}/decision",
              summary="通过、退回或撤销", response_model=DecisionOut)
    def decide(slug: str, candidate_id: PathId, body: Decision,
               u: StaffUser = Depends(user)) -> DecisionOut:
        editable(slug, u)
        state = zl.decide(candidate_id, body.action, by=u.username, column=slug)
        return DecisionOut(id=candidate_id, state=state)

    # -- the candidate's story -----------------------------------------------------------

    @api.get("/columns/{slug}/candidates/{candidate_id}/story",
             summary="候选稿件所属报道的各个版本与代表版本")
    def get_story(slug: str, candidate_id: PathId, u: StaffUser = Depends(user)) -> JSONResponse:
        return ok(zl.desk.story(candidate_id, column=slug))

    @api.put("/columns/{slug}/candidates/{candidate_id}/story/representative",
             summary="以此为准：指定报道的代表版本（null 恢复自动选择）")
    def pin_representative(slug: str, candidate_id: PathId, body: Representative,
                           u: StaffUser = Depends(user)) -> JSONResponse:
        editable(slug, u)
        return ok(zl.desk.pin_representative(candidate_id, body.article_id, by=u.username,
                                             column=slug))

    @api.post("/columns/{slug}/candidates/{candidate_id}/story/split",
              summary="不是同一篇：把一篇文章拆为单独的报道")
    def split_copy(slug: str, candidate_id: PathId, body: Split,
                   u: StaffUser = Depends(user)) -> JSONResponse:
        editable(slug, u)
        new_id = zl.desk.split_copy(candidate_id, body.article_id, by=u.username, column=slug)
        return ok({"article_id": body.article_id, "story_id": new_id,
                   "story": zl.desk.story(candidate_id, column=slug)})

    # -- issues --------------------------------------------------------------------

    @api.post("/columns/{slug}/publish", summary="立即发布已通过的稿件为新一期")
    def publish(slug: str, u: StaffUser = Depends(user)) -> JSONResponse:
        editable(slug, u)
        issue_id = zl.publish_now(slug, by=u.username)
        if issue_id is None:
            return JSONResponse({"error": "NothingApproved", "message": "没有已通过的稿件，未发布",
                                 "resource": slug}, status_code=409)
        latest = zl.issues_of(slug)[0]
        return JSONResponse(jsonable_encoder(_issue(zl.issue_view(slug, latest["number"]))),
                            status_code=201)

    @api.get("/columns/{slug}/issues", summary="已发布的各期（新的在前）")
    def list_issues(slug: str, u: StaffUser = Depends(user)) -> JSONResponse:
        return ok([{k: i[k] for k in ("id", "number", "title", "published_at")}
                   for i in zl.issues_of(slug)])

    @api.get("/columns/{slug}/issues/{number}", summary="一期的内容")
    def get_issue(slug: str, number: PathId, u: StaffUser = Depends(user)) -> JSONResponse:
        return ok(_issue(zl.issue_view(slug, number)))

    @api.get("/columns/{slug}/stats", summary="专栏各期的学习统计（限于本人管辖单位）")
    def column_stats(slug: str, last: int = 12, u: StaffUser = Depends(user)) -> JSONResponse:
        _, trend = zl.statistics.column_trend(slug, last=max(1, min(last, 100)), scope=u.scope)
        return ok({"departments": list(u.scope.departments), "issues": trend})

    @api.get("/columns/{slug}/issues/{number}/stats",
             summary="一期的学习统计：各单位与未学人员（限于本人管辖单位）")
    def issue_stats(slug: str, number: PathId,
                    dept: str = Query("", max_length=300, description="部门路径；空为全部"),
                    u: StaffUser = Depends(user)) -> JSONResponse:
        dept = dept.strip("/")
        stats = zl.statistics.issue(slug, number, scope=u.scope, department=dept,
                                    people="pending")
        if dept and dept not in stats.nodes:
            raise NotFoundError("这一期没有这个部门的人员", resource="department")
        return ok({"departments": list(u.scope.departments), "items": stats.items,
                   "units": [_figures(f) for f in stats.tree
                             if not dept or f.path == dept or f.path.startswith(dept + "/")],
                   "not_studied": [{"employee_no": p.employee_no, "name": p.name,
                                    "department": p.department, "studied": p.studied,
                                    "items": p.items} for p in stats.not_studied(dept)]})

    @api.get("/ledger", summary="学习台账：每人一行，各期或各月的数字（限于本人管辖单位）")
    def ledger(year: int = Query(ge=MIN_YEAR, le=MAX_YEAR),
               part: str = Query("", pattern=PART_PATTERN,
                                 description="空为全年；q1…q4 季度；m1…m12 月"),
               column: str = Query("", max_length=100, description="专栏；空为全部"),
               by: Literal["issue", "month"] = "issue",
               dept: str = Query("", max_length=300, description="部门路径；空为全部"),
               u: StaffUser = Depends(user)) -> JSONResponse:
        book = zl.ledger.table(scope=u.scope, slug=column, period=Period.parse(year, part),
                               by=by, department=dept)
        return ok({"departments": list(u.scope.departments), "title": book.title,
                   "issues": book.issues,
                   "groups": [{"key": g.key, "label": g.label} for g in book.groups],
                   "people": [{"employee_no": r.employee_no, "name": r.name,
                               "department": r.department,
                               "groups": {k: _cell(c) for k, c in r.cells.items()},
                               "total": _cell(r.total)} for r in book.rows]})

    @api.get("/issues/{issue_id}/deliveries", summary="一期的推送情况")
    def deliveries(issue_id: PathId, u: StaffUser = Depends(user)) -> dict:
        u.require_whole_organisation("推送情况")
        return {"issue_id": issue_id, "counts": zl.delivery_counts(issue_id)}

    @api.get("/audit", summary="操作记录（管理员）")
    def audit(limit: int = 200, u: StaffUser = Depends(admin)) -> JSONResponse:
        return ok(zl.audit(max(1, min(limit, 1000))))

    return api


def _cell(c) -> dict:
    return {**asdict(c), "completion": round(c.completion, 4),
            "score": round(c.score, 4) if c.score is not None else None}


def _figures(f) -> dict:
    return {"department": f.path, "name": f.name, "recipients": f.recipients,
            "delivered": f.delivered, "opened": f.opened, "studied": f.studied,
            "completion": round(f.completion, 4), "open_rate": round(f.open_rate, 4),
            "avg_minutes": round(f.avg_minutes, 2)}


def _issue(view) -> dict:
    return {
        "column": view.column_slug, "number": view.number, "title": view.title,
        "editor_note": view.editor_note, "url": view.web_url,
        "published_at": view.published_at.isoformat() if isinstance(view.published_at, datetime)
        else view.published_at,
        "items": [jsonable_encoder(item) for item in view.items],
    }
