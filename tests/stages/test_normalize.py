import unicodedata

import pytest

from zhuanlan.model import CleanedText
from zhuanlan.text.normalize import (PINYIN_REMOVED, TRADITIONAL_CONVERTED, clean_text,
                                     remove_pinyin)


@pytest.mark.parametrize("text, expected, flags", [
    # Pinyin artefacts after characters, ASCII and full-width parentheses.
    ("學(xué)習(xí)貫(guàn)徹", "学习贯彻", {PINYIN_REMOVED, TRADITIONAL_CONVERTED}),
    ("学(xué)习(xí)", "学习", {PINYIN_REMOVED}),
    ("學（xué）習（xí）", "学习", {PINYIN_REMOVED, TRADITIONAL_CONVERTED}),
    ("学习(xuéxí)二十大", "学习二十大", {PINYIN_REMOVED}),
    ("绿(lǜ)色", "绿色", {PINYIN_REMOVED}),
    ("学(xue2)习(xi2)", "学习", {PINYIN_REMOVED}),
    ("学( xué )习", "学习", {PINYIN_REMOVED}),
    # Toneless pinyin is removed only in a run of annotations.
    ("学(xue)习(xi)", "学习", {PINYIN_REMOVED}),
    ("中国(china)发布", "中国(china)发布", set()),
    # Real parentheticals stay.
    ("国内生产总值(GDP)增长5%", "国内生产总值(GDP)增长5%", set()),
    ("《行动方案(2024)》", "《行动方案(2024)》", set()),
    ("人工智能(AI)赋能", "人工智能(AI)赋能", set()),
    ("会议(扩大)召开", "会议(扩大)召开", set()),
    ("see (xué) here", "see (xué) here", set()),
    ("中央企业(含子企业)", "中央企业(含子企业)", set()),
    ("这是(hello world)示例", "这是(hello world)示例", set()),
    # Traditional → Simplified.
    ("黨的二十大精神", "党的二十大精神", {TRADITIONAL_CONVERTED}),
    ("台灣的發展與頭髮", "台湾的发展与头发", {TRADITIONAL_CONVERTED}),
    # Simplified text that OpenCC must leave alone.
    ("著名的乾隆年间，成效显著", "著名的乾隆年间，成效显著", set()),
    # Full-width digits and letters → half-width; Chinese punctuation stays.
    ("２０２４年ＡＩ与ｅ政务，", "2024年AI与e政务，", set()),
])
def test_clean_text(text, expected, flags):
    cleaned = clean_text(text)
    assert isinstance(cleaned, CleanedText)
    assert cleaned.text == expected
    assert cleaned.flags == frozenset(flags)


def test_whitespace():
    text = ("　　第一段，文字\u3000\u3000之间  有\t空格。  \r\n"
            "\n\n\n"
            "  第二段\u00a0内容 "
            "\u2028第三段")
    assert clean_text(text).text == "第一段，文字 之间 有 空格。\n\n第二段 内容\n第三段"


def test_invisible_and_control_characters_removed():
    assert clean_text("学\u200b习\ufeff二十\x00大").text == "学习二十大"


def test_nfc():
    decomposed = unicodedata.normalize("NFD", "学(xué)习(xí)")
    assert decomposed != "学(xué)习(xí)"
    assert clean_text(decomposed).text == "学习"


def test_empty():
    assert clean_text("") == CleanedText("")
    assert clean_text("   \n\n ").text == ""


def test_idempotent():
    once = clean_text("學(xué)習 ２０２４\n\n\n貫徹").text
    assert clean_text(once) == CleanedText(once)


def test_remove_pinyin_reports():
    assert remove_pinyin("没有括号") == ("没有括号", False)
    assert remove_pinyin("学(xué)") == ("学", True)
