"""Columns made and kept in the browser: 新建专栏 / 编辑专栏 with each field's fault under
it (a rule's with its position), the live checks, 试跑 on the stored articles, the stored
articles offered to a new column (web and CLI), 归档 and 恢复, all audited in Chinese."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta

from tests.support.stories import OTHER_TOPIC, add_copy
from tests.web.conftest import SLUG, csrf_of, logged_in

FORM = {"name": "党纪学习", "slug": "dangji", "description": "", "include": "二十大",
        "exclude": "", "title_terms": "", "schedule": "0 9 * * 1",
        "timezone": "Asia/Shanghai", "max_age_days": "", "min_length": "",
        "auto_approve_threshold": "", "contact": ""}


def _post(client, path: str, data: dict, page: str = "/admin/columns/new"):
    return client.post(path, data={**data, "csrf_token": csrf_of(client.get(page).text)})


def _error_of(page: str, field: str) -> str:
    found = re.search(rf'<p class="field-error" id="err-{field}"[^>]*>(.*?)</p>', page, re.S)
    assert found, f"no error box for {field}"
    return found.group(1)


def test_the_form_shows_each_fault_under_its_field_and_keeps_what_was_typed(site):
    zl, web = site
    chief = logged_in(web, "chief", "chief-password")
    r = _post(chief, "/admin/columns/new",
              {**FORM, "slug": "Bad Slug", "include": "(二十大 OR 学习",
               "exclude": "体育 AND", "schedule": "0 25 * * 1",
               "auto_approve_threshold": "1.5"})
    assert r.status_code == 400
    page = r.text
    include = _error_of(page, "include")
    assert "第 11 个字符处缺少右括号" in include
    # the place of the fault is marked in the text as typed
    assert re.search(r"<span>\(二十大 OR 学习</span><mark> </mark>", include), include
    assert "第 7 个字符处缺少检索词" in _error_of(page, "exclude")
    assert "小写英文字母" in _error_of(page, "slug")
    assert "第 2 个字段（小时）" in html.unescape(_error_of(page, "schedule"))
    assert "0 到 1 之间" in _error_of(page, "auto_approve_threshold")
    assert 'id="err-name" data-for="name" role="alert" hidden' in page
    assert ">(二十大 OR 学习</textarea>" in page and 'value="Bad Slug"' in page
    assert [c["slug"] for c in zl.list_columns()] == [SLUG, "other"]
    # a slug already taken, said under the slug
    r = _post(chief, "/admin/columns/new", {**FORM, "slug": SLUG})
    assert r.status_code == 400 and "已有代号为 xuexi 的专栏" in _error_of(r.text, "slug")


def test_live_rule_check_gives_the_position_and_schedule_check_the_next_five_times(site):
    zl, web = site
    ed = logged_in(web, "ed", "editor-password")
    bad = ed.get("/admin/columns/check/rule", params={"field": "include",
                                                      "text": "学习 ) 二十大"}).json()
    assert bad == {"ok": False, "field": "include", "message": "第 4 个字符处多了一个右括号",
                   "position": 3}
    assert ed.get("/admin/columns/check/rule",
                  params={"field": "title_terms", "text": "二十大, 学习"}).json() == {"ok": True}
    times = ed.get("/admin/columns/check/schedule",
                   params={"schedule": "30 8 * * 1-5", "timezone": "Asia/Shanghai"}).json()
    assert times["ok"] and len(times["times"]) == 5
    assert all(re.fullmatch(r"\d{4}年\d\d月\d\d日 星期[一二三四五] 08:30", t) for t in times["times"])
    # the same wall time in another zone, and a cron that cannot be read
    london = ed.get("/admin/columns/check/schedule",
                    params={"schedule": "0 9 * * 0", "timezone": "Europe/London"}).json()
    assert all(t.endswith("星期日 09:00") for t in london["times"])
    wrong = ed.get("/admin/columns/check/schedule", params={"schedule": "0 9 * *"}).json()
    assert wrong["ok"] is False and "需要 5 个" in wrong["message"]
    assert logged_in(web, "look", "viewer-password").get(
        "/admin/columns/check/rule", params={"text": "x"}).status_code == 200
    assert ed.get("/admin/columns/check/rule", params={"field": "slug"}).status_code == 422


def stored_articles(zl):
    now = datetime.now(UTC)
    fresh = add_copy(zl, "新华社", now - timedelta(days=2), title="党纪学习教育在各地深入开展")
    old = add_copy(zl, "人民网", now - timedelta(days=45), title="党纪学习教育旧闻",
                   text="本报讯 去年冬季，多家单位集中开展党纪学习教育专题培训，邀请专家授课。")
    from sqlalchemy import update

    from zhuanlan.store.schema import articles
    with zl.db.write() as conn:     # stored 45 days ago: outside the 30 days
        conn.execute(update(articles).where(articles.c.id == old)
                     .values(created_at=now - timedelta(days=45)))
    other = add_copy(zl, "光明网", now - timedelta(days=1), title="秋粮收购", text=OTHER_TOPIC)
    return fresh, old, other


def test_trial_shows_what_the_unsaved_rules_select_from_the_stored_articles(site):
    zl, web = site
    stored_articles(zl)
    chief = logged_in(web, "chief", "chief-password")
    r = _post(chief, "/admin/columns/new",
              {**FORM, "include": "党纪学习教育 OR 二十大", "exclude": "秋粮", "trial": "1"})
    assert r.status_code == 200, r.text
    trial = r.text[r.text.index('id="trial"'):r.text.index('id="column-form"')]
    assert 'id="trial-count">1</strong>' in trial
    assert "党纪学习教育在各地深入开展" in trial and "新华社" in trial
    assert "秋粮收购" not in trial and "旧闻" not in trial
    assert "二十大" in trial       # the matched terms
    assert 'value="dangji"' in r.text          # the form is kept for saving
    assert [c["slug"] for c in zl.list_columns()] == [SLUG, "other"]   # nothing saved
    # on an existing column, with its edits unsaved
    ed = logged_in(web, "ed", "editor-password")
    r = _post(ed, f"/admin/c/{SLUG}/edit", {**FORM, "include": "秋粮", "trial": "1"},
              page=f"/admin/c/{SLUG}/edit")
    assert r.status_code == 200 and 'id="trial-count">1</strong>' in r.text
    assert "秋粮收购" in r.text
    assert zl.get_column(SLUG)["include_terms"] == "二十大 OR 党的建设"
    # invalid rules: the fault under the field, no trial
    r = _post(chief, "/admin/columns/new", {**FORM, "include": "(学习", "trial": "1"})
    assert r.status_code == 400 and 'id="trial"' not in r.text
    assert "缺少右括号" in _error_of(r.text, "include")


def test_a_new_column_is_offered_the_stored_articles_of_the_last_30_days(site):
    zl, web = site
    fresh, old, other = stored_articles(zl)
    chief = logged_in(web, "chief", "chief-password")
    r = _post(chief, "/admin/columns/new",
              {**FORM, "include": "党纪学习教育", "sources": [], "compulsory": "1",
               "contact": "宣传部 张三 电话 1234"})
    assert r.status_code == 303, r.text
    page = chief.get("/admin/columns").text
    assert "1 篇符合规则，已放入待审" in page and "党纪学习" in page and "必学" in page
    pending = zl.candidates("dangji", "pending")
    assert [c["article_id"] for c in pending] == [fresh]
    column = zl.get_column("dangji")
    assert column["compulsory"] and column["contact"] == "宣传部 张三 电话 1234"
    entry = zl.audit()[0]
    assert entry["action"] == "add_column" and entry["actor"] == "chief"
    assert "新建专栏「党纪学习」" in entry["detail"] and "1 篇进入待审" in entry["detail"]


def test_editing_a_column_saves_and_audits_the_changes(site):
    zl, web = site
    ed = logged_in(web, "ed", "editor-password")
    page = ed.get(f"/admin/c/{SLUG}/edit").text
    assert "二十大 OR 党的建设" in page and "readonly" in page
    r = _post(ed, f"/admin/c/{SLUG}/edit",
              {**FORM, "name": "学习二十大精神", "include": "二十大", "schedule": "0 8 * * 1-5",
               "compulsory": "1"}, page=f"/admin/c/{SLUG}/edit")
    assert r.status_code == 303
    column = zl.get_column(SLUG)
    assert (column["name"], column["include_terms"], column["schedule"]) == (
        "学习二十大精神", "二十大", "0 8 * * 1-5")
    assert not column["compulsory"]           # 必学 is the administrators' to set
    entry = zl.audit()[0]
    assert entry["action"] == "edit_column" and entry["actor"] == "ed"
    assert "包含条件 二十大 OR 党的建设 → 二十大" in entry["detail"]
    assert "推送时间 0 9 * * 1 → 0 8 * * 1-5" in entry["detail"]
    assert column["next_run_at"].astimezone(UTC).hour == 0     # 08:00 in Shanghai
    # an editor of another column, and creating, are refused
    assert ed.get("/admin/c/other/edit").status_code == 403
    assert ed.get("/admin/columns/new").status_code == 403


def test_archive_asks_first_then_stops_the_column_and_restores(site):
    from zhuanlan.store.issues import claim_due_columns

    zl, web = site
    chief = logged_in(web, "chief", "chief-password")
    ask = chief.get(f"/admin/c/{SLUG}/archive").text
    assert "归档后停止" in ask and "定时发布" in ask and "学习统计" in ask and "保留" in ask
    assert zl.get_column(SLUG)["archived_at"] is None     # asking changes nothing
    ed = logged_in(web, "ed", "editor-password")
    assert _post(ed, f"/admin/c/{SLUG}/archive", {}, page="/admin").status_code == 403
    r = _post(chief, f"/admin/c/{SLUG}/archive", {}, page=f"/admin/c/{SLUG}/archive")
    assert r.status_code == 303
    column = zl.get_column(SLUG)
    assert column["archived_at"] is not None and column["next_run_at"] is None
    later = datetime.now(UTC) + timedelta(days=30)
    with zl.db.write() as conn:
        claimed = [c.slug for c in claim_due_columns(conn, now=later, worker="w",
                                                     lease_seconds=60)]
    assert claimed == ["other"]
    assert "学习二十大" not in chief.get("/").text
    assert "停止更新" in chief.get(f"/c/{SLUG}").text
    listing = chief.get("/admin/columns").text
    assert listing.index("已归档") < listing.index("学习二十大")
    assert zl.audit()[0]["action"] == "archive_column"
    assert "归档专栏「学习二十大」" in zl.audit()[0]["detail"]
    r = _post(chief, f"/admin/c/{SLUG}/unarchive", {}, page="/admin/columns")
    assert r.status_code == 303
    column = zl.get_column(SLUG)
    assert column["archived_at"] is None and column["next_run_at"] is not None
    assert zl.audit()[0]["action"] == "unarchive_column"
    assert "恢复专栏「学习二十大」" in zl.audit()[0]["detail"]
