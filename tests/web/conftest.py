"""A real uvicorn server of the whole app over the test database, and logged-in
clients speaking HTTP to it."""

from __future__ import annotations

import csv
import io
import re

import httpx
import pytest

from tests.support.smtp import free_port
from tests.support.web import REQUEST_TIMEOUT, WebServer

SLUG = "xuexi"


@pytest.fixture
def site(make_zl):
    from zhuanlan.web.app import create_app

    zl = make_zl()
    zl.add_column(SLUG, "学习二十大", include="二十大 OR 党的建设", schedule="0 9 * * 1")
    zl.add_column("other", "其他专栏", include="经济", schedule="0 9 * * 1")
    zl.staff.add_user("chief", "chief-password", role="admin")
    zl.staff.add_user("ed", "editor-password", role="editor", columns_=[SLUG])
    zl.staff.add_user("look", "viewer-password", role="viewer")
    with WebServer(create_app(zl), free_port()) as web:
        yield zl, web


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "the page has no CSRF field"
    return found.group(1)


def logged_in(web, username: str, password: str) -> httpx.Client:
    client = httpx.Client(base_url=web.url(""), follow_redirects=False, timeout=REQUEST_TIMEOUT)
    page = client.get("/login")
    r = client.post("/login", data={"username": username, "password": password,
                                    "csrf_token": csrf_of(page.text), "next": "/admin"})
    assert r.status_code == 303, r.text
    return client


def csv_rows(r: httpx.Response) -> list[list[str]]:
    """A CSV download's rows (UTF-8 with BOM), after checking it came."""
    assert r.status_code == 200, r.text
    return list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
