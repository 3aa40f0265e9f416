"""The employee's article page opened from an issue: the editor's title (the original
below it), the way back to the issue, 下一篇, "本期已学 x/n", and after the last 我已学习 a
page that says the issue is done instead of a dead end. The page is the same for every
reader; what is theirs (本期已学 x/n, the items left) comes from ``/read/state``."""

from __future__ import annotations

import re

import httpx
from sqlalchemy import select

from tests.support.smtp import free_port
from tests.support.study_seed import SLUG, organisation, seed_articles
from tests.support.web import WebServer
from zhuanlan.links import READER
from zhuanlan.store.schema import candidates


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_reading_an_issue_article_by_article(make_zl):
    from zhuanlan.web.app import create_app
    zl = make_zl()
    people = organisation(zl)
    arts = seed_articles(zl, 2, "本期")
    with zl.db.read() as conn:
        first = conn.execute(select(candidates.c.id).where(
            candidates.c.article_id == arts[0])).scalar_one()
    zl.desk.edit_candidate(first, title="编辑改过的标题", by="admin")
    issue_id = zl.publish_now(SLUG)
    with WebServer(create_app(zl), free_port()) as web, \
            httpx.Client(base_url=web.url(""), timeout=10) as client:
        client.get(f"/r/{zl.links.sign(READER, {'s': people['甲']})}?next=/")
        page = client.get(f"/a/{arts[0]}?i={issue_id}").text
        text = _text(page)
        assert "<h1>编辑改过的标题</h1>" in page and "原题：本期 学习文章 0" in text
        assert f'href="/c/{SLUG}/1"' in page and "第 1/2 篇" in text
        state = client.get(f"/read/state?a={arts[0]}&i={issue_id}").json()
        assert state["issue"] == {"count": 2, "studied": 0, "unstudied": [
            {"article_id": arts[1], "title": "本期 学习文章 1"}]}
        assert 'id="issue-progress"' in page and 'id="issue-done"' not in page
        assert f'href="/a/{arts[1]}?i={issue_id}"' in page
        # The next one by the title the issue lists it with (no editor's title: its own).
        assert "下一篇：本期 学习文章 1 ›" in text

        def confirm(article_id: int) -> dict:
            r = client.post("/read/studied", data={"article_id": article_id,
                                                  "issue_id": issue_id,
                                                  "back": f"/a/{article_id}?i={issue_id}"},
                            headers={"Origin": web.url("")})
            assert r.status_code == 303
            zl.records.flush()
            assert client.get(r.headers["location"].split("#")[0]).status_code == 200
            return client.get(f"/read/state?a={article_id}&i={issue_id}").json()["issue"]

        assert confirm(arts[0])["studied"] == 1
        last = confirm(arts[1])
        assert (last["studied"], last["count"]) == (2, 2)
        # The last item's page has the place for "all done" (shown by reading.js).
        assert "本期 2 篇已全部学完" in _text(client.get(f"/a/{arts[1]}?i={issue_id}").text)
        # Without an issue the page is the plain article, with its own title.
        plain = client.get(f"/a/{arts[0]}").text
        assert "<h1>本期 学习文章 0</h1>" in plain and "issue-progress" not in plain
        assert client.get(f"/read/state?a={arts[0]}").json()["issue"] is None
