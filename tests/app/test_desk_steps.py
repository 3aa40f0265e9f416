"""撤销上一步 (``zl.desk.steps``): each kind of step undone exactly — a decision with its
place in the issue order, a bulk decision all at once, a move, a saved 编者按 — per editor
and per column, refused when what it changed has changed since, and audited."""

from __future__ import annotations

import pytest

from tests.support.clock import FakeClock
from tests.support.desk_seed import SLUG, seed_candidates
from zhuanlan.errors import InvalidTransition


@pytest.fixture
def desk(make_zl):
    clock = FakeClock()
    zl = make_zl(clock=clock)
    zl.add_column(SLUG, "学习二十大", include="学习", schedule="0 9 * * 1")
    zl.add_column("other", "其他", include="经济", schedule="0 9 * * 1")
    return zl, clock


def _state(zl, cid: int) -> dict:
    c = zl.desk.candidate(cid)
    return {k: c[k] for k in ("state", "decided_at", "decided_by", "position")}


def _undo_entries(zl) -> list[str]:
    return [e["detail"] for e in zl.audit() if e["action"] == "undo_step"]


def test_a_decision_is_undone_to_exactly_what_it_was(desk):
    zl, clock = desk
    a, b, c = seed_candidates(zl, 3, "待")
    before = _state(zl, a)
    zl.decide(a, "approve", by="ed", column=SLUG, keep_step=True)
    assert zl.desk.steps.last(SLUG, "ed")["label"] == "通过《待文章0》"
    out = zl.desk.steps.undo(SLUG, "ed")
    assert out == {"label": "通过《待文章0》", "focus": a}
    assert _state(zl, a) == before
    assert _undo_entries(zl) == ["撤销：通过《待文章0》"]
    # Only the last step: once undone there is nothing more.
    assert zl.desk.steps.last(SLUG, "ed") is None
    with pytest.raises(InvalidTransition, match="没有可撤销的操作"):
        zl.desk.steps.undo(SLUG, "ed")


def test_a_rejected_item_comes_back_to_its_place_in_the_issue(desk):
    zl, clock = desk
    ids = seed_candidates(zl, 4, "已", state="approved")
    zl.desk.move(ids[3], "top", by="ed", column=SLUG)       # the editor's order
    order = zl.desk.approved_order(SLUG)
    second = order[1]
    decided = _state(zl, second)
    clock.advance(minutes=5)
    zl.decide(second, "reject", by="ed", column=SLUG, keep_step=True)
    assert second not in zl.desk.approved_order(SLUG)
    zl.desk.steps.undo(SLUG, "ed")
    assert zl.desk.approved_order(SLUG) == order
    assert _state(zl, second) == decided


def test_a_bulk_decision_is_undone_all_at_once(desk):
    zl, clock = desk
    ids = seed_candidates(zl, 4, "批")
    results = zl.decide_many(ids[:3], "approve", by="ed", column=SLUG, keep_step=True)
    assert set(results.values()) == {"approved"}
    assert zl.desk.steps.last(SLUG, "ed")["label"] == "批量通过 3 篇"
    zl.desk.steps.undo(SLUG, "ed")
    assert {zl.desk.candidate(i)["state"] for i in ids} == {"pending"}
    assert _undo_entries(zl) == ["撤销：批量通过 3 篇"]


def test_a_bulk_step_is_refused_whole_when_one_item_changed(desk):
    zl, clock = desk
    ids = seed_candidates(zl, 3, "批")
    zl.decide_many(ids, "reject", by="ed", column=SLUG, keep_step=True)
    zl.decide(ids[1], "undo", by="chief", column=SLUG)     # someone else took one back
    with pytest.raises(InvalidTransition, match="《批文章1》此后已改为待审，无法撤销"):
        zl.desk.steps.undo(SLUG, "ed")
    assert [zl.desk.candidate(i)["state"] for i in ids] == ["rejected", "pending", "rejected"]
    assert _undo_entries(zl) == []


