import pytest

from zhuanlan.errors import RuleError
from zhuanlan.model import ColumnRules, Match
from zhuanlan.selection import match, parse_keywords, validate_rules
from zhuanlan.selection.rules import MAX_KEYWORD_CHARS


@pytest.mark.parametrize("text, expected", [
    ("二十大,学习", ("二十大", "学习")),
    ("二十大，中国式现代化、新质生产力", ("二十大", "中国式现代化", "新质生产力")),
    ("二十大;学习；党建\n主题教育\r\n三会一课", ("二十大", "学习", "党建", "主题教育", "三会一课")),
    ("  二十大 ， ，、 学习  ", ("二十大", "学习")),
    ("二十大,学习,二十大", ("二十大", "学习")),
    ("GDP, gdp, ＧＤＰ", ("GDP",)),
    ("两个 确立", ("两个 确立",)),
    ("", ()),
    ("，、；\n", ()),
])
def test_parse_keywords(text, expected):
    assert parse_keywords(text) == expected


def test_validate_rules():
    rules = validate_rules("二十大，中国式现代化", "娱乐、体育")
    assert rules == ColumnRules(include=("二十大", "中国式现代化"), exclude=("娱乐", "体育"))
    assert validate_rules("二十大", None) == ColumnRules(include=("二十大",))


@pytest.mark.parametrize("include, exclude, resource", [
    ("", "", "include"),
    ("，、", "娱乐", "include"),
    ("二十大," + "长" * (MAX_KEYWORD_CHARS + 1), "", "include"),
    ("二十大", "长" * (MAX_KEYWORD_CHARS + 1), "exclude"),
    ("二十大,……", "", "include"),
    ("二十大,学习", "学习", "exclude"),
    (",".join(f"词{i}" for i in range(201)), "", "include"),
])
def test_invalid_rules(include, exclude, resource):
    with pytest.raises(RuleError) as info:
        validate_rules(include, exclude)
    assert info.value.resource == resource


def test_keyword_of_max_length_is_fine():
    validate_rules("长" * MAX_KEYWORD_CHARS)


TITLE = "深入学习贯彻党的二十大精神 推进中国式现代化"
TEXT = ("党的二十大报告指出，高质量发展是全面建设社会主义现代化国家的首要任务。"
        "要加快培育新质生产力，学习二十大精神。召开二十大会议。人民币汇率保持稳定。"
        "党员干部要带头学习。AI赋能制造业。")

# (include, exclude, matched, terms, score, reason starts with)
TABLE = [
    # Whole words and field terms.
    ("中国式现代化", "", True, ("中国式现代化",), 3, "include"),
    ("新质生产力", "", True, ("新质生产力",), 1, "include"),
    # 二十大 inside the term 党的二十大 (title and text) and alone twice in the text.
    ("二十大", "", True, ("二十大",), 3 * 1 + 3, "include"),
    ("党的二十大", "", True, ("党的二十大",), 3 * 1 + 1, "include"),
    # A part of a field term: 现代化 in 中国式现代化, 生产力 in 新质生产力.
    ("现代化", "", True, ("现代化",), 3 * 1 + 1, "include"),
    ("生产力", "", True, ("生产力",), 1, "include"),
    # Two keywords add up.
    ("中国式现代化，新质生产力", "", True, ("中国式现代化", "新质生产力"), 3 + 1, "include"),
    # Straddling a word boundary is refused: 大会 across 二十大|会议.
    ("大会", "", False, (), 0, "no include term"),
    # A two-character keyword inside an ordinary three-character word: 人民 in 人民币.
    ("人民", "", False, (), 0, "no include term"),
    # A one-character keyword must be a word of its own: 党 in 党员 / 党的二十大.
    ("党", "", False, (), 0, "no include term"),
    # Latin keywords must be whole words, case-insensitive.
    ("ai", "", True, ("ai",), 1, "include"),
    ("manu", "", False, (), 0, "no include term"),
    # Traditional keyword matches Simplified text.
    ("黨的二十大", "", True, ("黨的二十大",), 4, "include"),
    # Exclusion wins, from title or text.
    ("二十大", "人民币", False, (), 0, "excluded: 人民币"),
    ("二十大", "推进", False, (), 0, "excluded: 推进"),
    ("二十大", "体育", True, ("二十大",), 6, "include"),
    # Only unmatched keywords.
    ("体育,娱乐", "", False, (), 0, "no include term"),
]


@pytest.mark.parametrize("include, exclude, matched, terms, score, reason", TABLE)
def test_match_table(include, exclude, matched, terms, score, reason):
    rules = validate_rules(include, exclude)
    result = match(rules, TITLE, TEXT)
    assert isinstance(result, Match)
    assert result.matched is matched, result.reason
    assert result.terms == terms
    assert result.score == score
    assert result.reason.startswith(reason)


def test_learning_keyword_counts():
    # 学习 in the title (学习|贯彻), inside the term 党纪学习教育, and as a word.
    rules = validate_rules("学习")
    result = match(rules, "深入学习贯彻", "开展党纪学习教育。大家要学习。")
    assert result.matched and result.score == 3 * 1 + 2


def test_reason_names_where_terms_were_found():
    result = match(validate_rules("二十大"), TITLE, TEXT)
    assert result.reason == "include: 二十大 (title 1, text 3)"


def test_empty_inputs():
    rules = validate_rules("二十大")
    assert match(rules, "", "") == Match(matched=False, reason="no include term")
    assert match(ColumnRules(), TITLE, TEXT).matched is False


def test_text_is_cleaned_before_matching():
    # Full-width letters, Traditional characters and pinyin artefacts in the article.
    rules = validate_rules("GDP,学习")
    result = match(rules, "", "ＧＤＰ增長。學(xué)習(xí)很重要。")
    assert result.matched and result.terms == ("GDP", "学习")
