"""学习心得 over real HTTP: the reader's form under the issue (personal link), the limits
said where the reader looks with what they typed kept, text shown escaped, nobody sees
another's reflection until it is published as 选登, the editor's list and its rights,
the author's 同意 / 不同意, the column form's naming rule, and the counts in the person's
page and the issue's statistics."""

from __future__ import annotations

import html

import httpx

from tests.support.study_seed import publish, seed_articles
from tests.web.conftest import SLUG, csrf_of, logged_in
from zhuanlan.links import READER
from zhuanlan.study.records import Reader

TEXT = "学习了本期文章，深受启发。我们要把学习成果转化为推动工作的实际行动。"


def _client(web) -> httpx.Client:
    return httpx.Client(base_url=web.url(""), follow_redirects=False, timeout=10)


def _reader(zl, web, email: str, name: str, department: str = "集团/一公司/办公室"):
    sid = zl.add_subscriber(email, name, department=department)
    client = _client(web)
    r = client.get(f"/r/{zl.links.sign(READER, {'s': sid})}", params={"next": "/"})
    assert r.status_code == 303
    return sid, client


def _submit(client, body: str, number: int = 1, **headers) -> httpx.Response:
    return client.post(f"/c/{SLUG}/{number}/reflection", data={"body": body}, headers=headers)


def test_reader_submits_edits_and_sees_it_escaped(site):
    zl, web = site
    publish(zl, 1, "w1")
    _, me = _reader(zl, web, "a@example.com", "甲")
    page = me.get(f"/c/{SLUG}/1")
    assert 'id="reflection-form"' in page.text and "20–2000 个字" in page.text
    typed = "<i>太短</i>"
    r = _submit(me, typed)
    assert r.status_code == 422
    assert "学习心得至少 20 个字（现有 2 个字）" in r.text
    assert html.escape(typed, quote=False) in r.text          # kept, escaped, in the form
    r = _submit(me, TEXT + "\n<script>alert(1)</script>第二行 & <b>加粗</b>")
    assert r.status_code == 303 and r.headers["location"] == f"/c/{SLUG}/1#reflection"
    page = me.get(f"/c/{SLUG}/1")
    assert "已提交您的学习心得" in page.text
    assert "<script>alert" not in page.text and "第二行 &amp; 加粗" in page.text
    assert _submit(me, TEXT + "修改后").status_code == 303
    assert "已保存您修改的学习心得" in me.get(f"/c/{SLUG}/1").text
    # Another site's form is refused.
    assert _submit(me, TEXT, origin="http://evil.example").status_code == 403


def test_anonymous_readers_are_told_to_use_their_link(site):
    zl, web = site
    publish(zl, 1, "w1")
    anon = _client(web)
    page = anon.get(f"/c/{SLUG}/1")
    assert 'id="reflection-anonymous"' in page.text and 'id="reflection-form"' not in page.text
    r = _submit(anon, TEXT)
    assert r.status_code == 422 and "个人链接" in r.text
    assert zl.reflections.of_issue(SLUG, 1)["reflections"] == []


def test_a_reader_sees_only_their_own_until_it_is_published(site):
    zl, web = site
    publish(zl, 1, "w1")
    _, one = _reader(zl, web, "a@example.com", "甲")
    two_id, two = _reader(zl, web, "b@example.com", "乙", "集团/二公司")
    _submit(one, TEXT + "甲的心得")
    _submit(two, TEXT + "乙的心得")
    assert "乙的心得" not in one.get(f"/c/{SLUG}/1").text
    assert "甲的心得" not in two.get(f"/c/{SLUG}/1").text
    assert "甲的心得" not in _client(web).get(f"/c/{SLUG}/1").text
    # The editor selects 乙's; 乙 is asked on the issue page and agrees.
    rid = zl.reflections.mine(Reader.person(two_id), zl.issue_id(SLUG, 1))["id"]
    ed = logged_in(web, "ed", "editor-password")
    assert f'href="/admin/c/{SLUG}/1/reflections"' in ed.get(f"/c/{SLUG}/1").text
    listing = ed.get(f"/admin/c/{SLUG}/1/reflections")
    assert listing.status_code == 200 and "甲的心得" in listing.text and "乙的心得" in listing.text
    r = ed.post(f"/admin/c/{SLUG}/1/reflections", data={
        "csrf_token": csrf_of(listing.text), "reflection_id": rid, "action": "feature"})
    assert r.status_code == 303
    assert "已征求作者同意署名" in ed.get(f"/admin/c/{SLUG}/1/reflections").text
    page = two.get(f"/c/{SLUG}/1")
    assert "编辑部拟在下一期选登您的心得，署名显示姓名和部门，是否同意？" in page.text
    assert "编辑部拟在下一期" not in one.get(f"/c/{SLUG}/1").text
    # 甲 cannot answer for 乙.
    r = one.post(f"/reflection/{rid}/consent", data={"agree": "1", "back": f"/c/{SLUG}/1"})
    assert r.status_code == 404
    r = two.post(f"/reflection/{rid}/consent", data={"agree": "1", "back": f"/c/{SLUG}/1"})
    assert r.status_code == 303 and r.headers["location"] == f"/c/{SLUG}/1#reflection"
    assert "您已同意署名选登" in two.get(f"/c/{SLUG}/1").text
    assert "作者同意署名选登" in ed.get(f"/admin/c/{SLUG}/1/reflections").text
    # The author can no longer change it; published, everyone reads it with the name.
    assert _submit(two, TEXT + "再改").status_code == 422
    seed_articles(zl, 1, "w2")
    zl.publish_now(SLUG)
    page = _client(web).get(f"/c/{SLUG}/2").text
    assert "学习心得选登" in page and "乙的心得" in page and "乙（二公司）" in page
    assert "甲的心得" not in page


