"""The search page: GET /search?q=…&column=…&outlet=…&from=…&to=…&page=…

Open to anyone: anonymous readers find the articles published in an issue, logged-in
staff every article (:mod:`zhuanlan.store.search`). Every parameter is taken as text and
checked here, so a bad one gives the page with a message, never a bare 422.
"""

from __future__ import annotations

from datetime import date
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from zhuanlan.errors import NotFoundError
from zhuanlan.search.query import SearchQueryError
from zhuanlan.web.auth import session_user
from zhuanlan.web.render import render

router = APIRouter()

PER_PAGE = 20
MAX_PAGE = 1000 // PER_PAGE + 1        # the store answers offsets up to 1,000


def _day(value: str, label: str, errors: list[str]) -> date | None:
    value = value.strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        errors.append(f"{label}应为“年-月-日”，例如 2024-03-01。")
        return None


def _page(value: str, errors: list[str]) -> int:
    value = value.strip()
    if not value:
        return 1
    # ASCII digits only ("²" is a digit to str.isdigit) and short: int() of a
    # 5,000-digit string raises, and no result list has that many pages.
    if not (value.isascii() and value.isdigit() and len(value) <= 6) or int(value) < 1:
        errors.append("页码应为正整数。")
        return 1
    return min(int(value), MAX_PAGE)


@router.get("/search", response_class=HTMLResponse)
def search_page(request: Request, q: str = "", column: str = "", outlet: str = "",
                from_: str = Query("", alias="from"), to: str = "",
                page: str = "1") -> HTMLResponse:
    zl = request.app.state.zl
    staff = session_user(request) is not None
    columns = zl.list_columns()
    outlets = zl.reading.outlets(staff=staff)
    errors: list[str] = []
    since, until = _day(from_, "起始日期", errors), _day(to, "截止日期", errors)
    if since and until and since > until:
        errors.append("起始日期晚于截止日期。")
    page_no = _page(page, errors)
    slug = column.strip()
    if slug and not any(c["slug"] == slug for c in columns):
        errors.append("没有这个专栏。")
    params = {"q": q, "column": slug, "outlet": outlet, "from": from_, "to": to}
    result = None
    searched = "q" in request.query_params
    if searched and not errors:
        try:
            result = zl.search(q, column=slug or None, outlet=outlet or None, since=since,
                               until=until, limit=PER_PAGE, offset=(page_no - 1) * PER_PAGE,
                               staff=staff)
        except SearchQueryError as exc:
            errors.append(exc.message)
        except NotFoundError:
            errors.append("没有这个专栏。")

    def page_url(n: int) -> str:
        return "/search?" + urlencode({**{k: v for k, v in params.items() if v}, "page": n})

    status = 400 if errors and (q.strip() or slug or from_ or to) else 200
    return render(request, "search.html", status, q=q, column=slug, outlet=outlet,
                  date_from=from_, date_to=to, columns=columns, outlets=outlets,
                  errors=errors if searched or status == 400 else [], result=result,
                  page_url=page_url, staff=staff,
                  filtered=bool(slug or outlet or from_ or to))
