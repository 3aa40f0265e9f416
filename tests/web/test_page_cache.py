"""The read path: reader pages rendered once per change and kept (app.page_cache), the
personal part of the article page from ``/read/state``.

The pages are served by one facade and the changes made through another on the same
store — two server processes — so each change is seen through the store's page
generation, never through the memory of the process that made it."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager

import httpx
import pytest
from sqlalchemy import select, update

from tests.support.smtp import free_port
from tests.support.study_seed import SLUG, organisation, publish, seed_articles
from tests.support.web import WebServer
from tests.web.conftest import logged_in
from zhuanlan.app.page_cache import PageCache
from zhuanlan.links import READER
from zhuanlan.store import images as image_store
from zhuanlan.store import page_generation
from zhuanlan.store.articles import update_article
from zhuanlan.store.schema import articles, readings
from zhuanlan.store.sources import update_source
from zhuanlan.store.stories import place_article, split_out


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.fixture
def two(make_zl):
    """(the editor's process, the readers' server process and its URL, the issue, its
    articles, the people)."""
    from zhuanlan.web.app import create_app
    editor = make_zl()
    people = organisation(editor)
    issue_id, arts = publish(editor, 2, "本期")
    server = make_zl()
    server.reading.pages.check_seconds = 0          # no waiting in tests: check each time
    with WebServer(create_app(server), free_port()) as web:
        yield editor, server, web, issue_id, arts, people


@contextmanager
def _reader(editor, web, subscriber_id: int | None = None) -> Iterator[httpx.Client]:
    """A browser: anonymous, or known by the person's link."""
    with httpx.Client(base_url=web.url(""), timeout=10) as client:
        if subscriber_id is not None:
            client.get(f"/r/{editor.links.sign(READER, {'s': subscriber_id})}?next=/")
        yield client


def test_a_kept_page_is_served_until_a_change_is_committed(two):
    editor, server, web, issue_id, arts, _ = two
    page = f"/a/{arts[0]}?i={issue_id}"
    with _reader(editor, web) as client:
        assert "本期 学习文章 0" in client.get(page).text
        # Written behind the application's back: the kept page does not see it …
        with editor.db.write() as conn:
            conn.execute(update(articles).where(articles.c.id == arts[0])
                         .values(text="悄悄改过的正文。"))
        assert "悄悄改过的正文" not in client.get(page).text
        # … a correction made the application's way is seen by the other process.
        with editor.db.write() as conn:
            update_article(conn, arts[0], text="更正后的正文。")
        assert "更正后的正文" in client.get(page).text
        assert "更正后的正文" in client.get(f"/a/{arts[0]}").text


