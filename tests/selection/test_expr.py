"""The rule language: a table of expressions and what they match, and invalid ones with
the position of their error."""

from datetime import datetime, timedelta, timezone

import pytest

from zhuanlan.errors import RuleError
from zhuanlan.model import ColumnRules, Match
from zhuanlan.selection import Doc, Rules, evaluate, match, parse_rules
from zhuanlan.selection.expr import And, Not, Or, Term, parse, positive_terms

TITLE = "深入学习贯彻党的二十大精神 推进中国式现代化"
TEXT = ("党的二十大报告指出，高质量发展是全面建设社会主义现代化国家的首要任务。"
        "要加快培育新质生产力，学习二十大精神。召开二十大会议。人民币汇率保持稳定。"
        "党员干部要带头学习。AI赋能制造业。COVID-19 疫情防控。非公有制经济健康发展。")
SPORTS_TITLE = "山东泰山主场三连胜 迎接二十大"
SPORTS_TEXT = "本场比赛，山东泰山开局便占据主动。球员们表示要认真学习二十大报告。"

# (include expression, matches TITLE/TEXT, matches SPORTS, matched terms for TITLE/TEXT)
TABLE = [
    # Keyword lists stay valid: a comma (any of ，、;；) is OR.
    ("二十大，新质生产力、体育", True, True, ("二十大", "新质生产力")),
    ("体育,娱乐", False, False, ()),
    # Juxtaposition is AND.
    ("二十大 新质生产力", True, False, ("二十大", "新质生产力")),
    ("二十大 体育", False, False, ()),
    # Spellings of AND / OR / NOT.
    ("二十大 AND 新质生产力", True, False, ("二十大", "新质生产力")),
    ("二十大 且 新质生产力", True, False, ("二十大", "新质生产力")),
    ("二十大&新质生产力", True, False, ("二十大", "新质生产力")),
    ("体育 OR 新质生产力", True, False, ("新质生产力",)),
    ("体育 或 新质生产力", True, False, ("新质生产力",)),
    ("体育|新质生产力", True, False, ("新质生产力",)),
    ("二十大 NOT 比赛", True, False, ("二十大",)),
    ("二十大 非 比赛", True, False, ("二十大",)),
    ("二十大 !比赛", True, False, ("二十大",)),
    ("二十大 -比赛", True, False, ("二十大",)),
    ("二十大 －比赛", True, False, ("二十大",)),
    ("二十大 ！比赛", True, False, ("二十大",)),
    # Precedence NOT > AND > OR: a OR b AND NOT c is a OR (b AND (NOT c)).
    ("比赛 OR 二十大 AND NOT 人民币", False, True, ()),   # TEXT has 人民币, no 比赛
    # Not (二十大 OR 比赛) AND 人民币. Every positive term present is reported.
    ("二十大 OR 比赛 AND 人民币", True, True, ("二十大", "人民币")),
    ("(比赛 OR 二十大) AND NOT 人民币", False, True, ()),
    ("NOT 人民币 AND 二十大", False, True, ()),
    ("NOT (人民币 AND 比赛) 二十大", True, True, ("二十大",)),
    # Parentheses, also full-width.
    ("（体育 或 现代化） 且 二十大", True, False, ("现代化", "二十大")),
    # Phrases, ASCII and Chinese quotes; spaces between Chinese characters dropped.
    ('"中国式现代化"', True, False, ("中国式现代化",)),
    ("“中国式 现代化”", True, False, ("中国式现代化",)),
    ("「新质生产力」", True, False, ("新质生产力",)),
    ('"AND"', False, False, ()),
    # title: — the term must be in the title.
    ("title:二十大", True, True, ("二十大",)),
    ("title:新质生产力", False, False, ()),
    ("标题：中国式现代化", True, False, ("中国式现代化",)),
    ("title:(三连胜 OR 现代化)", True, True, ("现代化",)),
    ("title:-三连胜 二十大", True, False, ("二十大",)),
    # Chinese operators only as whole tokens: 非公有制经济 is a term.
    ("非公有制经济", True, False, ("非公有制经济",)),
    # A hyphen inside a word is a hyphen.
    ("COVID-19", True, False, ("COVID-19",)),
    # Word-boundary rule as in keyword lists: 大会 straddles 二十大|会议; 人民 in 人民币.
    ("大会", False, False, ()),
    ("人民", False, False, ()),
    # Upper-case operators only: "and" is an English term.
    ("二十大 and", False, False, ()),
]


