"""The reader's pages: home, column, issue, article, and the Atom feed per column.
Open to anyone; staff see the sources' health on the home page.

What a reader sees of these pages is the same for every reader, so it is rendered once
per change and kept (``app.page_cache``); the personal part of the article page comes
from ``/read/state``, which reading.js asks. Staff get their own render (their
navigation, previews of unpublished articles)."""

from __future__ import annotations

from collections.abc import Callable, Hashable

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from zhuanlan.errors import NotFoundError
from zhuanlan.publish.article_html import article_html
from zhuanlan.publish.render import render_atom
from zhuanlan.sources.health import source_status
from zhuanlan.study.reflection import MAX_CHARS, MIN_CHARS, QUESTION
from zhuanlan.web.auth import session_user
from zhuanlan.web.kept_pages import KEPT
from zhuanlan.web.params import OptionalQueryId, PathId, QueryId
from zhuanlan.web.readers import current_reader, known_reader, remember_readable
from zhuanlan.web.render import render, render_shared
from zhuanlan.web.studied_hint import hint_of

router = APIRouter()
REFLECTION_LIMITS = (MIN_CHARS, MAX_CHARS)


def _zl(request: Request):
    return request.app.state.zl


def _shared(request: Request, key: Hashable,
            make: Callable[[], tuple[HTMLResponse, bool]],
            kept: Callable[[], None] = lambda: None) -> HTMLResponse:
    """The kept page (after ``kept()``), or ``make()``'s: (the response, whether it may
    be kept)."""
    pages = _zl(request).reading.pages
    generation = pages.generation()     # before: a page read after a change is not kept
    body = pages.get(key)
    if body is None:
        with pages.making(key):         # the others wait for this render, then share it
            generation = pages.generation()
            body = pages.get(key)
            if body is None:
                response, keep = make()
                if keep:
                    pages.put(key, bytes(response.body), generation)
                    request.scope[KEPT] = (key, generation)
                return response
    kept()
    request.scope[KEPT] = (key, generation)
    return HTMLResponse(body)


@router.get("/", response_class=HTMLResponse)
def home(request: Request) -> HTMLResponse:
    zl = _zl(request)
    if session_user(request) is not None:
        return render(request, "home.html", columns=_active_columns(request),
                      sources=zl.list_sources(), status=source_status)
    return _shared(request, ("home",), lambda: (render_shared(
        request, "home.html", columns=_active_columns(request), sources=[],
        status=source_status), True))


def _active_columns(request: Request) -> list[dict]:
    return [c for c in _zl(request).list_columns() if c["archived_at"] is None]


@router.get("/healthz")
def healthz(request: Request) -> dict:
    _zl(request).list_columns()
    return {"ok": True}


@router.get("/c/{slug}", response_class=HTMLResponse)
def column_page(request: Request, slug: str) -> HTMLResponse:
    zl = _zl(request)
    reader = known_reader(request)

    def make(draw=render_shared) -> tuple[HTMLResponse, bool]:
        column = zl.get_column(slug)        # NotFoundError: nothing kept
        return draw(request, "column.html", column=column, issues=zl.issues_of(slug),
                    reader=reader), True

    if session_user(request) is not None:
        return make(render)[0]
    # Known readers see a link to their own record: the same for all of them.
    return _shared(request, ("column", slug, reader is not None and reader.known), make)


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
    """Kept for anonymous readers; a known reader's issue page is their own (their answers
    to the 答题, their 学习心得, a question whether their name may be shown), and staff get
    theirs."""
    reader = current_reader(request)
    if reader.known or session_user(request) is not None:
        return render_issue(request, slug, number)
    return _shared(request, ("issue", slug, number), lambda: (render_shared(
        request, "issue.html", **_issue_context(request, slug, number, reader)), True))


def render_issue(request: Request, slug: str, number: int, status: int = 200,
                 **extra) -> HTMLResponse:
    """The issue page; ``extra``: what a form shows again — the answer just given
    (web/quiz.py), the 学习心得 typed and refused (web/reflections.py)."""
    reader = current_reader(request)
    context = _issue_context(request, slug, number, reader)
    return render(request, "issue.html", status, **context, **extra)


def _issue_context(request: Request, slug: str, number: int, reader) -> dict:
    zl = _zl(request)
    issue_id = zl.issue_id(slug, number)
    return {"column": zl.get_column(slug), "issue": zl.issue_view(slug, number),
            "issue_id": issue_id, "number": number, "reader": reader,
            "questions": zl.quiz.for_reader(issue_id, reader),
            "reflection": zl.reflections.mine(reader, issue_id),
            "asked": zl.reflections.asked(reader), "limits": REFLECTION_LIMITS,
            "question": QUESTION}


@router.get("/a/{article_id}", response_class=HTMLResponse)
def article_page(request: Request, article_id: PathId,
                 i: OptionalQueryId = None) -> HTMLResponse:
    zl = _zl(request)
    reader = current_reader(request)
    staff = session_user(request) is not None

    def make(draw=render_shared) -> tuple[HTMLResponse, bool]:
        page = zl.reading.article_page(article_id, issue_id=i, reader=reader, staff=staff)
        # Sanitised HTML: the paragraphs with the fetched images (/img/{id}) among them.
        body_html = article_html(page["article"]["text"], page["figures"])
        # A staff preview of an unpublished article is no reading, and is never kept.
        if page["published"]:
            remember_readable(request, article_id)
            zl.records.opened(reader, article_id, i)
        return draw(request, "article.html", article=page["article"], body_html=body_html,
                    others=page["others"], reader=reader, issue_id=i,
                    issue=page["issue"]), page["published"]

    if staff:
        return make(render)[0]

    def kept() -> None:
        # Kept, so published: one open per view, as for a rendered page.
        remember_readable(request, article_id)
        zl.records.opened(reader, article_id, i)

    # Known and anonymous readers differ by one line (the anonymous count's note).
    return _shared(request, ("article", article_id, i, reader.known), make, kept)


@router.get("/read/state")
def reading_state(request: Request, a: QueryId, i: OptionalQueryId = None) -> JSONResponse:
    """The personal part of the article page (reading.js fills it in): see
    ``Reading.reader_state``. 404 (JSON) where the page would be 404."""
    reader = current_reader(request)
    try:
        return JSONResponse(_zl(request).reading.reader_state(
            reader, a, issue_id=i, staff=session_user(request) is not None,
            hint=hint_of(request, reader, a)))
    except NotFoundError as exc:
        return JSONResponse({"error": exc.message}, status_code=404)