def test_a_move_is_undone(desk):
    zl, clock = desk
    ids = seed_candidates(zl, 3, "序", state="approved")
    order = zl.desk.approved_order(SLUG)
    zl.desk.move(order[2], "up", by="ed", column=SLUG, keep_step=True)
    assert zl.desk.steps.last(SLUG, "ed")["label"] == "将《序文章2》从第 3 篇移到第 2 篇"
    out = zl.desk.steps.undo(SLUG, "ed")
    assert zl.desk.approved_order(SLUG) == order and out["focus"] == order[2]
    assert sorted(ids) == sorted(order)


def test_a_move_is_refused_when_the_order_changed_since(desk):
    zl, clock = desk
    seed_candidates(zl, 3, "序", state="approved")
    order = zl.desk.approved_order(SLUG)
    zl.desk.move(order[2], "up", by="ed", column=SLUG, keep_step=True)
    zl.desk.move(order[0], "bottom", by="chief", column=SLUG)
    with pytest.raises(InvalidTransition, match="顺序此后已有变动"):
        zl.desk.steps.undo(SLUG, "ed")


def test_the_note_is_undone_to_the_previous_text(desk):
    zl, clock = desk
    zl.set_editor_note(SLUG, "第一稿", by="ed", keep_step=True)
    first_at = zl.get_column(SLUG)["editor_note_at"]
    assert first_at == clock.now
    clock.advance(minutes=3)
    zl.set_editor_note(SLUG, "第二稿", by="ed", keep_step=True)
    zl.desk.steps.undo(SLUG, "ed")
    col = zl.get_column(SLUG)
    assert (col["editor_note"], col["editor_note_at"]) == ("第一稿", first_at)
    assert _undo_entries(zl) == ["撤销：保存编者按"]


def test_the_note_is_refused_once_it_went_out_with_an_issue(desk):
    zl, clock = desk
    seed_candidates(zl, 1, "发", state="approved")
    zl.set_editor_note(SLUG, "本期编者按", by="ed", keep_step=True)
    zl.publish_now(SLUG)
    with pytest.raises(InvalidTransition, match="编者按已随一期发布，无法撤销"):
        zl.desk.steps.undo(SLUG, "ed")


def test_a_decision_is_refused_once_the_item_is_published(desk):
    zl, clock = desk
    (a,) = seed_candidates(zl, 1, "发")
    zl.decide(a, "approve", by="ed", column=SLUG, keep_step=True)
    zl.publish_now(SLUG)
    with pytest.raises(InvalidTransition, match="《发文章0》已在第 1 期发布，无法撤销"):
        zl.desk.steps.undo(SLUG, "ed")
    assert zl.desk.candidate(a)["state"] == "published"


def test_steps_are_per_editor_and_per_column(desk):
    zl, clock = desk
    a, b = seed_candidates(zl, 2, "人")
    (o,) = seed_candidates(zl, 1, "他", slug="other")
    zl.decide(a, "approve", by="ed", column=SLUG, keep_step=True)
    zl.decide(b, "reject", by="chief", column=SLUG, keep_step=True)
    zl.decide(o, "approve", by="ed", column="other", keep_step=True)
    # chief's undo takes back chief's step, not ed's later one on another column.
    assert zl.desk.steps.undo(SLUG, "chief")["label"] == "退回《人文章1》"
    assert zl.desk.candidate(a)["state"] == "approved"
    assert zl.desk.candidate(b)["state"] == "pending"
    assert zl.desk.steps.undo(SLUG, "ed")["label"] == "通过《人文章0》"
    assert zl.desk.candidate(o)["state"] == "approved"
    assert zl.desk.steps.undo("other", "ed")["label"] == "通过《他文章0》"
    # A new step replaces the last one: only the last step can be undone.
    zl.decide(a, "approve", by="ed", column=SLUG, keep_step=True)
    zl.decide(b, "approve", by="ed", column=SLUG, keep_step=True)
    zl.desk.steps.undo(SLUG, "ed")
    with pytest.raises(InvalidTransition, match="没有可撤销的操作"):
        zl.desk.steps.undo(SLUG, "ed")
    assert zl.desk.candidate(a)["state"] == "approved"


def test_a_decision_without_keep_step_is_no_step(desk):
    zl, clock = desk
    (a,) = seed_candidates(zl, 1, "脚")
    zl.decide(a, "approve", by="cli")     # the CLI and the API keep no step
    assert zl.desk.steps.last(SLUG, "cli") is None