@pytest.mark.parametrize("include, on_text, on_sports, terms", TABLE)
def test_table(include, on_text, on_sports, terms):
    rules = parse_rules(include)
    result = evaluate(rules, Doc(TITLE, TEXT))
    assert result.matched is on_text, result.reason
    assert evaluate(rules, Doc(SPORTS_TITLE, SPORTS_TEXT)).matched is on_sports
    assert result.terms == terms
    if result.matched:
        assert result.score > 0 and result.reason.startswith("命中：")
    else:
        assert result.score == 0


def test_parse_tree_precedence():
    tree = parse("a OR b c NOT d")
    assert isinstance(tree, Or)
    assert isinstance(tree.items[0], Term) and tree.items[0].form == "a"
    right = tree.items[1]
    assert isinstance(right, And) and isinstance(right.items[2], Not)
    assert [t.form for t in positive_terms(tree)] == ["a", "b", "c"]


@pytest.mark.parametrize("expr, position, message", [
    ("(二十大 OR 两会", 10, "第 11 个字符处缺少右括号"),
    ("((二十大)", 6, "第 7 个字符处缺少右括号（第 1 个字符处的左括号没有闭合）"),
    ("二十大)", 3, "第 4 个字符处多了一个右括号"),
    ("二十大 AND", 7, "第 8 个字符处缺少检索词"),
    ("AND 二十大", 0, "第 1 个字符处的“AND”前面缺少检索词"),
    ("二十大 OR OR 两会", 7, "第 8 个字符处的“OR”前面缺少检索词"),
    ("二十大 且 )", 6, "第 7 个字符处多了一个右括号"),
    ("(二十大 且 )", 7, "第 8 个字符处的右括号前面缺少检索词"),
    ("()", 1, "第 2 个字符处的右括号前面缺少检索词"),
    ("NOT", 3, "第 4 个字符处缺少检索词"),
    ("title:", 6, "第 7 个字符处缺少检索词"),
    ('二十大 "中国式现代化', 4, "第 5 个字符处的引号没有配对的右引号"),
    ("二十大 “中国式现代化", 4, "第 5 个字符处的引号没有配对的右引号"),
    ("二十大”", 3, "第 4 个字符处的右引号没有配对的左引号"),
    ('二十大 ""', 4, "第 5 个字符处的引号里是空的"),
    ("二十大 ……", 4, "第 5 个字符处的“……”不含文字或数字"),
    ("二十大 " + "长" * 51, 4, "第 5 个字符处的检索词超过 50 个字符"),
    ("-体育", 0, "条件在文章不含任何检索词时也成立"),
    ("NOT (体育 OR 娱乐)", 0, "条件在文章不含任何检索词时也成立"),
])
def test_invalid_expression_position(expr, position, message):
    with pytest.raises(RuleError) as info:
        parse_rules(expr)
    assert info.value.position == position
    assert info.value.resource == "include"
    assert info.value.message.startswith(message)


def test_error_position_in_exclude_and_title():
    with pytest.raises(RuleError) as info:
        parse_rules("二十大", "体育 (娱乐")
    assert (info.value.resource, info.value.position) == ("exclude", 6)
    with pytest.raises(RuleError) as info:
        parse_rules("二十大", title_terms="学习 AND")
    assert (info.value.resource, info.value.position) == ("title_terms", 6)


def test_too_many_terms():
    with pytest.raises(RuleError) as info:
        parse_rules(",".join(f"词{i}" for i in range(201)))
    assert info.value.position == len(",".join(f"词{i}" for i in range(200))) + 1


@pytest.mark.parametrize("include", ["", "  ", "，、；"])
def test_include_is_required(include):
    with pytest.raises(RuleError) as info:
        parse_rules(include)
    assert info.value.resource == "include"


def test_term_both_included_and_excluded():
    with pytest.raises(RuleError) as info:
        parse_rules("二十大 OR 学习", "体育, 学习")
    assert info.value.resource == "exclude" and info.value.position == 4


def test_keyword_lists_tolerate_empty_items():
    rules = parse_rules("  二十大 ， ，、 学习  ,")
    assert [t.text for t in rules.terms()] == ["二十大", "学习"]


def test_exclude_expression():
    rules = parse_rules("二十大", "比赛 OR (娱乐 AND 晚会)")
    assert evaluate(rules, Doc(SPORTS_TITLE, SPORTS_TEXT)) == Match(matched=False,
                                                                    reason="排除：比赛")
    assert evaluate(rules, Doc(TITLE, TEXT)).matched
    assert evaluate(rules, Doc("二十大", "娱乐")).matched            # both needed
    assert not evaluate(rules, Doc("晚会", "二十大 娱乐")).matched    # in title or body


