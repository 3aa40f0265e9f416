"""Story corrections over real HTTP: the candidate page lists the story's copies with
以此为准 / 不是同一篇 for an editor of the column (CSRF, flash messages), and the JSON API
does the same with the same role checks."""

from __future__ import annotations

import html
import re

import httpx

from tests.support.stories import add_copy, propose
from tests.web.conftest import SLUG, csrf_of, logged_in


def _story(zl) -> tuple[int, int, int]:
    """A story of two copies with a candidate in the column: (candidate, its article, the
    other copy)."""
    now = zl.clock()
    own = add_copy(zl, "澎湃新闻", now)
    other = add_copy(zl, "人民网", now)
    return propose(zl, zl.get_column(SLUG)["id"], own, now), own, other


def _flash(client: httpx.Client, response: httpx.Response) -> tuple[dict, str]:
    """The one-line message the page shows after the redirect, and the page."""
    assert response.status_code == 303, response.text
    page = client.get(response.headers["location"]).text
    found = {kind: html.unescape(m.group(1)) for kind in ("done", "error")
             if (m := re.search(rf'<p class="{kind}"[^>]*>([^<]*)</p>', page))}
    return found, page


def test_an_editor_corrects_the_story_on_the_candidate_page(site):
    zl, web = site
    cid, own, other = _story(zl)
    page_url = f"/admin/c/{SLUG}/candidate/{cid}"

    # A viewer sees the copies but no buttons, and may not post.
    look = logged_in(web, "look", "viewer-password")
    seen = look.get(page_url).text
    assert "同一报道的各个版本（2）" in seen and "以此为准</button>" not in seen
    r = look.post(f"{page_url}/story/split", data={"article_id": other,
                                                   "csrf_token": csrf_of(seen)})
    assert r.status_code == 403
    assert len(zl.desk.story(cid)["copies"]) == 2

    ed = logged_in(web, "ed", "editor-password")
    page = ed.get(page_url)
    assert "同一报道的各个版本（2）" in page.text
    assert page.text.count(">以此为准</button>") == 2
    assert page.text.count(">不是同一篇</button>") == 2
    token = csrf_of(page.text)
    action = f"{page_url}/story"

    # Without the form's token nothing happens.
    assert ed.post(f"{action}/representative", data={"article_id": own}).status_code == 403
    r = ed.post(f"{action}/representative", data={"article_id": own, "csrf_token": token,
                                                  "state": "pending"})
    flashed, shown = _flash(ed, r)
    assert flashed["done"].startswith("已以此版本为准")
    assert "已以此版本为准" in shown and "由 ed 于" in shown and "恢复自动选择" in shown
    assert zl.desk.story(cid)["representative_id"] == own

    r = ed.post(f"{action}/split", data={"article_id": 999999, "csrf_token": token})
    assert _flash(ed, r)[0]["error"].startswith("未能拆分")
    r = ed.post(f"{action}/split", data={"article_id": other, "csrf_token": token})
    assert _flash(ed, r)[0]["done"] == "已将这一版本拆为单独的报道"
    assert [c["article_id"] for c in zl.desk.story(cid)["copies"]] == [own]
    assert {(e["action"], e["actor"]) for e in zl.audit()} >= {
        ("story_representative", "ed"), ("story_split", "ed")}


def test_the_api_corrects_a_story_with_the_desks_checks(site):
    zl, web = site
    cid, own, other = _story(zl)
    _, ed_token = zl.staff.create_token("ed", "ed")
    _, look_token = zl.staff.create_token("look", "look")
    _, chief_token = zl.staff.create_token("chief", "chief")
    base = web.url("/api/v1")
    ed, look, chief = (httpx.Client(base_url=base, timeout=10,
                                    headers={"Authorization": f"Bearer {t}"})
                       for t in (ed_token, look_token, chief_token))
    path = f"/columns/{SLUG}/candidates/{cid}/story"

    story = look.get(path).json()
    assert [c["article_id"] for c in story["copies"]] == [own, other]
    assert look.put(f"{path}/representative", json={"article_id": own}).status_code == 403
    assert ed.put(f"/columns/other/candidates/{cid}/story/representative",
                  json={"article_id": own}).status_code == 403
    # The administrator may edit any column, but the candidate must be of the one named.
    assert chief.put(f"/columns/other/candidates/{cid}/story/representative",
                     json={"article_id": own}).status_code == 404

    r = ed.put(f"{path}/representative", json={"article_id": own})
    assert r.status_code == 200
    assert (r.json()["representative_id"], r.json()["pinned_by"]) == (own, "ed")
    r = ed.put(f"{path}/representative", json={"article_id": None})
    assert (r.json()["representative_id"], r.json()["pinned_by"]) == (other, None)
    assert ed.put(f"{path}/representative", json={"article_id": 999999}).status_code == 404

    r = ed.post(f"{path}/split", json={"article_id": other})
    assert r.status_code == 200
    body = r.json()
    assert body["article_id"] == other and body["story_id"] != story["story_id"]
    assert [c["article_id"] for c in body["story"]["copies"]] == [own]
    r = ed.post(f"{path}/split", json={"article_id": own})
    assert r.status_code == 409 and r.json()["error"] == "InvalidTransition"
