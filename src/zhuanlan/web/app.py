"""The ASGI app: reader pages, the Atom feed per column, and the plain editor pages
(review queue, sources). Handlers parse, call the facade, render."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from urllib.parse import quote
from zoneinfo import ZoneInfo

from fastapi import FastAPI, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from zhuanlan.core import Zhuanlan
from zhuanlan.errors import InvalidTransition, NotFoundError, RuleError
from zhuanlan.jobs.publishing import summary_of
from zhuanlan.publish.render import render_atom
from zhuanlan.publish.schedule import describe
from zhuanlan.web.marks import mark
from zhuanlan.web.status import source_status

HERE = Path(__file__).parent


def create_app(zl: Zhuanlan) -> FastAPI:
    app = FastAPI(title="zhuanlan 专栏", docs_url=None, redoc_url=None)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    templates = Jinja2Templates(directory=HERE / "templates")
    tz = ZoneInfo(zl.tz)

    def local(dt: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
        return dt.astimezone(tz).strftime(fmt) if dt else ""

    templates.env.filters["local"] = local
    templates.env.filters["summary"] = summary_of
    templates.env.globals["describe_schedule"] = describe
    templates.env.filters["mark"] = mark

    def page(request: Request, name: str, status_code: int = 200, **ctx) -> HTMLResponse:
        return templates.TemplateResponse(request, name, ctx, status_code=status_code)

    @app.exception_handler(NotFoundError)
    async def not_found(request: Request, exc: NotFoundError) -> HTMLResponse:
        return page(request, "error.html", 404, title="未找到", message=f"未找到：{exc}")

    @app.get("/", response_class=HTMLResponse)
    def home(request: Request) -> HTMLResponse:
        return page(request, "home.html", columns=zl.list_columns(), sources=zl.list_sources(),
                    status=source_status)

    @app.get("/healthz")
    def healthz() -> dict:
        zl.list_columns()
        return {"ok": True}

    @app.get("/c/{slug}", response_class=HTMLResponse)
    def column_page(request: Request, slug: str) -> HTMLResponse:
        column = zl.get_column(slug)
        return page(request, "column.html", column=column, issues=zl.issues_of(slug))

    @app.get("/c/{slug}/feed.atom")
    def column_feed(slug: str) -> Response:
        column = zl.get_column(slug)
        views = [zl.issue_view(slug, i["number"]) for i in zl.issues_of(slug)[:20]]
        updated = views[0].published_at if views else column["created_at"]
        xml = render_atom(column_name=column["name"], column_slug=slug,
                          feed_url=f"{zl.cfg.base_url}/c/{slug}/feed.atom",
                          site_url=f"{zl.cfg.base_url}/c/{slug}", issues=views, updated=updated,
                          tz=zl.tz)
        return Response(xml, media_type="application/atom+xml; charset=utf-8")

    @app.get("/c/{slug}/{number}", response_class=HTMLResponse)
    def issue_page(request: Request, slug: str, number: int) -> HTMLResponse:
        column = zl.get_column(slug)
        return page(request, "issue.html", column=column, issue=zl.issue_view(slug, number))

    @app.get("/a/{article_id}", response_class=HTMLResponse)
    def article_page(request: Request, article_id: int) -> HTMLResponse:
        article = zl.article(article_id)
        paragraphs = [p.strip() for p in article["text"].split("\n") if p.strip()]
        return page(request, "article.html", article=article, paragraphs=paragraphs,
                    others=zl.other_outlets(article_id))

    # -- editor pages ----------------------------------------------------------------

    @app.get("/admin/sources", response_class=HTMLResponse)
    def sources_page(request: Request) -> HTMLResponse:
        return page(request, "sources.html", sources=zl.list_sources(), status=source_status)

    @app.post("/admin/sources/{source_id}/poll")
    def poll_source(source_id: int) -> RedirectResponse:
        zl.get_source(source_id)
        zl.poll_now(source_id)
        return RedirectResponse("/admin/sources", status_code=303)

    @app.get("/admin/audit", response_class=HTMLResponse)
    def audit_page(request: Request) -> HTMLResponse:
        return page(request, "audit.html", entries=zl.audit())

    @app.get("/admin/c/{slug}/review", response_class=HTMLResponse)
    def review_page(request: Request, slug: str, state: str = "pending",
                    error: str = "") -> HTMLResponse:
        column = zl.get_column(slug)
        if state not in {"pending", "approved", "rejected", "published"}:
            state = "pending"
        items = zl.candidates(slug, state)
        others = {c["id"]: zl.other_outlets(c["article_id"]) for c in items}
        return page(request, "review.html", column=column, state=state, error=error,
                    items=items, others=others,
                    approved_count=zl.candidate_counts(slug).get("approved", 0),
                    learner_ready=zl.learner_ready(slug))

    @app.post("/admin/c/{slug}/decide")
    def decide(slug: str, candidate_id: int = Form(...), action: str = Form(...),
               state: str = Form("pending")) -> RedirectResponse:
        zl.get_column(slug)
        error = ""
        try:
            zl.decide(candidate_id, action, by="web")
        except (InvalidTransition, RuleError) as exc:
            error = str(exc)
        target = f"/admin/c/{slug}/review?state={state}"
        if error:
            target += f"&error={quote(error)}"
        return RedirectResponse(target, status_code=303)

    @app.post("/admin/c/{slug}/bulk")
    def bulk(slug: str, action: str = Form(...), state: str = Form("pending"),
             candidate_id: list[int] = Form(default=[])) -> RedirectResponse:
        zl.get_column(slug)
        if action not in ("approve", "reject", "undo"):
            action = ""
        results = zl.decide_many(candidate_id, action, by="web") if action else {}
        failed = [r for r in results.values() if r.startswith("错误")]
        target = f"/admin/c/{slug}/review?state={state}"
        if not candidate_id:
            target += f"&error={quote('没有选中稿件')}"
        elif failed:
            target += f"&error={quote('；'.join(failed))}"
        return RedirectResponse(target, status_code=303)

    @app.post("/admin/c/{slug}/note")
    def note(slug: str, editor_note: str = Form("")) -> RedirectResponse:
        zl.set_editor_note(slug, editor_note.strip(), by="web")
        return RedirectResponse(f"/admin/c/{slug}/review", status_code=303)

    @app.post("/admin/c/{slug}/publish")
    def publish(slug: str) -> RedirectResponse:
        issue_id = zl.publish_now(slug, by="web")
        if issue_id is None:
            return RedirectResponse(f"/admin/c/{slug}/review?error={quote('没有已通过的稿件，未发布')}",
                                    status_code=303)
        return RedirectResponse(f"/c/{slug}/{zl.issues_of(slug)[0]['number']}", status_code=303)

    return app
