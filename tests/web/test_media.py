"""The page policy middleware: HTML pages may load from this server only."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.testclient import TestClient

from zhuanlan.web.media import PAGE_POLICY, ContentSecurityPolicy, _matches


def _app() -> TestClient:
    app = FastAPI()

    @app.get("/page", response_class=HTMLResponse)
    def page() -> str:
        return "<p>页</p>"

    @app.get("/own", response_class=HTMLResponse)
    def own() -> HTMLResponse:
        return HTMLResponse("<p>页</p>", headers={"Content-Security-Policy": "default-src 'none'"})

    @app.get("/data")
    def data() -> JSONResponse:
        return JSONResponse({"ok": True})

    app.add_middleware(ContentSecurityPolicy)
    return TestClient(app)


def test_html_pages_get_the_policy():
    client = _app()
    page = client.get("/page")
    assert page.headers["content-security-policy"] == PAGE_POLICY
    assert "img-src 'self'" in PAGE_POLICY and "script-src 'self'" in PAGE_POLICY
    assert page.headers["x-content-type-options"] == "nosniff"
    assert client.get("/own").headers["content-security-policy"] == "default-src 'none'"
    assert "content-security-policy" not in client.get("/data").headers


def test_if_none_match():
    etag = '"ab"'
    assert _matches('"ab"', etag) and _matches('W/"ab"', etag) and _matches('"x", "ab"', etag)
    assert _matches("*", etag)
    assert not _matches("", etag) and not _matches('"abc"', etag)
