"""A 编者按 belongs to one issue: after 第1期 is published the next issue starts without
it, the desk warns that the next issue has none, the publish button asks, and the
delivery report of an issue published without a note says so."""

from __future__ import annotations

from tests.support.study_seed import seed_articles
from tests.web.conftest import SLUG, logged_in


def test_the_note_does_not_carry_over_and_its_absence_is_said(site):
    zl, web = site
    zl.set_editor_note(SLUG, "编者按：认真学习本期文章。")
    seed_articles(zl, 2, "一期")
    zl.publish_now(SLUG)
    assert zl.issue_view(SLUG, 1).editor_note == "认真学习本期文章。"
    assert zl.get_column(SLUG)["editor_note"] == ""
    seed_articles(zl, 2, "二期")
    client = logged_in(web, "ed", "editor-password")
    try:
        desk = client.get(f"/admin/c/{SLUG}/review").text
        assert "认真学习本期文章" not in desk
        assert "下一期还没有编者按" in desk
        assert "这一期没有编者按，仍然发布吗" in desk
        zl.publish_now(SLUG)
        assert zl.issue_view(SLUG, 2).editor_note == ""
        report = client.get(f"/admin/c/{SLUG}/2/deliveries").text
        assert "这一期发布时没有编者按" in report
        assert "这一期发布时没有编者按" not in client.get(f"/admin/c/{SLUG}/1/deliveries").text
    finally:
        client.close()