def test_editor_rights_hide_reason_and_column_rule(site):
    zl, web = site
    publish(zl, 1, "w1")
    sid, me = _reader(zl, web, "a@example.com", "甲")
    _submit(me, TEXT)
    rid = zl.reflections.mine(Reader.person(sid), zl.issue_id(SLUG, 1))["id"]
    anon = _client(web)
    assert anon.get(f"/admin/c/{SLUG}/1/reflections").status_code == 303      # to the login
    viewer = logged_in(web, "look", "viewer-password")
    page = viewer.get(f"/admin/c/{SLUG}/1/reflections")
    assert page.status_code == 200 and TEXT in page.text and "评为优秀" not in page.text
    r = viewer.post(f"/admin/c/{SLUG}/1/reflections", data={
        "csrf_token": csrf_of(page.text), "reflection_id": rid, "action": "excellent"})
    assert r.status_code == 403
    ed = logged_in(web, "ed", "editor-password")
    token = csrf_of(ed.get(f"/admin/c/{SLUG}/1/reflections").text)
    r = ed.post(f"/admin/c/{SLUG}/1/reflections", data={
        "csrf_token": token, "reflection_id": rid, "action": "hide", "reason": ""})
    assert r.status_code == 303
    assert "请填写隐藏的原因" in ed.get(f"/admin/c/{SLUG}/1/reflections").text
    ed.post(f"/admin/c/{SLUG}/1/reflections", data={
        "csrf_token": token, "reflection_id": rid, "action": "hide", "reason": "与学习无关"})
    assert "已隐藏" in ed.get(f"/admin/c/{SLUG}/1/reflections").text
    chief = logged_in(web, "chief", "chief-password")
    audit = chief.get("/admin/audit").text
    assert "隐藏学习心得" in audit and "与学习无关" in audit
    # The column form's rule, saved by the column's editor and audited.
    form = ed.get(f"/admin/c/{SLUG}/edit").text
    assert 'name="reflection_names"' in form
    fields = zl.columns.fields(SLUG)
    r = ed.post(f"/admin/c/{SLUG}/edit", data={
        "csrf_token": csrf_of(form), "name": fields.name, "include": fields.include,
        "schedule": fields.schedule, "timezone": fields.timezone, "reflection_names": "1"})
    assert r.status_code == 303, r.text
    assert zl.get_column(SLUG)["reflection_names"]
    assert "心得选登直接署名 否 → 是" in zl.audit()[0]["detail"]
    assert "选登时直接显示作者姓名和部门" in ed.get(f"/admin/c/{SLUG}/edit").text


def test_person_page_and_issue_statistics_count_reflections(site):
    zl, web = site
    publish(zl, 1, "w1")
    sid, me = _reader(zl, web, "a@example.com", "甲")
    _submit(me, TEXT)
    chief = logged_in(web, "chief", "chief-password")
    page = chief.get(f"/admin/people/person/{sid}").text
    assert 'id="person-reflections"' in page and "学习心得（1 篇）" in page
    assert f'href="/admin/c/{SLUG}/1/reflections' in page
    stats = chief.get(f"/admin/stats/c/{SLUG}/1").text
    assert 'id="reflection-count">1<' in stats
