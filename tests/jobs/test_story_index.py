"""Reposts across outlets fold into one story, through the whole job, on both databases:
proposed once per column, published once as the most authoritative copy, with "also
carried by"; a different article on the same subject stays its own story."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select

from tests.conftest import FIXTURES
from zhuanlan.dedup.minhash import signature
from zhuanlan.store.schema import articles, stories

T0 = datetime(2026, 11, 23, 0, 0, tzinfo=UTC)
ORIGINAL = (FIXTURES / "pages" / "xinhua_utf8.html").read_text(encoding="utf-8")


def _repost(html: str) -> str:
    """The edits a repost makes: another headline, a paragraph cut, an editor line."""
    out = html.replace("各地各部门扎实推进党纪学习教育走深走实", "党纪学习教育在各地扎实开展")
    cut = out.index("<p>　　据了解")
    out = out[:cut] + out[out.index("</p>", cut) + 4:]
    return out.replace("</div>", "<p>（责任编辑：王某）</p></div>", 1)


def _different(html: str) -> str:
    """Same subject and first sentence, other paragraphs: another article."""
    start = html.index("<p>　　在北京")
    end = html.index("</p>", html.index("<p>　　据了解")) + 4
    body = "".join(f"<p>　　{t}</p>" for t in (
        "在广东，多家单位组织青年干部开展党纪知识竞赛，以赛促学，以学促用，引导青年干部把纪律要求内化于心、外化于行。",
        "在四川，各级党组织结合乡村振兴工作，组织驻村干部学习群众纪律有关规定，切实改进作风，为群众办实事解难题。",
        "在江苏，部分高校把党纪学习教育融入师德师风建设，组织教师党员集中学习，开展廉洁从教专题研讨。",
        "有关负责人表示，下一步将推动学习教育常态化长效化，形成学纪知纪明纪守纪的浓厚氛围。"))
    return (html[:start] + body + html[end:]).replace(
        "各地各部门扎实推进党纪学习教育走深走实", "多地创新方式开展党纪学习教育")


def _feed(base: str, paths: list[str]) -> bytes:
    items = "".join(f"<item><title>{p}</title><link>{base}{p}</link></item>" for p in paths)
    return (f"<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel><title>t"
            f"</title>{items}</channel></rss>").encode()


def test_reposts_fold_into_one_story(make_zl, http_server):
    http_server.route("/xinhua/a.html", ORIGINAL.encode(), headers={"Content-Type": "text/html"})
    http_server.route("/people/b.html", _repost(ORIGINAL).encode(),
                      headers={"Content-Type": "text/html"})
    http_server.route("/people/c.html", _different(ORIGINAL).encode(),
                      headers={"Content-Type": "text/html"})
    base = http_server.url("").rstrip("/")
    http_server.route("/people.xml", _feed(base, ["/people/b.html", "/people/c.html"]))
    http_server.route("/xinhua.xml", _feed(base, ["/xinhua/a.html"]))
    zl = make_zl(clock=lambda: T0)
    zl.add_column("c", "党纪学习", include="党纪学习教育")
    # The repost arrives first; the original from the more authoritative outlet later.
    people = zl.add_source("人民网", http_server.url("/people.xml"), authority=90)
    zl.poll_due_sources()
    zl.process_due_pages()
    zl.add_source("新华网", http_server.url("/xinhua.xml"), authority=95)
    zl.run_until_idle()
    del people

    with zl.db.read() as conn:
        assert conn.execute(select(func.count()).select_from(articles)).scalar() == 3
        assert conn.execute(select(func.count()).select_from(stories)).scalar() == 2
        by_title = {r.title: r for r in conn.execute(select(articles))}
    original = by_title["各地各部门扎实推进党纪学习教育走深走实"]
    repost = by_title["党纪学习教育在各地扎实开展"]
    different = by_title["多地创新方式开展党纪学习教育"]
    assert original.story_id == repost.story_id != different.story_id
    assert repost.relation is None and original.relation in ("same", "contains")

    # One candidate per story, whichever copy came first.
    queue = zl.candidates("c")
    assert len(queue) == 2
    for c in queue:
        zl.decide(c["id"], "approve")
    zl.publish_now("c")
    issue = zl.issue_view("c", 1)
    titles = [i.title for i in issue.items]
    assert len(titles) == 2
    # Both copies say 来源：新华社; the more complete one (the original) represents it.
    assert "各地各部门扎实推进党纪学习教育走深走实" in titles
    assert "党纪学习教育在各地扎实开展" not in titles
    others = zl.other_outlets(original.id)
    assert [o["title"] for o in others] == ["党纪学习教育在各地扎实开展"]


def test_story_index_is_rebuilt_from_the_store(make_zl, http_server):
    http_server.route("/a.html", ORIGINAL.encode(), headers={"Content-Type": "text/html"})
    http_server.route("/b.html", _repost(ORIGINAL).encode(), headers={"Content-Type": "text/html"})
    base = http_server.url("").rstrip("/")
    http_server.route("/1.xml", _feed(base, ["/a.html"]))
    http_server.route("/2.xml", _feed(base, ["/b.html"]))
    first = make_zl(clock=lambda: T0)
    first.add_source("一", http_server.url("/1.xml"))
    first.run_until_idle()
    # A second process (a new facade) knows the first one's article from the store.
    second = make_zl(clock=lambda: T0)
    second.add_source("二", http_server.url("/2.xml"))
    second.run_until_idle()
    with second.db.read() as conn:
        assert conn.execute(select(func.count(func.distinct(articles.c.story_id)))).scalar() == 1


def test_rank_by_named_original_then_by_source_authority():
    from zhuanlan.store.stories import authority_rank

    assert authority_rank("新华社", 10) is None          # the named original's rank wins
    assert authority_rank("人民网 · 时政", 90) is None
    assert authority_rank("集团官网", 95) == 1 < authority_rank("集团官网", 40) == 6
    assert authority_rank("", None) == 5


def test_a_copy_the_editor_split_off_stays_apart_through_reextraction(make_zl, http_server):
    http_server.route("/a.html", ORIGINAL.encode(), headers={"Content-Type": "text/html"})
    http_server.route("/b.html", _repost(ORIGINAL).encode(), headers={"Content-Type": "text/html"})
    base = http_server.url("").rstrip("/")
    http_server.route("/1.xml", _feed(base, ["/a.html", "/b.html"]))
    zl = make_zl(clock=lambda: T0)
    zl.add_column("c", "党纪学习", include="党纪学习教育")
    zl.add_source("新华网", http_server.url("/1.xml"))
    zl.run_until_idle()
    (cand,) = zl.candidates("c")
    copies = zl.desk.story(cand["id"], column="c")["copies"]
    assert len(copies) == 2
    other = next(c["article_id"] for c in copies if not c["own"])

    new_story = zl.desk.split_copy(cand["id"], other, by="ed", column="c")
    with zl.db.write() as conn:     # as if signed from an older extraction of the page
        conn.execute(articles.update().where(articles.c.id == other)
                     .values(signature=signature("旧的正文，另一篇文章的内容。" * 20).to_bytes()))
    assert zl.reextract() == (2, 0)
    with zl.db.read() as conn:
        row = conn.execute(select(articles.c.story_id, articles.c.story_locked,
                                  articles.c.text, articles.c.signature)
                           .where(articles.c.id == other)).one()
    assert (row.story_id, row.story_locked) == (new_story, True)
    # The signature follows the re-extracted text; the story stays the editor's.
    assert row.signature == signature(row.text).to_bytes()
    assert zl.other_outlets(cand["article_id"]) == []
