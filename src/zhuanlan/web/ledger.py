"""学习台账 on the web: 我的学习记录 for the reader (``/me``: known by the signed reader
cookie of their personal link or app login, never by an id in the URL, so nobody can ask
for another person's record), the ledger of the people a manager may see
(``/admin/ledger``, XLSX and CSV), and the summary per department over a year, quarter
or month (``/admin/stats/year``), printable."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from zhuanlan.app.staff import StaffUser
from zhuanlan.errors import NotFoundError
from zhuanlan.study.periods import MAX_YEAR, MIN_YEAR, PART_PATTERN, Period, choices
from zhuanlan.web.auth import staff_user
from zhuanlan.web.readers import known_reader
from zhuanlan.web.render import render

router = APIRouter()

Year = Annotated[int | None, Query(ge=MIN_YEAR, le=MAX_YEAR)]
Part = Annotated[str, Query(pattern=PART_PATTERN)]
Slug = Annotated[str, Query(max_length=100)]
Dept = Annotated[str, Query(max_length=300)]
PER_PAGE = 100
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _this_year(request: Request) -> int:
    zl = request.app.state.zl
    return zl.clock().astimezone(zl.ledger.tz).year


@router.get("/me", response_class=HTMLResponse)
def my_record(request: Request, year: Year = None) -> HTMLResponse:
    """我的学习记录."""
    zl = request.app.state.zl
    reader = known_reader(request)
    if reader is None or reader.subscriber_id is None:
        return render(request, "my_record.html", record=None, years=[], reader=reader)
    years = zl.ledger.years(reader.subscriber_id) or [_this_year(request)]
    year = year or years[0]
    return render(request, "my_record.html", reader=reader, years=years, year=year,
                  record=zl.ledger.personal(reader.subscriber_id, year))


def _filters(request: Request, year: int | None, part: str, slug: str, extra: dict) -> dict:
    zl = request.app.state.zl
    period = Period.parse(year or _this_year(request), part)
    columns = [c for c in zl.list_columns()]
    return {"period": period, "slug": slug, "columns": columns,
            "parts": choices(period.year),
            "years": sorted(set(zl.ledger.years()) | {period.year}, reverse=True),
            "query": urlencode({"year": period.year, "part": period.part, "c": slug, **extra})}


@router.get("/admin/ledger", response_class=HTMLResponse)
def ledger_page(request: Request, year: Year = None, part: Part = "", c: Slug = "",
                by: Annotated[str, Query(pattern="^(issue|month)$")] = "issue",
                dept: Dept = "", page: Annotated[int, Query(ge=1, le=10_000)] = 1,
                user: StaffUser = Depends(staff_user)) -> HTMLResponse:
    """学习台账: one row per person, a group of figures per issue or month."""
    f = _filters(request, year, part, c, {"by": by, "dept": dept})
    ledger = request.app.state.zl.ledger
    book = ledger.table(scope=user.scope, slug=c, period=f["period"], by=by, department=dept,
                        page=page, per_page=PER_PAGE)
    pages = max(1, -(-(book.people or 0) // PER_PAGE))
    if page > pages:        # past the end: the last page
        page = pages
        book = ledger.table(scope=user.scope, slug=c, period=f["period"], by=by,
                            department=dept, page=page, per_page=PER_PAGE)
    return render(request, "ledger.html", book=book, by=by, dept=dept, scope=user.scope,
                  rows=book.rows, page=page, pages=pages, **f)


@router.get("/admin/ledger/export.{fmt}")
def export_ledger(request: Request, fmt: str, year: Year = None, part: Part = "",
                  c: Slug = "", by: Annotated[str, Query(pattern="^(issue|month)$")] = "issue",
                  dept: Dept = "", user: StaffUser = Depends(staff_user)) -> Response:
    """The ledger as XLSX (a merged header over each issue's or month's columns, totals at
    the right) or CSV (one header row)."""
    if fmt not in ("csv", "xlsx"):
        raise NotFoundError("不支持的导出格式", resource=f"export.{fmt}")
    name, body = request.app.state.zl.ledger.export(
        fmt, scope=user.scope, slug=c, period=Period.parse(year or _this_year(request), part),
        by=by, department=dept, actor=user.username)
    return _download(name, fmt, body)


def _download(name: str, fmt: str, body: bytes) -> Response:
    return Response(body, media_type=XLSX if fmt == "xlsx" else "text/csv; charset=utf-8",
                    headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"})


@router.get("/admin/stats/year", response_class=HTMLResponse)
def year_page(request: Request, year: Year = None, part: Part = "", c: Slug = "",
              level: Annotated[int, Query(ge=0, le=20)] = 0,
              user: StaffUser = Depends(staff_user)) -> HTMLResponse:
    """年度 / 季度学习汇总 per department, ranked by completion; printable."""
    f = _filters(request, year, part, c, {"level": level})
    summary = request.app.state.zl.ledger.summary(scope=user.scope, slug=c,
                                                  period=f["period"], level=level)
    return render(request, "stats_year.html", summary=summary, scope=user.scope, **f)


@router.get("/admin/stats/year/export.{fmt}")
def export_year(request: Request, fmt: str, year: Year = None, part: Part = "",
                c: Slug = "", level: Annotated[int, Query(ge=0, le=20)] = 0,
                user: StaffUser = Depends(staff_user)) -> Response:
    if fmt not in ("csv", "xlsx"):
        raise NotFoundError("不支持的导出格式", resource=f"export.{fmt}")
    name, body = request.app.state.zl.ledger.export_summary(
        fmt, scope=user.scope, slug=c, period=Period.parse(year or _this_year(request), part),
        level=level, actor=user.username)
    return _download(name, fmt, body)
