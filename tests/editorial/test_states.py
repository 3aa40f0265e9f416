from datetime import UTC, datetime

import pytest

from zhuanlan.editorial.assemble import Approved, issue_title, order_items
from zhuanlan.editorial.states import move
from zhuanlan.errors import InvalidTransition


@pytest.mark.parametrize("current,target", [
    ("pending", "approved"), ("pending", "rejected"), ("approved", "pending"),
    ("rejected", "approved"), ("approved", "published"),
])
def test_allowed_moves(current, target):
    assert move(current, target).value == target


@pytest.mark.parametrize("current,target", [
    ("pending", "published"), ("rejected", "published"), ("published", "pending"),
    ("published", "rejected"),
])
def test_illegal_moves_are_refused(current, target):
    with pytest.raises(InvalidTransition) as info:
        move(current, target, resource="candidate 7")
    assert "candidate 7" in str(info.value)


def test_items_ordered_by_score_then_newest_and_capped():
    t = lambda d: datetime(2026, 11, d, tzinfo=UTC)  # noqa: E731
    items = [Approved(1, 11, 2.0, None, t(1)), Approved(2, 12, 5.0, None, t(1)),
             Approved(3, 13, 2.0, None, t(3)), Approved(4, 14, 2.0, None, None)]
    assert [a.candidate_id for a in order_items(items)] == [2, 3, 1, 4]
    assert len(order_items(items, limit=2)) == 2
    assert issue_title("学习二十大", 3) == "学习二十大 · 第3期"
