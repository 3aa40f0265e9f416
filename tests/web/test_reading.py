"""Reading over real HTTP: the personal link, active-time heartbeats, 我已学习, and
anonymous readers counted as such."""

from __future__ import annotations

import json

import httpx
from sqlalchemy import select, update

from tests.support.study_seed import publish, seed_articles
from tests.web.conftest import logged_in
from zhuanlan.links import READER
from zhuanlan.store.schema import images, readings, subscribers


def _article(zl) -> int:
    """An article published in an issue of the column (readers see only those)."""
    _, (aid,) = publish(zl, 1, "reading")
    return aid


def _client(web) -> httpx.Client:
    return httpx.Client(base_url=web.url(""), follow_redirects=False, timeout=10)


def _beat(client, article_id: int, view: str, seconds: int, **headers) -> int:
    return client.post("/read/beat", content=json.dumps({"v": view, "a": article_id,
                                                         "s": seconds}),
                       headers={"Content-Type": "text/plain", **headers}).status_code


def _rows(zl) -> list[dict]:
    zl.records.flush()
    with zl.db.read() as conn:
        return [dict(r) for r in conn.execute(select(readings).order_by(readings.c.id)).mappings()]


def test_personal_link_heartbeats_and_confirmation(site):
    zl, web = site
    aid = _article(zl)
    sid = zl.add_subscriber("wang@example.com", "王小明")
    token = zl.links.sign(READER, {"s": sid})
    client = _client(web)
    r = client.get(f"/r/{token}", params={"next": f"/a/{aid}"})
    assert r.status_code == 303 and r.headers["location"] == f"/a/{aid}"
    assert "zhuanlan_reader" in client.cookies
    page = client.get(f"/a/{aid}")
    assert "我已学习" in page.text and "匿名" not in page.text
    # Running totals per view: a repeat or an older total changes nothing; a lost one is
    # made good by the next.
    assert _beat(client, aid, "view-one-0001", 15) == 204
    assert _beat(client, aid, "view-one-0001", 45) == 204
    assert _beat(client, aid, "view-one-0001", 30) == 204
    assert _beat(client, aid, "view-two-0002", 10) == 204
    (row,) = _rows(zl)
    assert row["reader"] == f"s:{sid}" and row["subscriber_id"] == sid
    assert row["active_seconds"] == 55 and row["studied_at"] is None
    assert _beat(client, aid, "view-one-0001", 45) == 204       # again, after the flush
    assert _rows(zl)[0]["active_seconds"] == 55
    r = client.post("/read/studied", data={"article_id": aid})
    assert r.status_code == 303
    (row,) = _rows(zl)
    assert row["studied_at"] is not None
    # The page is the same for everyone; whether this reader studied it is their state.
    assert "我已学习" in client.get(f"/a/{aid}").text
    assert client.get(f"/read/state?a={aid}").json()["studied_at"] is not None


def test_anonymous_readers_are_counted_apart(site):
    zl, web = site
    aid = _article(zl)
    one, two = _client(web), _client(web)
    for c in (one, two):
        assert c.get(f"/a/{aid}").status_code == 200
        assert "匿名" in c.get(f"/a/{aid}").text
        assert _beat(c, aid, f"view-{id(c)}", 20) == 204
    rows = _rows(zl)
    assert len(rows) == 2
    assert all(r["reader"].startswith("a:") and r["subscriber_id"] is None for r in rows)
    assert [r["active_seconds"] for r in rows] == [20, 20]


def test_forged_links_other_sites_and_deactivated_people_are_refused(site):
    zl, web = site
    aid = _article(zl)
    sid = zl.add_subscriber("li@example.com", "李")
    client = _client(web)
    token = zl.links.sign(READER, {"s": sid})
    assert client.get(f"/r/{token[:-2]}xx").status_code == 403
    # An unsubscribe token is not a reader token.
    assert client.get(f"/r/{zl.links.sign('unsubscribe', {'s': sid})}").status_code == 403
    assert _beat(client, aid, "view-evil-0001", 999,
                 Origin="http://evil.example") == 403
    assert client.post("/read/studied", data={"article_id": aid},
                       headers={"Origin": "http://evil.example"}).status_code == 403
    assert _beat(client, aid, "short", 5) == 400
    assert client.post("/read/beat", content=b"not json").status_code == 400
    with zl.db.write() as conn:
        conn.execute(update(subscribers).where(subscribers.c.id == sid).values(active=False))
    assert client.get(f"/r/{token}").status_code == 403
    assert _rows(zl) == []


def test_readers_see_published_articles_only_and_staff_see_all(site):
    """Sequential ids must not open every article ever fetched: an article (and its
    pictures) is for readers once an issue carried it; staff preview everything."""
    zl, web = site
    published = _article(zl)
    (draft,) = seed_articles(zl, 1, "draft")              # approved, not yet published
    now = zl.clock()
    with zl.db.write() as conn:
        pictures = [conn.execute(images.insert().values(
            article_id=aid, position=0, source_url=f"http://pic.example/{aid}.png",
            state="fetched", mime="image/png", sha256="0" * 64, size=1,
            next_attempt_at=now, created_at=now)).inserted_primary_key[0]
            for aid in (published, draft)]
    anon = _client(web)
    assert anon.get(f"/a/{published}").status_code == 200
    refused = anon.get(f"/a/{draft}")
    assert refused.status_code == 404 and "没有这篇文章" in refused.text
    assert anon.get(f"/a/{draft + 1000}").text.count("没有这篇文章") == 1   # same answer
    assert anon.get(f"/img/{pictures[1]}").status_code == 404
    assert _beat(anon, draft, "view-draft-001", 30) == 404
    assert anon.post("/read/studied", data={"article_id": draft}).status_code == 404
    assert anon.get("/search", params={"q": "draft"}).text.count(f"/a/{draft}") == 0
    chief = logged_in(web, "chief", "chief-password")
    assert chief.get(f"/a/{draft}").status_code == 200
    assert not [r for r in _rows(zl) if r["article_id"] == draft and r["reader"].startswith("a:")]


def test_ids_that_name_nothing_are_refused_at_the_door(site):
    """An issue or article id that does not exist is a 404 and nothing is buffered: one
    bad record once stopped every reader's records from being written."""
    zl, web = site
    aid = _article(zl)
    issue_id = zl.issues_of("xuexi")[0]["id"]
    client = _client(web)
    for bad in ("999999", "99999999999999999999", "0", "-1"):
        assert client.get(f"/a/{aid}", params={"i": bad}).status_code in (404, 422), bad
    assert client.get(f"/a/{aid}", params={"i": issue_id + 1}).status_code == 404
    assert _beat(client, 999_999, "view-none-0001", 10) == 404
    assert _beat(client, 99_999_999_999_999_999_999, "view-none-0002", 10) == 400
    for bad in ("999999", "99999999999999999999"):
        r = client.post("/read/studied", data={"article_id": aid, "issue_id": bad})
        assert r.status_code in (404, 422), bad
    assert not zl.records._opens and not zl.records._beats     # nothing was buffered
    # The right issue still works, and everything of it is written.
    assert client.get(f"/a/{aid}", params={"i": issue_id}).status_code == 200
    assert _beat(client, aid, "view-good-0001", 12) == 204
    (row,) = _rows(zl)
    assert row["issue_id"] == issue_id and row["active_seconds"] == 12
