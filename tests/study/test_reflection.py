"""A reflection as plain text, without a database: markup and control characters gone,
line breaks kept, the limits, and who may still change it."""

from __future__ import annotations

import pytest

from zhuanlan.errors import RuleError
from zhuanlan.study.reflection import (
    check_length,
    clean_body,
    department_label,
    editable,
)


@pytest.mark.parametrize(("typed", "kept"), [
    ("第一行\r\n第二行\r第三行", "第一行\n第二行\n第三行"),
    ("  甲\u00a0乙  \n\n\n\n\n丙  ", "甲 乙\n\n丙"),
    ("<p>一</p><p>二</p>", "一\n二"),
    ("a<br>b<br/>c", "a\nb\nc"),
    ("<style>p{}</style><script>x()</script>正文", "正文"),
    ("1 < 2 && 3 > 2", "1 < 2 && 3 > 2"),
    ("&lt;b&gt;不是标签&lt;/b&gt;", "<b>不是标签</b>"),
    ("零\u200b宽\x07字\ufeff符\u202e", "零宽字符"),
    ("<a href='javascript:alert(1)'>链接</a>", "链接"),
])
def test_clean_body(typed, kept):
    assert clean_body(typed) == kept


def test_limits_count_the_cleaned_text():
    check_length("学" * 20)
    check_length("学" * 2000)
    with pytest.raises(RuleError, match="至少 20 个字（现有 19 个字）"):
        check_length(clean_body("<b>" + "学" * 19 + "</b>"))
    with pytest.raises(RuleError, match="最多 2000 个字（现有 2001 个字）"):
        check_length("学" * 2001)


def test_editable_until_the_editor_acts():
    row = {"excellent": False, "hidden": False, "feature_column_id": None,
           "featured_issue_id": None}
    assert editable(row)
    for key, value in (("excellent", True), ("hidden", True), ("feature_column_id", 3)):
        assert not editable({**row, key: value})


def test_department_label():
    assert department_label("集团/一公司/办公室") == "一公司 办公室"
    assert department_label("集团") == "集团"
    assert department_label("") == ""
