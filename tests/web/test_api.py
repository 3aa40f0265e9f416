"""The JSON API over real HTTP: tokens (hashed, revocable), the same role checks as the
desk, OpenAPI, and the errors a client can act on."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.support.web import REQUEST_TIMEOUT
from tests.web.conftest import SLUG, csrf_of, logged_in
from zhuanlan.errors import PermissionDenied


def api(web, token: str | None) -> httpx.Client:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.Client(base_url=web.url("/api/v1"), headers=headers, timeout=10)


def _seed_candidates(zl) -> list[int]:
    from sqlalchemy import select

    from zhuanlan.store.schema import articles, candidates, columns, stories

    now = zl.clock()
    ids = []
    with zl.db.write() as conn:
        column_id = conn.execute(select(columns.c.id).where(columns.c.slug == SLUG)).scalar()
        for i in range(3):
            story = conn.execute(stories.insert().values(size=1, created_at=now,
                                                         updated_at=now)).inserted_primary_key[0]
            art = conn.execute(articles.insert().values(
                url=f"http://example.cn/{i}", canonical_url=f"http://example.cn/{i}",
                content_hash=f"h{i}", title=f"学习二十大精神第{i}篇", text="二十大 报告 " * 50,
                title_orig="t", text_orig="t", published_at=now, story_id=story,
                created_at=now)).inserted_primary_key[0]
            ids.append(conn.execute(candidates.insert().values(
                column_id=column_id, article_id=art, state="pending", score=1.0 + i,
                terms='["二十大"]', story_id=story, created_at=now)).inserted_primary_key[0])
    return ids


def _cookie_text(value: str) -> str:
    """What a signed cookie carries, readable by anyone who has it."""
    import base64
    payload = value.strip('"').split(".")[0]
    try:
        return base64.b64decode(payload + "=" * (-len(payload) % 4)).decode("utf-8", "replace")
    except ValueError:
        return value


def test_tokens_are_hashed_at_rest_and_revocable(site):
    zl, web = site
    token_id, token = zl.staff.create_token("ed", "脚本")
    from sqlalchemy import select

    from zhuanlan.store.schema import api_tokens
    with zl.db.read() as conn:
        stored = conn.execute(select(api_tokens.c.token_hash)).scalars().all()
    assert token not in stored and len(stored[0]) == 64
    assert api(web, token).get("/me").json()["username"] == "ed"
    assert api(web, None).get("/me").status_code == 401
    assert api(web, token + "x").get("/me").status_code == 401
    zl.staff.revoke_token(token_id, user=zl.staff.by_name("ed"))
    r = api(web, token).get("/me")
    assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
    # Only the owner (or an administrator) revokes a token.
    other_id, _ = zl.staff.create_token("ed", "second")
    with pytest.raises(PermissionDenied):
        zl.staff.revoke_token(other_id, user=zl.staff.by_name("look"))


def test_decisions_and_publishing_follow_the_roles(site):
    zl, web = site
    ids = _seed_candidates(zl)
    _, ed_token = zl.staff.create_token("ed", "ed")
    _, look_token = zl.staff.create_token("look", "look")
    ed, look = api(web, ed_token), api(web, look_token)

    queue = ed.get(f"/columns/{SLUG}/candidates").json()
    assert {c["id"] for c in queue} == set(ids)
    assert look.get(f"/columns/{SLUG}/candidates").status_code == 200
    r = look.post(f"/columns/{SLUG}/candidates/{ids[0]}/decision", json={"action": "approve"})
    assert r.status_code == 403
    r = ed.post(f"/columns/{SLUG}/candidates/{ids[0]}/decision", json={"action": "approve"})
    assert r.json() == {"id": ids[0], "state": "approved"}
    # The candidate must belong to the column the permission was checked on.
    r = ed.post(f"/columns/other/candidates/{ids[1]}/decision", json={"action": "approve"})
    assert r.status_code == 403
    r = ed.post(f"/columns/{SLUG}/candidates/{ids[1]}/decision", json={"action": "maybe"})
    assert r.status_code == 422
    r = ed.put(f"/columns/{SLUG}/note", json={"editor_note": "请认真学习。"})
    assert r.status_code == 200
    r = ed.post(f"/columns/{SLUG}/publish")
    assert r.status_code == 201
    issue = r.json()
    assert issue["number"] == 1 and issue["editor_note"] == "请认真学习。"
    assert [i["title"] for i in issue["items"]] == ["学习二十大精神第0篇"]
    r = ed.post(f"/columns/{SLUG}/candidates/{ids[0]}/decision", json={"action": "undo"})
    assert r.status_code == 409          # published: no going back
    assert ed.get(f"/columns/{SLUG}/issues").json()[0]["number"] == 1
    assert ed.get(f"/columns/{SLUG}/issues/1").json()["items"][0]["title"].startswith("学习")
    assert ed.post(f"/columns/{SLUG}/publish").status_code == 409   # nothing approved
    actors = {(e["action"], e["actor"]) for e in zl.audit()}
    assert ("approve", "ed") in actors and ("publish", "ed") in actors


def test_sources_and_columns_are_administered_by_admins(site):
    zl, web = site
    _, ed_token = zl.staff.create_token("ed", "ed")
    _, chief_token = zl.staff.create_token("chief", "chief")
    ed, chief = api(web, ed_token), api(web, chief_token)
    body = {"name": "测试源", "url": "http://feeds.example.cn/rss.xml"}
    assert ed.post("/sources", json=body).status_code == 403
    r = chief.post("/sources", json=body)
    assert r.status_code == 201 and r.json()["name"] == "测试源"
    source_id = r.json()["id"]
    assert chief.patch(f"/sources/{source_id}", json={"enabled": False}).json()["enabled"] is False
    assert ed.get("/sources").status_code == 200
    bad = {"slug": "bad", "name": "坏规则", "include": "二十大 AND (学习"}
    r = chief.post("/columns", json=bad)
    assert r.status_code == 422 and "position" in r.json()
    good = {"slug": "new-col", "name": "新专栏", "include": "学习 AND 党史"}
    assert chief.post("/columns", json=good).status_code == 201
    assert ed.get("/columns/new-col").json()["can_edit"] is False
    assert ed.get("/columns/nope").status_code == 404
    assert ed.get("/audit").status_code == 403
    assert chief.get("/audit").status_code == 200


def test_openapi_describes_the_api_and_tokens_are_made_on_my_page(site):
    zl, web = site
    refused = httpx.get(web.url("/api/v1/openapi.json"), timeout=REQUEST_TIMEOUT)           # strangers: no
    assert refused.status_code == 401 and "接口说明" in refused.json()["message"]
    spec = logged_in(web, "look", "viewer-password").get("/api/v1/openapi.json").json()
    assert spec["openapi"].startswith("3.")
    _, look_token = zl.staff.create_token("look", "spec")
    assert api(web, look_token).get("/openapi.json").json() == spec
    assert "/openapi.json" not in spec["paths"]
    for path in ("/sources", "/columns", "/columns/{slug}/candidates",
                 "/columns/{slug}/candidates/{candidate_id}/decision",
                 "/columns/{slug}/issues/{number}", "/columns/{slug}/publish"):
        assert path in spec["paths"], path
    assert any(s.get("type") == "http" and s.get("scheme") == "bearer"
               for s in spec["components"]["securitySchemes"].values())
    ed = logged_in(web, "ed", "editor-password")
    page = ed.get("/admin/me")
    r = ed.post("/admin/me/tokens", data={"name": "报表", "csrf_token": csrf_of(page.text)})
    assert r.status_code == 200 and r.headers["cache-control"] == "no-store"
    token = re.search(r'id="fresh-token">(zl_[^<]+)<', r.text).group(1)
    # Only in that answer: not in the session cookie (signed, not encrypted).
    assert all(token not in _cookie_text(v) for v in ed.cookies.values())
    assert api(web, token).get("/me").json()["role"] == "editor"
    assert token not in ed.get("/admin/me").text      # shown once
