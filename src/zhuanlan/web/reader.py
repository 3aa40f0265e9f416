"""The reader's pages: home, column, issue, article, and the Atom feed per column.
Open to anyone; staff see the sources' health on the home page."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from sqlalchemy import select

from zhuanlan.errors import NotFoundError
from zhuanlan.jobs.images import FETCHED
from zhuanlan.jobs.stories import other_outlets
from zhuanlan.publish.article_html import Figure, article_html
from zhuanlan.publish.render import render_atom
from zhuanlan.store.schema import articles, images, sources
from zhuanlan.store.visibility import article_visible, issue_carries
from zhuanlan.study.records import reading_in
from zhuanlan.web.auth import session_user
from zhuanlan.web.readers import current_reader, remember_readable
from zhuanlan.web.render import render
from zhuanlan.web.status import source_status
from zhuanlan.web.params import OptionalQueryId, PathId

router = APIRouter()


def _zl(request: Request):  # noqa: ANN202
    return request.app.state.zl


@router.get("/", response_class=HTMLResponse)
def home(request: Request) -> HTMLResponse:
    zl = _zl(request)
    staff = session_user(request) is not None
    return render(request, "home.html", columns=zl.list_columns(),
                  sources=zl.list_sources() if staff else [], status=source_status)


@router.get("/healthz")
def healthz(request: Request) -> dict:
    _zl(request).list_columns()
    return {"ok": True}


@router.get("/c/{slug}", response_class=HTMLResponse)
def column_page(request: Request, slug: str) -> HTMLResponse:
    zl = _zl(request)
    column = zl.get_column(slug)
    return render(request, "column.html", column=column, issues=zl.issues_of(slug))


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
    zl = _zl(request)
    column = zl.get_column(slug)
    return render(request, "issue.html", column=column, issue=zl.issue_view(slug, number))


@router.get("/a/{article_id}", response_class=HTMLResponse)
def article_page(request: Request, article_id: PathId,
                 i: OptionalQueryId = None) -> HTMLResponse:
    zl = _zl(request)
    staff = session_user(request) is not None
    # Everything the page shows — the article, its pictures, the other outlets of its
    # story, who reads and their record — in one read transaction: one pool checkout and
    # one BEGIN per page instead of five (the page is what 50,000 phones open at 9:00).
    with zl.db.read() as conn:
        # Readers see what was published; an unpublished article is "not found" (the
        # same answer as no article, so ids cannot be probed). ``i`` names the issue the
        # reader came from: it must carry the article, or nothing would be recorded
        # against a real issue.
        published = article_visible(conn, article_id, staff=False)
        if not published and not (staff and article_visible(conn, article_id, staff=True)):
            raise NotFoundError("没有这篇文章", resource=f"article {article_id}")
        if i is not None and not issue_carries(conn, i, article_id):
            raise NotFoundError("这一期没有这篇文章", resource=f"issue {i}")
        article = conn.execute(
            select(*_ARTICLE_COLUMNS, sources.c.name.label("outlet"))
            .outerjoin(sources, sources.c.id == articles.c.source_id)
            .where(articles.c.id == article_id)).mappings().first()
        if article is None:
            raise NotFoundError("没有这篇文章", resource=f"article {article_id}")
        article = dict(article)
        figures = [Figure(id=r.id, caption=r.caption or "", width=r.width, height=r.height)
                   for r in conn.execute(
                       select(images.c.id, images.c.caption, images.c.width, images.c.height)
                       .where(images.c.article_id == article_id, images.c.state == FETCHED)
                       .order_by(images.c.position))]          # as jobs.images.shown_images
        others = other_outlets(conn, article_id)
        reader = current_reader(request, conn)
        reading = reading_in(conn, reader, article_id)
    paragraphs = [p.strip() for p in article["text"].split("\n") if p.strip()]
    # Sanitised HTML: the paragraphs with the fetched images (/img/{id}) among them.
    body_html = article_html(article["text"], figures)
    if published:       # a staff preview of an unpublished article is no reading
        remember_readable(request, article_id)
        zl.records.opened(reader, article_id, i)
    return render(request, "article.html", article=article, paragraphs=paragraphs,
                  body_html=body_html, others=others, reader=reader,
                  issue_id=i, reading=reading)


# The article's columns the page needs: not the originals nor the MinHash signature.
_ARTICLE_COLUMNS = [c for c in articles.c
                    if c.name not in ("text_orig", "title_orig", "signature")]
