"""Every route of the app, every parameter, hostile values: the answer is a 4xx with a
Chinese message, never a 500.

The routes are read from the app itself (``app.routes`` and the mounted API's), so a
route added later is covered without touching this test. Each is asked as an anonymous
visitor and as a logged-in administrator (the API with an administrator's token).
"""

from __future__ import annotations

import re
from urllib.parse import quote

import httpx
import pytest
from fastapi.routing import APIRoute
from starlette.routing import Mount

from tests.support.study_seed import publish
from tests.support.web import REQUEST_TIMEOUT
from tests.web.conftest import csrf_of, logged_in

# Values that broke something once, or that a careless int()/float()/query might.
HOSTILE = [
    "0", "-1", "9223372036854775807", "9223372036854775808", "99999999999999999999",
    "1" * 5000, "²", "١٢", "1e3", "1.5", "NaN", "inf", " 1", "", "x", "%00", "\x00",
    "../../etc/passwd", "中文", "'; DROP TABLE articles; --", "<script>", "(" * 2000,
    "NOT " * 20000,
]

SLUG = "xuexi"


def _routes(app, prefix: str = ""):
    """(mount prefix, APIRoute) of the app, its included routers and mounted sub-apps."""
    for route in app.routes:
        if isinstance(route, APIRoute):
            yield prefix, route
        elif hasattr(route, "original_router"):     # FastAPI's wrapper of include_router
            assert not getattr(route.include_context, "prefix", ""), "prefix not handled"
            yield from _routes(route.original_router, prefix)
        elif isinstance(route, Mount) and hasattr(route.app, "routes"):
            yield from _routes(route.app, prefix + route.path)


def _fill(path: str, names: list[str], hostile: str | None, target: str | None,
          good: dict[str, str]) -> str:
    def value(name: str) -> str:
        raw = hostile if name == target else good.get(name, "1")
        return quote(raw, safe="")
    for name in names:
        path = re.sub(r"\{" + re.escape(name) + r"(:[^}]*)?\}", value(name), path)
    return path


def _params(route: APIRoute) -> tuple[list[str], list[str], list[str]]:
    dep = route.dependant
    flat: list = []

    def walk(d) -> None:
        flat.append(d)
        for sub in d.dependencies:
            walk(sub)
    walk(dep)
    paths = sorted({p.alias for d in flat for p in d.path_params})
    queries = sorted({p.alias for d in flat for p in d.query_params})
    forms = sorted({p.alias for d in flat for p in d.body_params})
    return paths, queries, forms


@pytest.fixture
def hostile_site(site):
    zl, web = site
    zl.add_subscriber("a@example.com", "甲", department="集团/一公司")
    zl.people.subscribe_department(SLUG, "集团")
    publish(zl, 2, "fz")
    _, token = zl.staff.create_token("chief", "fuzz")
    return zl, web, token


def test_no_route_answers_500_to_hostile_values(hostile_site):
    zl, web, token = hostile_site
    app = web.server.config.app
    anon = httpx.Client(base_url=web.url(""), follow_redirects=False, timeout=30)
    admin = logged_in(web, "chief", "chief-password")
    csrf = csrf_of(admin.get("/admin/me").text)
    good = {"slug": SLUG, "number": "1", "fmt": "csv"}
    failures: list[str] = []
    asked = 0
    for prefix, route in _routes(app):
        paths, queries, forms = _params(route)
        methods = sorted(route.methods - {"HEAD"})
        clients = [("anon", anon, {})]
        if prefix:
            clients.append(("token", anon, {"Authorization": f"Bearer {token}"}))
        else:
            clients.append(("admin", admin, {}))
        for target in paths + queries + forms:
            for value in HOSTILE:
                if target not in forms and len(quote(value, safe="")) > 8000:
                    continue              # beyond what a URL carries; sent in bodies only
                url = prefix + _fill(route.path, paths, value, target, good)
                params = {q: (value if q == target else "1") for q in queries}
                data = {f: (value if f == target else "1") for f in forms}
                for who, client, headers in clients:
                    for method in methods:
                        try:
                            r = _ask(client, method, url, params, data, headers, prefix, csrf)
                        except httpx.HTTPError as exc:
                            failures.append(f"{who} {method} {url[:80]} {target}={value[:20]!r}"
                                            f" → {exc!r}")
                            continue
                        asked += 1
                        if r.status_code >= 500:
                            failures.append(f"{who} {method} {url[:80]} {target}={value[:20]!r}"
                                            f" → {r.status_code}")
    assert asked > 5000
    assert not failures, "\n".join(failures[:60])