def test_each_change_a_reader_sees_reaches_the_kept_pages(two):
    editor, server, web, issue_id, arts, _ = two
    article, issue, column = f"/a/{arts[0]}?i={issue_id}", f"/c/{SLUG}/1", f"/c/{SLUG}"
    with _reader(editor, web) as client:
        for path in (article, issue, column, "/"):
            assert client.get(path).status_code == 200
        # A picture fetched after publication appears in the article.
        now = editor.clock()
        with editor.db.write() as conn:
            image_store.insert_images(conn, [{
                "article_id": arts[0], "position": 0, "source_url": "http://www.news.cn/a.jpg",
                "caption": "图片说明", "next_attempt_at": now, "created_at": now}])
            (row,) = image_store.claim_due(conn, now=now, limit=1, worker="w",
                                           lease_seconds=60)
        assert "/img/" not in client.get(article).text
        with editor.db.write() as conn:
            image_store.record_outcome(conn, row.id, "w", state="fetched", width=10,
                                       height=10, mime="image/png", sha256="0" * 64, size=1)
        assert f"/img/{row.id}" in client.get(article).text

        # The column's name: on the article's way back, the column page, the home page.
        editor.columns.update(SLUG, editor.columns.fields(SLUG).changed(name="改名的专栏"),
                              by="test")
        for path in (article, issue, column, "/"):
            assert "改名的专栏" in client.get(path).text, path

        # Another outlet's copy joins the story; split off, it leaves the list again.
        source_id = editor.add_source("人民网", "http://www.people.com.cn/rss.xml")
        with editor.db.write() as conn:
            story = conn.execute(select(articles.c.story_id)
                                 .where(articles.c.id == arts[0])).scalar_one()
            copy = conn.execute(articles.insert().values(
                url="http://www.people.com.cn/copy.htm",
                canonical_url="http://www.people.com.cn/copy.htm", content_hash="copy",
                title="转载", text="学习 二十大 精神。", title_orig="t", text_orig="t",
                source_id=source_id, created_at=now)).inserted_primary_key[0]
            place_article(conn, copy, signature=b"", story_id=story, relation="duplicate")
        assert "同一报道还见于" in client.get(article).text
        assert "人民网" in client.get(article).text
        with editor.db.write() as conn:
            update_source(conn, source_id, name="人民网（改名）")
        assert "人民网（改名）" in client.get(article).text
        with editor.db.write() as conn:
            split_out(conn, story, copy, now)
        assert "同一报道还见于" not in client.get(article).text

        # A new issue: the column page and the home page count it.
        seed_articles(editor, 1, "下期")
        assert editor.publish_now(SLUG) is not None
        assert f"/c/{SLUG}/2" in client.get(column).text
        assert "已出 2 期" in _text(client.get("/").text)

        # Archived: said on the column page; the home page lists it no more.
        editor.columns.archive(SLUG, by="test")
        assert 'id="archived"' in client.get(column).text
        assert f'href="/c/{SLUG}"' not in client.get("/").text


def test_a_minimum_reading_time_set_elsewhere_reaches_the_state(two):
    editor, server, web, issue_id, arts, people = two
    with _reader(editor, web, people["甲"]) as client:
        state = f"/read/state?a={arts[0]}&i={issue_id}"
        assert client.get(state).json()["min_seconds"] == 0
        editor.reading.set_min_read(SLUG, 30, by="test")
        assert client.get(state).json()["min_seconds"] == 30


def test_the_state_of_known_and_anonymous_readers(two):
    editor, server, web, issue_id, arts, people = two
    with _reader(editor, web, people["甲"]) as jia, _reader(editor, web) as anon:
        state = f"/read/state?a={arts[0]}&i={issue_id}"
        assert jia.get(state).json() == {
            "known": True, "min_seconds": 0, "studied_at": None, "too_quick": False,
            "issue": {"count": 2, "studied": 0, "unstudied": [
                {"article_id": arts[1], "title": "本期 学习文章 1"}]}}
        r = jia.post("/read/studied", data={"article_id": arts[0], "issue_id": issue_id,
                                            "view": "view-jia-00001", "seconds": "40"},
                     headers={"Origin": web.url("")})
        assert r.status_code == 303
        mine = jia.get(state).json()
        assert mine["studied_at"] and mine["issue"]["studied"] == 1
        assert mine["too_quick"] is False and mine["issue"]["unstudied"][0]["article_id"] == arts[1]
        theirs = anon.get(state).json()
        assert theirs["known"] is False and theirs["studied_at"] is None
        assert theirs["issue"]["studied"] == 0
        assert anon.get(f"/read/state?a={arts[0]}").json()["issue"] is None
        # The page is the same for both but for the anonymous count's note.
        assert "匿名" in anon.get(f"/a/{arts[0]}").text
        assert "匿名" not in jia.get(f"/a/{arts[0]}").text


def test_the_state_refuses_what_the_page_refuses(two):
    editor, server, web, issue_id, arts, _ = two
    (unpublished,) = seed_articles(editor, 1, "未发")
    with _reader(editor, web) as client:
        for path in (f"/read/state?a={unpublished}", "/read/state?a=999999",
                     f"/read/state?a={unpublished}&i={issue_id}",
                     f"/read/state?a={arts[0]}&i=999999"):
            r = client.get(path)
            assert r.status_code == 404 and r.headers["content-type"] == "application/json"
            assert "文章" in r.json()["error"]
        assert client.get("/read/state?a=0").status_code == 422
        assert client.get("/read/state?a=x").status_code == 422