def test_title_terms():
    rules = parse_rules("二十大", title_terms="学习 OR 贯彻")
    assert evaluate(rules, Doc(TITLE, TEXT)).matched
    result = evaluate(rules, Doc(SPORTS_TITLE, SPORTS_TEXT))
    assert not result.matched and result.reason == "标题不含：学习 OR 贯彻"
    assert "学习" in [t.text for t in rules.terms()]


NOW = datetime(2024, 3, 10, 12, tzinfo=timezone(timedelta(hours=8)))


def test_source_filter_by_id_or_name():
    rules = parse_rules("二十大", sources=(3, "人民网-理论"))
    assert evaluate(rules, Doc(TITLE, TEXT, source_id=3)).matched
    assert evaluate(rules, Doc(TITLE, TEXT, source_id=9, source_name="人民网-理论")).matched
    assert evaluate(rules, Doc(TITLE, TEXT, source_id="3")).matched
    miss = evaluate(rules, Doc(TITLE, TEXT, source_id=9, source_name="新浪体育"))
    assert not miss.matched and miss.reason == "来源不在本栏目范围"
    assert not evaluate(rules, Doc(TITLE, TEXT)).matched
    assert evaluate(parse_rules("二十大"), Doc(TITLE, TEXT)).matched  # no filter: all


def test_date_window():
    rules = parse_rules("二十大", max_age_days=7)
    fresh = Doc(TITLE, TEXT, published=NOW - timedelta(days=6), now=NOW)
    old = Doc(TITLE, TEXT, published=NOW - timedelta(days=9), now=NOW)
    undated = Doc(TITLE, TEXT, now=NOW)
    assert evaluate(rules, fresh).matched
    assert evaluate(rules, old) == Match(matched=False, reason="发布于 9 天前，超出 7 天")
    assert evaluate(rules, undated).matched


def test_min_length_counts_non_space_characters():
    rules = parse_rules("二十大", min_length=10)
    assert evaluate(rules, Doc("", "学习 二十大 精神 很重要 的")).matched       # 12 characters
    short = evaluate(rules, Doc(TITLE, "学习 二十大 精神"))
    assert short == Match(matched=False, reason="正文 7 字，少于 10 字")


@pytest.mark.parametrize("kwargs, resource", [
    ({"max_age_days": 0}, "max_age_days"),
    ({"max_age_days": -3}, "max_age_days"),
    ({"max_age_days": 1.5}, "max_age_days"),
    ({"min_length": -1}, "min_length"),
    ({"sources": ("",)}, "sources"),
    ({"sources": (None,)}, "sources"),
])
def test_invalid_filters(kwargs, resource):
    with pytest.raises(RuleError) as info:
        parse_rules("二十大", **kwargs)
    assert info.value.resource == resource


def test_match_accepts_parsed_rules():
    rules = parse_rules("二十大 -人民币")
    assert isinstance(rules, Rules)
    assert match(rules, SPORTS_TITLE, SPORTS_TEXT).matched
    assert not match(rules, TITLE, TEXT).matched
    assert match(ColumnRules(include=("二十大",)), TITLE, TEXT).matched


def test_traditional_and_full_width_terms():
    rules = parse_rules("黨的二十大 ＡＩ")
    result = evaluate(rules, Doc(TITLE, TEXT))
    assert result.matched and result.terms == ("黨的二十大", "ＡＩ")


def test_one_source_given_bare():
    rules = parse_rules("二十大", sources="新华网")
    assert rules.sources == frozenset({"新华网"})
    assert evaluate(rules, Doc(TITLE, TEXT, source_name="新华网")).matched


@pytest.mark.parametrize("rule", ["(" * 2000 + "学习" + ")" * 2000, "NOT " * 20000 + "学习",
                                  "(" * 2000, "学习 AND " + "NOT (" * 40 + "a" + ")" * 40])
def test_deep_nesting_is_refused_with_its_position(rule):
    with pytest.raises(RuleError) as caught:
        parse(rule)
    assert "嵌套超过" in caught.value.message and caught.value.position is not None


def test_reasonable_nesting_still_parses():
    rule = "(" * 10 + "学习 AND NOT (考试 OR NOT 党建)" + ")" * 10
    assert parse(rule) is not None
