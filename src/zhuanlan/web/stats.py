"""Statistics pages for managers (any staff login): per column, issue and department,
charts as server-drawn SVG, sortable tables, exports to XLSX and CSV. Every figure is
asked of the facade with the user's scope (``StaffUser.scope``), which limits a viewer
or editor to their departments."""

from __future__ import annotations

from urllib.parse import quote
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup

from zhuanlan.app.staff import StaffUser
from zhuanlan.errors import NotFoundError, PermissionDenied
from zhuanlan.study import export
from zhuanlan.study.figures import IssueStats
from zhuanlan.study.svg import bar_chart, line_chart
from zhuanlan.web.auth import csrf_protect, staff_user
from zhuanlan.web.params import PathId
from zhuanlan.web.render import flash_redirect, render

router = APIRouter(prefix="/admin/stats")
PENDING_SHOWN = 500


@router.get("", response_class=HTMLResponse)
def overview(request: Request, user: StaffUser = Depends(staff_user)) -> HTMLResponse:
    return render(request, "stats.html", scope=user.scope,
                  rows=request.app.state.zl.statistics.overview(scope=user.scope))


@router.get("/c/{slug}", response_class=HTMLResponse)
def column_stats(request: Request, slug: str, last: int = 12,
                 user: StaffUser = Depends(staff_user)) -> HTMLResponse:
    last = max(2, min(last, 100))
    column, trend = request.app.state.zl.statistics.column_trend(slug, last=last,
                                                                 scope=user.scope)
    chart = line_chart([f"第{t['number']}期" for t in trend],
                       {"打开率": [t["open_rate"] * 100 for t in trend],
                        "完成率": [t["completion"] * 100 for t in trend]},
                       title=f"{column['name']}：各期打开率与完成率", max_value=100)
    return render(request, "stats_column.html", column=column, trend=trend, scope=user.scope,
                  can_edit=user.can_edit(column["id"]),
                  chart=Markup(chart), last=last)


@router.post("/c/{slug}/min-read", dependencies=[Depends(csrf_protect)])
def set_min_read(request: Request, slug: str, seconds: int = Form(0, ge=0, le=3600),
                 user: StaffUser = Depends(staff_user)) -> RedirectResponse:
    """每篇最短阅读时间 (editors of the column and administrators)."""
    zl = request.app.state.zl
    if not user.can_edit(zl.get_column(slug)["id"]):
        raise PermissionDenied("只有本专栏的编辑和管理员可以设置最短阅读时间",
                               resource=f"column {slug}")
    zl.reading.set_min_read(slug, seconds, by=user.username)
    return flash_redirect(request, f"/admin/stats/c/{quote(slug)}#min-read",
                          done=f"每篇最短阅读时间：{f'{seconds} 秒' if seconds else '不限'}")


@router.get("/c/{slug}/export.{fmt}")
def export_trend(request: Request, slug: str, fmt: str, last: int = 50,
                 user: StaffUser = Depends(staff_user)) -> Response:
    """The column's issues (the newest ``last``) as a table: one row per issue."""
    if fmt not in ("csv", "xlsx"):
        raise NotFoundError("不支持的导出格式", resource=f"export.{fmt}")
    column, trend = request.app.state.zl.statistics.column_trend(
        slug, last=max(2, min(last, 100)), scope=user.scope)
    rows = export.trend_rows(trend, ZoneInfo(column["timezone"]))
    return _download(f"{slug}-各期.{fmt}", fmt, export.TREND_HEADERS, rows, "各期")


