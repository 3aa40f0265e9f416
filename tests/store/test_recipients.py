"""Who an issue goes to: people subscribed directly or through a department's subtree
(people added later included), active, not opted out — one outbox row each."""

from __future__ import annotations

from sqlalchemy import func, select

from tests.support.people_files import approve_one, csv_bytes, outbox
from zhuanlan.store.schema import deliveries

PEOPLE = [["工号", "姓名", "部门", "邮箱"],
          ["1", "集团领导", "集团", "boss@corp.example.com"],
          ["2", "党群甲", "集团/甲公司/党群工作部", "a1@corp.example.com"],
          ["3", "党群乙", "集团 › 甲公司 › 党群工作部", "a2@corp.example.com"],
          ["4", "财务丙", "集团/甲公司/财务部", "a3@corp.example.com"],
          ["5", "乙公司丁", "集团/乙公司", "b1@corp.example.com"],
          ["6", "近名戊", "集团/甲公司二厂", "c1@corp.example.com"],
          ["7", "无部门", "", "none@corp.example.com"]]


def _setup(zl):
    zl.add_column("xuexi", "学习二十大", include="二十大", schedule="0 9 * * 1")
    zl.people.apply_import(csv_bytes(PEOPLE), "people.csv")
    return {p["employee_no"]: p["id"] for p in zl.people.list_people()}


def test_department_subtree_and_direct_overlap_make_one_delivery_each(make_zl):
    zl = make_zl()
    ids = _setup(zl)
    zl.people.subscribe_department("xuexi", "集团/甲公司")
    zl.people.subscribe_department("xuexi", "集团/甲公司/党群工作部")     # nested: overlap
    zl.people.subscribe_person("xuexi", "2")                              # direct: overlap
    zl.people.subscribe_person("xuexi", "none@corp.example.com")
    # Someone added to the subscribed subtree after the subscription is covered too.
    later = zl.add_subscriber("new@corp.example.com", "新同事",
                              department="集团 > 甲公司 > 财务部 > 核算组")
    approve_one(zl, "xuexi")
    issue_id = zl.publish_now("xuexi")
    expected = sorted([ids["2"], ids["3"], ids["4"], ids["7"], later])
    assert outbox(zl, issue_id) == expected           # 甲公司二厂 and 乙公司 are not covered
    assert [p["id"] for p in zl.people.recipients("xuexi")] == expected
    subs = zl.people.column_subscriptions("xuexi")
    assert subs["recipients"] == 5
    assert {d["path"]: d["head_count"] for d in subs["departments"]} == {
        "集团/甲公司": 4, "集团/甲公司/党群工作部": 2}


def test_an_opt_out_is_honoured_at_once_even_under_a_department(make_zl):
    zl = make_zl()
    ids = _setup(zl)
    zl.people.subscribe_department("xuexi", "集团")
    zl.people.subscribe_person("xuexi", "3")
    assert zl.people.unsubscribe("xuexi", "a2@corp.example.com", via="link") is True
    assert zl.people.unsubscribe("xuexi", "3") is False                  # already
    zl.people.set_active("5", False)                                    # inactive: none
    approve_one(zl, "xuexi")
    issue_id = zl.publish_now("xuexi")
    got = outbox(zl, issue_id)
    assert ids["3"] not in got and ids["5"] not in got
    assert got == sorted(ids[n] for n in ("1", "2", "4", "6"))   # 7 has no department
    assert zl.people.opted_out("xuexi", "3")
    # Subscribing them again by hand lifts the opt-out.
    zl.people.subscribe_person("xuexi", "3")
    approve_one(zl, "xuexi")
    assert ids["3"] in outbox(zl, zl.publish_now("xuexi"))


def test_publishing_twice_never_repeats_a_row(make_zl):
    zl = make_zl()
    _setup(zl)
    zl.add_column("other", "其他", include="经济", schedule="0 9 * * 1")
    zl.people.subscribe_department("xuexi", "集团")
    zl.people.subscribe_department("other", "集团/乙公司")
    approve_one(zl, "xuexi")
    approve_one(zl, "other")
    first = zl.publish_now("xuexi")
    second = zl.publish_now("other")
    assert len(outbox(zl, first)) == 6 and len(outbox(zl, second)) == 1
    with zl.db.read() as conn:
        rows = conn.execute(select(func.count()).select_from(deliveries)).scalar()
        distinct = conn.execute(select(func.count()).select_from(
            select(deliveries.c.issue_id, deliveries.c.subscriber_id, deliveries.c.channel)
            .distinct().subquery())).scalar()
    assert rows == distinct == 7


def test_core_subscriber_api_still_works(make_zl):
    zl = make_zl()
    zl.add_column("c", "专栏", include="二十大", schedule="0 9 * * 1")
    sid = zl.add_subscriber("a@example.com", "甲", department="党群工作部")
    assert zl.add_subscriber("a@example.com", "甲") == sid
    zl.subscribe("c", sid)
    assert [s["id"] for s in zl.list_subscribers("c")] == [sid]
    assert zl.people.get(sid)["department"] == "党群工作部"
    approve_one(zl, "c")
    assert outbox(zl, zl.publish_now("c")) == [sid]
