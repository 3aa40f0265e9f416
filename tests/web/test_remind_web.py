"""提醒未学人员 on the issue's statistics page: an editor of the column sends it (with
the confirmation on the page and the last reminder shown), a viewer may not, the form
needs its CSRF token."""

from __future__ import annotations

from tests.support.study_seed import mark_sent, seed_articles
from tests.web.conftest import SLUG, csrf_of, logged_in


def _issue(zl) -> None:
    for i, name in enumerate(("甲", "乙")):
        zl.add_subscriber(f"p{i}@example.com", name, department="集团/办公室")
    zl.people.subscribe_department(SLUG, "集团")
    seed_articles(zl, 2, "本期")
    mark_sent(zl, zl.publish_now(SLUG))


def test_an_editor_reminds_and_a_viewer_may_not(site):
    zl, web = site
    _issue(zl)
    page_url = f"/admin/stats/c/{SLUG}/1"
    viewer = logged_in(web, "look", "viewer-password")
    editor = logged_in(web, "ed", "editor-password")
    try:
        page = viewer.get(page_url)
        assert "须由本专栏的编辑或管理员发送" in page.text
        r = viewer.post(f"{page_url}/remind", data={"csrf_token": csrf_of(page.text)})
        assert r.status_code == 403
        page = editor.get(page_url)
        assert "提醒未学人员" in page.text
        assert editor.post(f"{page_url}/remind", data={}).status_code == 403     # no CSRF
        r = editor.post(f"{page_url}/remind", data={"csrf_token": csrf_of(page.text),
                                                    "dept": "集团/不存在"})
        assert "没有这个部门" in editor.get(r.headers["location"]).text
        r = editor.post(f"{page_url}/remind", data={"csrf_token": csrf_of(page.text)})
        assert r.status_code == 303
        page = editor.get(r.headers["location"])
        assert "已安排提醒 2 人" in page.text
        assert "上次提醒" in page.text and "2 人" in page.text
        r = editor.post(f"{page_url}/remind", data={"csrf_token": csrf_of(page.text)})
        assert "今天已提醒过" in editor.get(r.headers["location"]).text
    finally:
        viewer.close()
        editor.close()
    assert zl.audit(1)[0]["action"] == "issue.remind"