def test_staff_renders_and_previews_are_never_kept(two):
    editor, server, web, issue_id, arts, _ = two
    editor.staff.add_user("chief", "chief-password", role="admin")
    (unpublished,) = seed_articles(editor, 1, "未发")
    admin = logged_in(web, "chief", "chief-password")
    try:
        assert admin.get(f"/a/{unpublished}").status_code == 200        # a preview
        assert "编辑台" in admin.get(f"/a/{arts[0]}").text
        assert "编辑台" in admin.get("/").text
        assert len(server.reading.pages) == 0
        with _reader(editor, web) as client:
            assert client.get(f"/a/{unpublished}").status_code == 404
            page = client.get(f"/a/{arts[0]}").text
            assert "编辑台" not in page and "我已学习" in page
            assert "编辑台" not in client.get("/").text
            assert client.get(f"/a/{arts[0]}?i=999999").status_code == 404
        # The article page (and the app's response with it), the home page.
        assert len(server.reading.pages) == 3
        # A staff member sees their own state too (their preview has the same page).
        assert admin.get(f"/read/state?a={unpublished}").json()["studied_at"] is None
    finally:
        admin.close()


def test_a_kept_response_is_replayed_as_the_app_sent_it(two):
    editor, server, web, issue_id, arts, people = two
    page = f"/a/{arts[0]}?i={issue_id}"
    with _reader(editor, web, people["甲"]) as jia:
        first = jia.get(page)                               # through the app
        assert server.reading.pages.get(("response", arts[0], issue_id, True)) is not None
        again = jia.get(page)                               # replayed before the app
        assert again.content == first.content
        same = {k: v for k, v in first.headers.items() if k != "date"}
        assert {k: v for k, v in again.headers.items() if k != "date"} == same
        assert "content-security-policy" in same and "set-cookie" not in same
        # Other queries, HEAD, and another article go to the app as before.
        assert jia.get(f"/a/{arts[0]}?i={issue_id}&x=1").status_code == 200
        assert jia.get(f"/a/{arts[0]}?i=0").status_code == 422
        assert jia.head(page).status_code in (200, 405)


def test_readers_arriving_together_share_one_render(two):
    editor, server, web, issue_id, arts, people = two
    page = f"/a/{arts[0]}?i={issue_id}"
    renders = []
    render = server.reading.article_page

    def counted(*args, **kwargs):
        renders.append(1)
        time.sleep(0.2)                 # a slow render: the others arrive meanwhile
        return render(*args, **kwargs)

    server.reading.article_page = counted
    with ExitStack() as stack:
        clients = [stack.enter_context(_reader(editor, web, people[name]))
                   for name in ("甲", "乙", "丙", "丁") * 4]
        with ThreadPoolExecutor(len(clients)) as pool:
            answers = list(pool.map(lambda c: c.get(page), clients))
    assert {r.status_code for r in answers} == {200}
    assert len({r.content for r in answers}) == 1
    assert len(renders) == 1


def test_every_view_of_a_kept_page_records_an_open(two):
    editor, server, web, issue_id, arts, people = two
    page = f"/a/{arts[1]}?i={issue_id}"
    with _reader(editor, web, people["甲"]) as jia, _reader(editor, web, people["乙"]) as yi:
        assert jia.get(page).status_code == 200
        assert yi.get(page).status_code == 200          # from the kept page
        assert not yi.cookies.get("zhuanlan_session")   # the shared page needs no session
    server.records.flush()
    with editor.db.read() as conn:
        rows = conn.execute(select(readings.c.subscriber_id, readings.c.issue_id)
                            .where(readings.c.article_id == arts[1])).all()
    assert sorted(rows) == sorted([(people["甲"], issue_id), (people["乙"], issue_id)])


