"""A damaged or short article says so on the review queue and on its candidate page, so
the editor can choose another outlet's copy before approving it."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from tests.web.conftest import SLUG, logged_in
from zhuanlan.store.schema import articles, candidates


def test_the_editor_sees_damage_and_shortness_before_deciding(site):
    zl, web = site
    now = datetime.now(UTC)
    column = zl.get_column(SLUG)
    ids = {}
    with zl.db.write() as conn:
        for key, flags in (("bad", "mojibake,pinyin_removed"), ("brief", "short"), ("ok", "")):
            aid = conn.execute(articles.insert().values(
                url=f"http://example.com/{key}", canonical_url=f"http://example.com/{key}",
                content_hash=key * 10, title=f"二十大 {key}", text="党的建设" * 40,
                title_orig="", text_orig="", flags=flags, created_at=now)).inserted_primary_key[0]
            ids[key] = conn.execute(candidates.insert().values(
                column_id=column["id"], article_id=aid, state="pending", score=1.0,
                terms="", created_at=now)).inserted_primary_key[0]
    ed = logged_in(web, "ed", "editor-password")
    queue = ed.get(f"/admin/c/{SLUG}/review").text
    item = {k: re.search(rf'<li id="cand-{cid}".*?</li>', queue, re.S).group(0)
            for k, cid in ids.items()}
    assert 'data-flag="mojibake"' in item["bad"] and "正文有乱码" in item["bad"]
    assert "pinyin_removed" not in item["bad"]
    assert 'data-flag="short"' in item["brief"] and "短文" in item["brief"]
    assert "data-flag" not in item["ok"]
    page = ed.get(f"/admin/c/{SLUG}/candidate/{ids['bad']}").text
    assert "正文有乱码" in page and "warning" in re.search(
        r'<p class="[^"]*"[^>]*data-flag="mojibake"', page).group(0)
