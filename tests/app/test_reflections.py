"""学习心得 through the facade (SQLite and PostgreSQL): submitting and changing, the limits
and the cleaning, one per person and issue, the editor's 优秀 / hide / 选登, the author's
consent, the column's naming rule, publishing binds the selected ones into the next
issue (page, mail, preview), and the person's record."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.support.study_seed import SLUG, organisation, publish, seed_articles
from zhuanlan.errors import InvalidTransition, NotFoundError, PermissionDenied, RuleError
from zhuanlan.publish.render import render_email
from zhuanlan.store.schema import audit_log, reflections
from zhuanlan.study.records import Reader

TEXT = "学习了本期文章，深受启发。我们要把学习成果转化为推动工作的实际行动。"


@pytest.fixture
def org(zl):
    people = organisation(zl)
    issue_id, _ = publish(zl, 2, "r1")
    return zl, people, issue_id


def test_submit_cleans_to_plain_text_and_keeps_line_breaks(org):
    zl, people, issue_id = org
    me = Reader.person(people["甲"])
    typed = ("<p>第一段：<b>学习</b>二十大精神，&lt;深有体会&gt;。</p><script>alert(1)</script>"
             "\r\n\r\n\r\n第二段：\x00结合岗位\u200b实际抓好落实，推动工作。<img src=x onerror=alert(2)>")
    assert zl.reflections.submit(me, issue_id, typed) is True
    mine = zl.reflections.mine(me, issue_id)
    assert mine["body"] == ("第一段：学习二十大精神，<深有体会>。\n\n第二段：结合岗位实际抓好落实，"
                            "推动工作。")
    assert mine["editable"] and "<" not in mine["body"].replace("<深", "")


def test_limits_one_per_person_and_changing(org):
    zl, people, issue_id = org
    me = Reader.person(people["甲"])
    with pytest.raises(RuleError, match="至少 20 个字"):
        zl.reflections.submit(me, issue_id, "<b>太短了</b>" + " " * 50)
    with pytest.raises(RuleError, match="最多 2000 个字"):
        zl.reflections.submit(me, issue_id, "学" * 2001)
    assert zl.reflections.mine(me, issue_id) is None
    assert zl.reflections.submit(me, issue_id, TEXT) is True
    assert zl.reflections.submit(me, issue_id, TEXT + "再补充一句。") is False
    with zl.db.read() as conn:
        rows = conn.execute(select(reflections)).mappings().all()
    assert len(rows) == 1 and rows[0]["body"].endswith("再补充一句。")
    assert rows[0]["updated_at"] is not None


def test_anonymous_readers_cannot_submit(org):
    zl, _, issue_id = org
    with pytest.raises(PermissionDenied, match="个人链接"):
        zl.reflections.submit(Reader.anonymous("x" * 20), issue_id, TEXT)
    assert zl.reflections.mine(Reader.anonymous("x" * 20), issue_id) is None


def _rid(zl, issue_id, sid) -> int:
    return zl.reflections.mine(Reader.person(sid), issue_id)["id"]


def _written(zl, issue_id, people, *names) -> list[tuple[Reader, int]]:
    """Each named person's reflection on the issue: (the reader, its id)."""
    out = []
    for name in names:
        reader = Reader.person(people[name])
        zl.reflections.submit(reader, issue_id, f"{TEXT}（{name}）")
        out.append((reader, _rid(zl, issue_id, people[name])))
    return out


def test_editor_marks_hides_with_a_reason_and_the_author_can_no_longer_change_it(org):
    zl, people, issue_id = org
    (me, mine), (_, theirs) = _written(zl, issue_id, people, "甲", "乙")
    listed = zl.reflections.of_issue(SLUG, 1)["reflections"]
    assert [(r["name"], r["department"]) for r in listed] == [
        ("甲", "集团/一公司/办公室"), ("乙", "集团/一公司/办公室")]
    assert zl.reflections.act(SLUG, 1, mine, "excellent", by="ed") == "已评为优秀"
    with pytest.raises(InvalidTransition, match="不能再修改"):
        zl.reflections.submit(me, issue_id, TEXT + "改一改")
    with pytest.raises(RuleError, match="原因"):
        zl.reflections.act(SLUG, 1, theirs, "hide", by="ed", reason="  ")
    zl.reflections.act(SLUG, 1, theirs, "hide", by="ed", reason="含有与学习无关的内容")
    with pytest.raises(InvalidTransition, match="隐藏"):
        zl.reflections.act(SLUG, 1, theirs, "feature", by="ed")
    with pytest.raises(RuleError):
        zl.reflections.act(SLUG, 1, theirs, "delete", by="ed")
    with zl.db.read() as conn:
        entries = conn.execute(select(audit_log.c.action, audit_log.c.detail)
                               .where(audit_log.c.action.like("reflection.%"))).all()
    assert ("reflection.hide", f"心得 #{theirs}（乙），原因：含有与学习无关的内容") in entries
    audit_names = {e["action"]: e["action_name"] for e in zl.audit()}
    assert audit_names["reflection.hide"] == "隐藏学习心得"
    # Another issue's number does not reach this issue's reflections.
    publish(zl, 1, "r2")
    with pytest.raises(NotFoundError):
        zl.reflections.act(SLUG, 2, mine, "unexcellent", by="ed")