def _ask(client, method, url, params, data, headers, prefix, csrf):
    if method == "GET":
        return client.get(url, params=params, headers=headers)
    if prefix:
        return client.request(method, url, params=params, json=data, headers=headers)
    return client.request(method, url, params=params, data={**data, "csrf_token": csrf},
                          headers=headers)


@pytest.mark.parametrize("path", [
    "/a/9223372036854775808", "/img/99999999999999999999", "/c/xuexi/9223372036854775808",
    "/a/1?i=999999", "/a/1?i=99999999999999999999", "/search?q=x&page=²",
    "/search?q=x&page=" + "9" * 5000,
])
def test_hostile_reader_urls_are_404_or_422_in_chinese(hostile_site, path):
    zl, web, _ = hostile_site
    r = httpx.get(web.url(path), timeout=30)
    assert r.status_code in (400, 404, 422), r.status_code
    assert re.search(r"[\u4e00-\u9fff]", r.text), r.text[:200]


def test_messages_come_from_the_server_never_from_the_url(site):
    """A link made by someone else cannot put their words on our pages."""
    zl, web = site
    bait = "账号已冻结，请到 http://evil.example 重新验证"
    anon = httpx.Client(base_url=web.url(""), follow_redirects=False, timeout=10)
    assert bait not in anon.get("/login", params={"error": bait}).text
    chief = logged_in(web, "chief", "chief-password")
    for path in ("/admin/users", "/admin/channels", "/admin/people", "/admin/sources",
                 f"/admin/c/{SLUG}/review", f"/admin/people/columns/{SLUG}"):
        page = chief.get(path, params={"error": bait, "done": bait})
        assert page.status_code == 200 and bait not in page.text, path
    # The server's own message is shown once after the redirect, then gone.
    token = csrf_of(chief.get("/admin/users").text)
    r = chief.post("/admin/users", data={"username": "x", "password": "short",
                                         "role": "editor", "csrf_token": token})
    assert r.status_code == 303 and "?" not in r.headers["location"]
    assert 'role="alert"' in chief.get("/admin/users").text
    assert 'role="alert"' not in chief.get("/admin/users").text


@pytest.mark.parametrize("include", ["(" * 2000 + "学习" + ")" * 2000, "NOT " * 20000 + "学习"])
def test_a_hostile_rule_through_the_api_is_a_422_in_chinese(hostile_site, include):
    zl, web, token = hostile_site
    r = httpx.post(web.url("/api/v1/columns"), timeout=30,
                   headers={"Authorization": f"Bearer {token}"},
                   json={"slug": "deep", "name": "深", "include": include})
    assert r.status_code == 422 and "嵌套超过" in r.json()["message"]


def test_a_password_in_a_source_url_is_never_shown(site):
    zl, web = site
    sid = zl.add_source("内网源", "https://feeduser:s3cret-pass@feeds.example.com/rss.xml")
    with zl.db.read() as conn:                                # kept for the fetcher
        from zhuanlan.store.schema import sources
        stored = conn.execute(sources.select().where(sources.c.id == sid)).first().url
    assert "s3cret-pass" in stored
    look = logged_in(web, "look", "viewer-password")
    for client, path in ((look, "/admin/sources"), (logged_in(web, "chief", "chief-password"), "/")):
        page = client.get(path).text
        assert "s3cret-pass" not in page and "feeduser:***@feeds.example.com" in page, path
    _, token = zl.staff.create_token("look", "list")
    listed = httpx.get(web.url("/api/v1/sources"), headers={"Authorization": f"Bearer {token}"},
                       timeout=REQUEST_TIMEOUT)
    assert "s3cret-pass" not in listed.text and "feeduser:***@" in listed.text
