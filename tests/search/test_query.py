"""Query parsing: no database. User input never reaches FTS5 or tsquery as syntax."""

from __future__ import annotations

import pytest

from zhuanlan.search.query import (
    MAX_QUERY_CHARS,
    SearchQueryError,
    fts5_match,
    parse_query,
    tsquery_text,
)


def test_words_and_phrases():
    q = parse_query('学习  "短缺药品供应" 全面从严治党')
    assert q.words == ("学习", "全面从严治党")
    assert q.phrases == (("短缺", "药品", "供应"),)
    assert {"学习", "短缺药品供应", "全面从严治党"} <= set(q.highlight)


def test_chinese_quotes_and_an_unclosed_quote():
    assert parse_query("“短缺药品供应”").phrases == (("短缺", "药品", "供应"),)
    assert parse_query("「短缺药品供应」").phrases == (("短缺", "药品", "供应"),)
    assert parse_query('学习 "短缺药品供应').phrases == (("短缺", "药品", "供应"),)


def test_traditional_and_full_width_are_normalised():
    assert parse_query("學習").words == ("学习",)
    assert parse_query("ＡＩ　２０２４").words == ("AI", "2024")


@pytest.mark.parametrize("bad, message", [
    ("", "请输入"), ("   ", "请输入"), ("，。！？", "没有可以搜索"),
    ("学" * (MAX_QUERY_CHARS + 1), "太长"),
    (" ".join(f"词{i}语" for i in range(40))[:MAX_QUERY_CHARS], "太多"),
])
def test_unsearchable_queries_say_why(bad, message):
    with pytest.raises(SearchQueryError) as exc:
        parse_query(bad)
    assert message in exc.value.message


@pytest.mark.parametrize("hostile", [
    'a" OR "b', "NEAR(学习 两会)", "title:学习", "学*", "^学习", "学习 -两会", "a'b",
    "x\\y", "学习 AND OR NOT", "{title}: 学习", "学习 & !两会 | <-> :*",
])
def test_operators_are_quoted_not_obeyed(hostile):
    q = parse_query(hostile)
    fts = fts5_match(q)
    # Every token is one quoted FTS5 string; nothing else but AND, + and column filters.
    stripped = fts
    for w in q.words:
        stripped = stripped.replace('"' + w.replace('"', '""') + '"', "")
    for p in q.phrases:
        for w in p:
            stripped = stripped.replace('"' + w.replace('"', '""') + '"', "")
    assert set(stripped.replace("AND", "").replace("{title body} :", "")) <= set(" ()+")
    tsq = tsquery_text(q)
    assert tsq.count("'") % 2 == 0