def test_consent_asked_granted_published_with_name_refused_not(org):
    zl, people, issue_id = org
    (a, ra), (b, rb) = _written(zl, issue_id, people, "甲", "丙")
    assert "征求作者同意" in zl.reflections.act(SLUG, 1, ra, "feature", by="ed")
    zl.reflections.act(SLUG, 1, rb, "feature", by="ed")
    assert [r["id"] for r in zl.reflections.asked(a)] == [ra]
    # Nobody answers for someone else, and an unasked one cannot be answered.
    with pytest.raises(NotFoundError):
        zl.reflections.answer(b, ra, True)
    with pytest.raises(NotFoundError):
        zl.reflections.answer(Reader.anonymous("y" * 20), ra, True)
    # Asked only: the next issue would carry nothing yet.
    assert zl.previews.next_issue(SLUG).issue.reflections == ()
    zl.reflections.answer(a, ra, True)
    zl.reflections.answer(b, rb, False)
    with pytest.raises(InvalidTransition):
        zl.reflections.answer(a, ra, False)
    assert zl.reflections.asked(a) == []
    listed = {r["id"]: r for r in zl.reflections.of_issue(SLUG, 1)["reflections"]}
    assert listed[ra]["consent"] == "granted" and listed[rb]["consent"] == "refused"
    with pytest.raises(InvalidTransition, match="不同意"):
        zl.reflections.act(SLUG, 1, rb, "feature", by="ed")

    seed_articles(zl, 1, "r2")
    second = zl.publish_now(SLUG)
    view = zl.issue_view(SLUG, 2)
    assert [(r.name, r.department, r.body) for r in view.reflections] == [
        ("甲", "一公司 办公室", TEXT + "（甲）")]
    with zl.db.read() as conn:
        bound = dict(conn.execute(select(reflections.c.id, reflections.c.featured_issue_id)).all())
    assert bound == {ra: second, rb: None}
    mail = render_email(view, tz=zl.tz)
    assert "学习心得选登" in mail.html and "—— 甲（一公司 办公室）" in mail.text
    assert TEXT in mail.text and TEXT in mail.html
    # Published: the choice stays; the next issue does not carry it again.
    with pytest.raises(InvalidTransition, match="已随一期发布"):
        zl.reflections.act(SLUG, 1, ra, "unfeature", by="ed")
    seed_articles(zl, 1, "r3")
    zl.publish_now(SLUG)
    assert zl.issue_view(SLUG, 3).reflections == ()
    assert zl.issue_view(SLUG, 1).reflections == ()


def test_the_column_rule_names_authors_without_asking(org):
    zl, people, issue_id = org
    fields = zl.columns.fields(SLUG)
    assert zl.columns.update(SLUG, fields.changed(reflection_names=True), by="ed") == [
        "reflection_names"]
    me = Reader.person(people["丁"])
    zl.reflections.submit(me, issue_id, TEXT)
    rid = _rid(zl, issue_id, people["丁"])
    assert zl.reflections.act(SLUG, 1, rid, "feature", by="ed") == "已选登到下一期"
    assert zl.reflections.asked(me) == []
    seed_articles(zl, 1, "r2")
    preview = zl.previews.next_issue(SLUG)
    assert [r.name for r in preview.issue.reflections] == ["丁"]
    assert [r.name for r in zl.desk.next_issue(SLUG)["reflections"]] == ["丁"]
    assert "学习心得选登" in preview.email.html
    zl.publish_now(SLUG)
    assert [(r.name, r.department) for r in zl.issue_view(SLUG, 2).reflections] == [
        ("丁", "二公司")]
    # A reflection hidden after publishing leaves the issue.
    zl.reflections.act(SLUG, 1, rid, "hide", by="ed", reason="作者要求撤下")
    assert zl.issue_view(SLUG, 2).reflections == ()


def test_unfeaturing_withdraws_the_question(org):
    zl, people, issue_id = org
    me = Reader.person(people["乙"])
    zl.reflections.submit(me, issue_id, TEXT)
    rid = _rid(zl, issue_id, people["乙"])
    zl.reflections.act(SLUG, 1, rid, "feature", by="ed")
    zl.reflections.act(SLUG, 1, rid, "unfeature", by="ed")
    assert zl.reflections.asked(me) == []
    with pytest.raises(InvalidTransition):
        zl.reflections.answer(me, rid, True)
    # Nothing of the editor's left on it: the author may change it again.
    zl.reflections.act(SLUG, 1, rid, "excellent", by="ed")
    zl.reflections.act(SLUG, 1, rid, "unexcellent", by="ed")
    assert zl.reflections.submit(me, issue_id, TEXT + "又想到一点。") is False


def test_person_record_lists_and_counts_reflections(org):
    zl, people, issue_id = org
    zl.reflections.submit(Reader.person(people["甲"]), issue_id, TEXT)
    second, _ = publish(zl, 1, "r2")
    zl.reflections.submit(Reader.person(people["甲"]), second, TEXT + "二")
    zl.reflections.submit(Reader.person(people["乙"]), second, TEXT + "乙")
    mine = zl.reflections.of_person(people["甲"])
    assert [(r["slug"], r["number"]) for r in mine] == [(SLUG, 2), (SLUG, 1)]
    assert zl.reflections.of_person(people["丙"]) == []
    assert zl.reflections.count_of_issue(second) == 2
