import re

from zhuanlan.dedup import content_hash, fingerprint_text

BODY = ("党的二十大是在全党全国各族人民迈上全面建设社会主义现代化国家新征程的关键时刻召开的"
        "一次十分重要的大会。学习宣传贯彻党的二十大精神，是当前和今后一个时期的首要政治任务。")


def test_is_sha256_hex():
    assert re.fullmatch(r"[0-9a-f]{64}", content_hash("t", BODY))


def test_whitespace_punctuation_and_line_breaks_do_not_matter():
    variant = ("　　党的二十大是在全党全国各族人民迈上全面建设社会主义现代化国家新征程的关键时刻召开的\n"
               "一次十分重要的大会.  学习宣传贯彻“党的二十大精神”, 是当前和今后一个时期的首要政治任务!\r\n")
    assert content_hash("标题", BODY) == content_hash("另一个标题", variant)


def test_width_and_case_do_not_matter():
    assert content_hash("", "２０２４年ＧＤＰ增长") == content_hash("", "2024年gdp增长")


def test_different_words_differ():
    assert content_hash("t", BODY) != content_hash("t", BODY.replace("十分重要", "非常重要"))


def test_empty_body_uses_title():
    assert content_hash("学习二十大", "") == content_hash("学习 二十大！", "  \n ")
    assert content_hash("学习二十大", "") != content_hash("学习三中全会", "")
    # The title is ignored when there is a body.
    assert content_hash("甲", BODY) == content_hash("乙", BODY)


def test_fingerprint_text():
    assert fingerprint_text("A b，C。\n D！") == "abcd"
    assert fingerprint_text("") == ""