def _download(name: str, fmt: str, headers: list[str], rows: list[list],
              title: str) -> Response:
    if fmt == "csv":
        body, media = export.to_csv(headers, rows), "text/csv; charset=utf-8"
    else:
        body = export.to_xlsx(headers, rows, title=title)
        media = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return Response(body, media_type=media, headers={
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"})


def _stats(request: Request, slug: str, number: int, user: StaffUser,
           dept: str = "", **people) -> IssueStats:
    return request.app.state.zl.statistics.issue(slug, number, scope=user.scope,
                                                 department=dept[:300], **people)


@router.get("/c/{slug}/{number}", response_class=HTMLResponse)
def issue_page(request: Request, slug: str, number: PathId, dept: str = "",
               user: StaffUser = Depends(staff_user)) -> HTMLResponse:
    dept = dept.strip("/")
    # The page lists the first 500 of those who have not studied; the export has them all.
    stats = _stats(request, slug, number, user, dept, people="pending", limit=PENDING_SHOWN)
    if dept not in stats.nodes:
        dept = ""
    node = stats.nodes[dept]
    # A chain of single children (集团 → its one company) says nothing as bars: chart the
    # first level that branches.
    shown = node
    while len(shown.children) == 1:
        shown = stats.nodes[shown.children[0]]
    children = [stats.nodes[c] for c in sorted(shown.children)]
    chart = bar_chart([(c.name, c.completion * 100) for c in children] or
                      [(shown.name, shown.completion * 100)],
                      title=f"{shown.name}：各单位完成率", max_value=100)
    crumbs = []
    path = ""
    for part in dept.split("/") if dept else []:
        path = f"{path}/{part}" if path else part
        crumbs.append((part, path))
    zl = request.app.state.zl
    return render(request, "stats_issue.html", stats=stats, node=node, dept=dept,
                  children=children, chart=Markup(chart), crumbs=crumbs,
                  pending=stats.not_studied(dept), pending_count=stats.pending_count,
                  shown=PENDING_SHOWN, slug=slug, number=number,
                  reminders=[r for r in zl.reminders.history(stats.issue["id"])
                             if user.scope.contains(r["department"] or "")],
                  can_remind=user.can_edit(stats.column["id"]), scope=user.scope,
                  reflection_count=zl.reflections.count_of_issue(stats.issue["id"]),
                  quiz=zl.quiz.stats(stats.issue["id"], scope=user.scope))


@router.post("/c/{slug}/{number}/remind", dependencies=[Depends(csrf_protect)])
def remind(request: Request, slug: str, number: PathId, dept: str = Form(""),
           user: StaffUser = Depends(staff_user)) -> RedirectResponse:
    """提醒未学人员 (editors of the column and administrators)."""
    zl = request.app.state.zl
    if not user.can_edit(zl.get_column(slug)["id"]):
        raise PermissionDenied("只有本专栏的编辑和管理员可以发送提醒", resource=f"column {slug}")
    dept = dept.strip("/")
    # Back to the button, where the confirmation is shown, not to the top of the page.
    page = f"/admin/stats/c/{quote(slug)}/{number}"
    try:
        done = zl.reminders.remind_within(zl.issue_id(slug, number), user.scope,
                                          department=dept[:300], by=user.username)
    except NotFoundError as exc:        # an unknown department is not echoed back
        return flash_redirect(request, f"{page}#remind", error=f"未发送：{exc.message}")
    back = page + (f"?dept={quote(dept)}" if dept else "") + "#remind"
    if not done.count:
        return flash_redirect(request, back, done="没有需要提醒的人：都已学习，或今天已提醒过")
    return flash_redirect(request, back, done=f"已安排提醒 {done.count} 人，将通过其应用（或邮件）发送")


@router.get("/c/{slug}/{number}/export.{fmt}")
def export_issue(request: Request, slug: str, number: PathId, fmt: str, what: str = "departments",
                 dept: str = "", user: StaffUser = Depends(staff_user)) -> Response:
    if fmt not in ("csv", "xlsx") or what not in ("departments", "people", "pending", "quiz"):
        raise NotFoundError("不支持的导出格式", resource=f"export.{fmt}")
    stats = _stats(request, slug, number, user, dept.strip("/"), people={
        "departments": "none", "people": "all", "pending": "pending", "quiz": "none"}[what])
    if what == "departments":
        headers, rows, title = export.DEPARTMENT_HEADERS, export.department_rows(stats.tree), "部门"
    elif what == "quiz":
        quiz = request.app.state.zl.quiz.stats(stats.issue["id"], scope=user.scope)
        headers, rows, title = export.QUIZ_HEADERS, export.quiz_rows(quiz.tree), "答题"
    elif what == "people":
        headers, rows, title = (export.PEOPLE_HEADERS, export.people_rows(stats.people),
                                "人员")
    else:
        headers, rows, title = (export.PEOPLE_HEADERS,
                                export.people_rows(stats.not_studied(dept)), "未学习")
    return _download(f"{slug}-第{number}期-{title}.{fmt}", fmt, headers, rows, title)
