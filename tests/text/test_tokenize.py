import pytest

from zhuanlan.text.tokenize import terms, tokenize, tokenize_for_search, tokenize_spans

WHOLE = ["中国式现代化", "新质生产力", "二十大", "党的二十大", "二十届三中全会",
         "习近平新时代中国特色社会主义思想", "高质量发展", "全过程人民民主", "两个确立",
         "两个维护", "主题教育", "党纪学习教育", "三会一课", "全面从严治党"]


def test_terms_file_has_the_field_terms():
    loaded = terms()
    assert len(loaded) >= 60
    assert set(WHOLE) <= set(loaded)
    assert len(set(loaded)) == len(loaded), "duplicate terms in terms.txt"
    assert all(not t.startswith("#") and t == t.strip() for t in loaded)


@pytest.mark.parametrize("term", WHOLE)
def test_terms_stay_whole_in_a_sentence(term):
    assert term in tokenize(f"我们要深入学习，{term}，并且认真落实。")


def test_sentence():
    text = "深入学习贯彻党的二十大精神，推进中国式现代化，发展新质生产力。"
    assert tokenize(text) == ["深入", "学习", "贯彻", "党的二十大", "精神", "推进",
                              "中国式现代化", "发展", "新质生产力"]


def test_punctuation_and_whitespace_dropped():
    tokens = tokenize("学习， 贯彻。\n「二十大」！ GDP增长5.2%……")
    assert all(any(ch.isalnum() for ch in t) for t in tokens)
    assert {"学习", "贯彻", "二十大", "GDP", "增长"} <= set(tokens)
    assert "，" not in tokens and " " not in tokens and "\n" not in tokens


def test_empty():
    assert tokenize("") == []
    assert tokenize("，。！ ") == []
    assert tokenize_for_search("") == []


def test_for_search_yields_parts_and_whole():
    tokens = tokenize_for_search("推进中国式现代化")
    assert {"中国式现代化", "现代化", "中国"} <= set(tokens)
    assert {"二十大", "党的二十大"} <= set(tokenize_for_search("党的二十大"))


def test_spans_are_character_offsets():
    text = "学习 二十大，GDP"
    for word, start, end in tokenize_spans(text):
        assert text[start:end] == word
    assert [w for w, _, _ in tokenize_spans(text)] == ["学习", "二十大", "GDP"]
