"""Search through the facade, the ingest path, and the /search page over real HTTP:
anonymous readers see only published articles, staff all; snippets escaped."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import httpx
import pytest

from tests.support.search_seed import Seed, corpus_article
from tests.support.smtp import free_port
from tests.support.web import WebServer
from tests.web.conftest import logged_in


def test_new_articles_are_indexed_in_the_ingest_transaction(zl):
    from zhuanlan.jobs.ingest import _store_article
    from zhuanlan.model import Article

    title, body = corpus_article("newspaper4k_zh:chinese_article_002")
    art = Article(url="http://example.cn/1", canonical_url="http://example.cn/1",
                  title=title, text=body, title_orig=title, text_orig=body,
                  content_hash="h1", published=datetime(2026, 3, 1, tzinfo=UTC))
    with zl.db.write() as conn:
        aid, new = _store_article(conn, art, None, zl.clock())
    assert new
    assert [h.article_id for h in zl.search("短缺药品", staff=True).hits] == [aid]
    assert zl.search("短缺药品").total == 0            # not published in an issue


def test_the_facade_takes_a_column_slug_and_local_days(zl):
    zl.add_column("xuexi", "学习二十大", include="学习", schedule="0 9 * * 1")
    col_id = zl.get_column("xuexi")["id"]
    seed = Seed(zl.db)
    # 2026-03-01 23:30 in Shanghai is 15:30 UTC: the local day, not the UTC one, counts.
    at = datetime(2026, 3, 1, 15, 30, tzinfo=UTC)
    aid = seed.article("学习资料", "学习", column_id=col_id, published=at)
    assert {h.article_id for h in zl.search("学习", column="xuexi").hits} == {aid}
    assert zl.search("学习", since=date(2026, 3, 1), until=date(2026, 3, 1)).total == 1
    assert zl.search("学习", since=date(2026, 3, 2)).total == 0
    assert zl.search("学习", until=date(2026, 2, 28)).total == 0


@pytest.fixture
def site(make_zl):
    from zhuanlan.web import search as search_web
    from zhuanlan.web.app import create_app

    zl = make_zl()
    zl.add_column("xuexi", "学习二十大", include="学习", schedule="0 9 * * 1")
    zl.add_column("other", "其他专栏", include="经济", schedule="0 9 * * 1")
    zl.staff.add_user("look", "viewer-password", role="viewer")
    app = create_app(zl)
    if not any(getattr(r, "path", None) == "/search" for r in app.routes):
        app.include_router(search_web.router)
    seed = Seed(zl.db)
    ids = {
        "published": seed.article("学习贯彻<二十大>精神", "<script>alert(1)</script>认真学习，抓好落实。",
                                  source_id=seed.source("人民网"),
                                  column_id=zl.get_column("xuexi")["id"]),
        "candidate": seed.article("学习候选文章", "尚未审核的学习材料。"),
    }
    for i in range(25):
        seed.article(f"经济形势第{i}篇", "经济运行稳中向好。", column_id=zl.get_column("other")["id"],
                     published=datetime(2026, 3, 1, tzinfo=UTC) - timedelta(days=i))
    with WebServer(app, free_port()) as web:
        yield zl, web, ids


def test_the_search_page_for_anonymous_readers(site):
    zl, web, ids = site
    r = httpx.get(web.url("/search"), params={"q": "學習"}, timeout=10)
    assert r.status_code == 200
    html = r.text
    assert 'lang="zh-CN"' in html and 'name="viewport"' in html and '<form class="search"' in html
    assert f'href="/a/{ids["published"]}"' in html
    assert f'href="/a/{ids["candidate"]}"' not in html            # not published
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)" in html
    assert "<mark>学习</mark>" in html and "&lt;二十大&gt;" in html
    assert "人民网" in html


def test_staff_find_unpublished_articles(site):
    zl, web, ids = site
    client = logged_in(web, "look", "viewer-password")
    html = client.get("/search", params={"q": "学习"}).text
    assert f'href="/a/{ids["candidate"]}"' in html and f'href="/a/{ids["published"]}"' in html


def test_filters_pagination_and_messages(site):
    zl, web, ids = site
    get = lambda **p: httpx.get(web.url("/search"), params=p, timeout=10)  # noqa: E731
    first = get(q="经济")
    assert "找到 25 篇" in first.text and "第 1 / 2 页" in first.text
    assert 'rel="next"' in first.text and "page=2" in first.text
    second = get(q="经济", page="2")
    assert second.text.count('<li>') == 5 and 'rel="prev"' in second.text
    assert get(q="经济", column="xuexi").text.count("<li>") == 0
    assert "没有找到" in get(q="经济", column="xuexi").text
    assert "找到 1 篇" in get(q="学习", column="xuexi", outlet="人民网").text
    assert "找到 3 篇" in get(q="经济", **{"from": "2026-02-27", "to": "2026-03-01"}).text
    for page in ("abc", "²", "0", "9" * 5000):
        wrong = get(q="经济", page=page)
        assert wrong.status_code == 400 and "页码应为正整数" in wrong.text, page
    assert get(q="经济", page="999999").status_code == 200          # past the end: empty
    bad = get(q="经济", **{"from": "2026-13-01"})
    assert bad.status_code == 400 and "年-月-日" in bad.text
    assert "没有这个专栏" in get(q="经济", column="nope").text
    empty = get(q="")
    assert empty.status_code == 200 and "请输入要搜索的词" in empty.text
    assert "太长" in get(q="学" * 101).text
    assert get().status_code == 200 and "请输入" not in get().text   # just the form