def test_the_check_is_at_most_once_a_second_and_memory_is_bounded(make_zl):
    zl = make_zl()
    pages = PageCache(zl.db, check_seconds=0.5, max_bytes=1000)
    generation = pages.generation()
    for n in range(6):
        pages.put(("p", n), b"x" * 240, generation)
    assert len(pages) == 4 and pages.get(("p", 5)) == b"x" * 240
    assert pages.get(("p", 1)) is None                  # the least recently used went
    pages.put(("p", 7), b"z" * 251, generation)         # a quarter of it: never kept
    assert pages.get(("p", 7)) is None
    with zl.db.write() as conn:
        page_generation.bump(conn)
    assert pages.get(("p", 5)) is not None              # not checked again yet
    pages.put(("p", 6), b"y", generation)
    time.sleep(0.6)
    assert pages.get(("p", 5)) is None and pages.generation() == generation + 1
    # A page rendered from what was read before the change is not kept after it.
    pages.put(("p", 6), b"y", generation)
    assert pages.get(("p", 6)) is None
    pages.put(("p", 6), b"y", pages.generation())
    assert pages.get(("p", 6)) == b"y"


def test_a_started_cache_checks_from_its_own_thread(make_zl):
    """A web process checks from a thread of its own (``start``): a change reaches the
    kept pages within ``check_seconds`` with no request finding the check due (which
    would send it to a thread); stopped, nobody checks."""
    zl = make_zl()
    pages = PageCache(zl.db, check_seconds=0.4)
    pages.start()
    try:
        deadline = time.monotonic() + 10
        while pages.due() and time.monotonic() < deadline:
            time.sleep(0.01)
        generation = pages.generation()                 # not due: read from memory
        pages.put(("p", 1), b"x", generation)
        with zl.db.write() as conn:
            page_generation.bump(conn)
        for _ in range(6):
            time.sleep(0.1)
            assert not pages.due()                      # twice per check_seconds
        assert pages.get(("p", 1)) is None              # dropped by the thread's check
        assert pages.generation() == generation + 1
    finally:
        pages.stop()
    time.sleep(0.5)
    assert pages.due()


def test_a_question_kept_for_a_published_issue_reaches_its_kept_page(two):
    # The issue page is kept for anonymous readers; the 答题 the editor adds to the
    # published issue afterwards must show there too.
    editor, server, web, issue_id, arts, _ = two
    with _reader(editor, web) as client:
        assert "答题" not in _text(client.get(f"/c/{SLUG}/1").text)
        editor.quiz.add(SLUG, 1, kind="judge", prompt="本期第一篇是一篇学习文章。",
                        choices=[], answer="正确", sentence="", article_id=None,
                        by="editor")
        assert "本期第一篇是一篇学习文章" in _text(client.get(f"/c/{SLUG}/1").text)


def test_the_states_titles_follow_a_correction_made_by_another_process(two):
    """``/read/state`` lists the issue's other items by title, kept per issue in the
    readers' process (one lookup for all readers) until the page generation changes."""
    editor, server, web, issue_id, arts, people = two
    with _reader(editor, web, people["甲"]) as client:
        state = f"/read/state?a={arts[0]}&i={issue_id}"
        before = client.get(state).json()["issue"]["unstudied"]
        assert [u["article_id"] for u in before] == [arts[1]]
        with editor.db.write() as conn:          # behind the application's back: kept
            conn.execute(update(articles).where(articles.c.id == arts[1])
                         .values(title="悄悄改过的标题"))
        assert client.get(state).json()["issue"]["unstudied"] == before
        with editor.db.write() as conn:
            conn.execute(update(articles).where(articles.c.id == arts[1])
                         .values(title="原标题"))
            update_article(conn, arts[1], title="更正后的标题")
        after = client.get(state).json()["issue"]["unstudied"]
        assert after == [{"article_id": arts[1], "title": "更正后的标题"}]
