"""Reading over real HTTP: the personal link, active-time heartbeats, 我已学习, and
anonymous readers counted as such."""

from __future__ import annotations

import json

import httpx
from sqlalchemy import select, update

from zhuanlan.links import READER
from zhuanlan.store.schema import articles, readings, subscribers


def _article(zl) -> int:  # noqa: ANN001
    now = zl.clock()
    with zl.db.write() as conn:
        return conn.execute(articles.insert().values(
            url="http://www.news.cn/a.htm", canonical_url="http://www.news.cn/a.htm",
            content_hash="h-reading", title="深入学习贯彻党的二十大精神", text="第一段。\n第二段。",
            title_orig="t", text_orig="t", published_at=now, created_at=now,
        )).inserted_primary_key[0]


def _client(web) -> httpx.Client:  # noqa: ANN001
    return httpx.Client(base_url=web.url(""), follow_redirects=False, timeout=10)


def _beat(client, article_id: int, view: str, seconds: int, **headers) -> int:  # noqa: ANN001
    return client.post("/read/beat", content=json.dumps({"v": view, "a": article_id,
                                                         "s": seconds}),
                       headers={"Content-Type": "text/plain", **headers}).status_code


def _rows(zl) -> list[dict]:  # noqa: ANN001
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
    assert "已于" in client.get(f"/a/{aid}").text


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
