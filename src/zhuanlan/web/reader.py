"""The reader's pages: home, column, issue, article, and the Atom feed per column.
Open to anyone; staff see the sources' health on the home page."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from zhuanlan.publish.article_html import article_html
from zhuanlan.publish.render import render_atom
from zhuanlan.sources.health import source_status
from zhuanlan.study.reflection import MAX_CHARS, MIN_CHARS, QUESTION
from zhuanlan.web.auth import session_user
from zhuanlan.web.params import OptionalQueryId, PathId
from zhuanlan.web.readers import current_reader, known_reader, remember_readable
from zhuanlan.web.render import render

router = APIRouter()
REFLECTION_LIMITS = (MIN_CHARS, MAX_CHARS)


def _zl(request: Request):
    return request.app.state.zl


@router.get("/", response_class=HTMLResponse)
def home(request: Request) -> HTMLResponse:
    zl = _zl(request)
    staff = session_user(request) is not None
    return render(request, "home.html",
                  columns=[c for c in zl.list_columns() if c["archived_at"] is None],
                  sources=zl.list_sources() if staff else [], status=source_status)


@router.get("/healthz")
def healthz(request: Request) -> dict:
    _zl(request).list_columns()
    return {"ok": True}


@router.get("/c/{slug}", response_class=HTMLResponse)
def column_page(request: Request, slug: str) -> HTMLResponse:
    zl = _zl(request)
    column = zl.get_column(slug)
    return render(request, "column.html", column=column, issues=zl.issues_of(slug),
                  reader=known_reader(request))


@router.get("/c/{slug}/feed.atom")
def column_feed(request: Request, slug: str) -> Response:
    zl = _zl(request)
    column = zl.get_column(slug)
    views = [zl.issue_view(slug, i["number"]) for i in zl.issues_of(slug)[:20]]
    updated = views[0].published_at if views else column["created_at"]
    xml = render_atom(column_name=column["name"], column_slug=slug,
                      feed_url=f"{zl.cfg.base_url}/c/{slug}/feed.atom",
                      site_url=f"{zl.cfg.base_url}/c/{slug}", issues=views, updated=updated,
                      tz=zl.tz)
    return Response(xml, media_type="application/atom+xml; charset=utf-8")


@router.get("/c/{slug}/{number}", response_class=HTMLResponse)
def issue_page(request: Request, slug: str, number: PathId) -> HTMLResponse:
    return render_issue(request, slug, number)


def render_issue(request: Request, slug: str, number: int, status: int = 200,
                 **extra) -> HTMLResponse:
    """The issue page; ``extra``: what a form shows again — the answer just given
    (web/quiz.py), the 学习心得 typed and refused (web/reflections.py)."""
    zl = _zl(request)
    column = zl.get_column(slug)
    issue_id = zl.issue_id(slug, number)
    reader = current_reader(request)
    return render(request, "issue.html", status, column=column,
                  issue=zl.issue_view(slug, number), issue_id=issue_id, number=number,
                  reader=reader, questions=zl.quiz.for_reader(issue_id, reader),
                  reflection=zl.reflections.mine(reader, issue_id),
                  asked=zl.reflections.asked(reader), limits=REFLECTION_LIMITS,
                  question=QUESTION, **extra)


@router.get("/a/{article_id}", response_class=HTMLResponse)
def article_page(request: Request, article_id: PathId,
                 i: OptionalQueryId = None) -> HTMLResponse:
    zl = _zl(request)
    reader = current_reader(request)
    page = zl.reading.article_page(article_id, issue_id=i, reader=reader,
                                   staff=session_user(request) is not None)
    article = page["article"]
    paragraphs = [p.strip() for p in article["text"].split("\n") if p.strip()]
    # Sanitised HTML: the paragraphs with the fetched images (/img/{id}) among them.
    body_html = article_html(article["text"], page["figures"])
    if page["published"]:       # a staff preview of an unpublished article is no reading
        remember_readable(request, article_id)
        zl.records.opened(reader, article_id, i)
    return render(request, "article.html", article=article, paragraphs=paragraphs,
                  body_html=body_html, others=page["others"], reader=reader,
                  issue_id=i, reading=page["reading"], issue=page["issue"],
                  too_quick=page["too_quick"], min_seconds=page["min_seconds"])
