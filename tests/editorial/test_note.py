"""The 编者按 is stored without a label of its own: every channel prints "编者按"."""

import pytest

from zhuanlan.editorial.assemble import clean_note


@pytest.mark.parametrize("typed, stored", [
    ("编者按：认真学习。", "认真学习。"),
    ("编者按:认真学习。", "认真学习。"),
    ("  【编者按】 认真学习。\n第二段。 ", "认真学习。\n第二段。"),
    ("〔编者按〕认真学习。", "认真学习。"),
    ("编者按 认真学习。", "认真学习。"),
    ("认真学习编者按：的精神。", "认真学习编者按：的精神。"),   # only a leading label
    ("", ""),
])
def test_a_leading_label_is_dropped(typed, stored):
    assert clean_note(typed) == stored


def test_the_readme_example_is_not_doubled(make_zl):
    zl = make_zl()
    zl.add_column("c", "学习专栏", include="学习", editor_note="编者按：请认真学习。")
    assert zl.get_column("c")["editor_note"] == "请认真学习。"
    zl.set_editor_note("c", "【编者按】本期请重点学习第一篇。")
    assert zl.get_column("c")["editor_note"] == "本期请重点学习第一篇。"
