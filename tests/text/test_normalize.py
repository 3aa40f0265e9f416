import unicodedata
from pathlib import Path

import pytest

from zhuanlan.model import CleanedText
from zhuanlan.text.normalize import (
    MOJIBAKE,
    MOJIBAKE_REPAIRED,
    PINYIN_REMOVED,
    TRADITIONAL_CONVERTED,
    clean_text,
    remove_pinyin,
)
from zhuanlan.text.widths import normalize_spaces, remove_invisible, to_half_width

CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "corpus" / "extraction" / "index.jsonl"


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
    ("增长５．２％，ＧＤＰ达１２６万亿元；（一）！？", "增长5．2％，GDP达126万亿元；（一）！？", set()),
    ("比分５:３，时间10：30", "比分5:3，时间10：30", set()),
    # More pinyin: ü, neutral tone, a run across a sentence, with a Traditional text.
    ("女(nǚ)儿(ér)", "女儿", {PINYIN_REMOVED}),
    ("的(de)确(què)", "的确", {PINYIN_REMOVED}),
    ("黨(dǎng)的(de)領(lǐng)導(dǎo)", "党的领导", {PINYIN_REMOVED, TRADITIONAL_CONVERTED}),
    ("学习（xuéxí），贯彻（guànchè）。", "学习，贯彻。", {PINYIN_REMOVED}),
    ("采用(PPP)模式和(BOT)方式", "采用(PPP)模式和(BOT)方式", set()),
    ("第(1)条", "第(1)条", set()),
    # Mojibake first, then the rest of the steps on the repaired text.
    ("ÖÐ¹ú£¨ÂÛ£©", "中国（论）", {MOJIBAKE, MOJIBAKE_REPAIRED}),
    ("鍏ㄩ潰鎺ㄨ繘", "全面推进", {MOJIBAKE, MOJIBAKE_REPAIRED}),
    ("原文锟斤拷锟斤拷", "原文锟斤拷锟斤拷", {MOJIBAKE}),
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
    assert clean_text("\ufeff学\u200e习\u200f，\u2060贯\u00ad彻").text == "学习，贯彻"


@pytest.mark.parametrize("text, expected", [
    ("２０２４", "2024"), ("ＡＩ", "AI"), ("ｅ政务", "e政务"), ("ＸＩＮＨＵＡ　ｎｅｔ", "XINHUA　net"),
    ("，。：；！？（）", "，。：；！？（）"), ("％＋－＝", "％＋－＝"), ("５Ｇ", "5G"),
])
def test_to_half_width(text, expected):
    assert to_half_width(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("a\u00a0\u00a0b", "a b"), ("a\u3000\u3000b", "a b"), ("　　段首", "段首"),
    ("a \t b", "a b"), ("a\r\nb\rc", "a\nb\nc"), ("a\n\n\n\nb", "a\n\nb"),
    ("a\u2028b\u2029c", "a\nb\nc"), (" \n a \n ", "a"),
])
def test_normalize_spaces(text, expected):
    assert normalize_spaces(text) == expected


def test_remove_invisible_keeps_emoji_joiner_and_drops_lone_surrogates():
    assert remove_invisible("👨\u200d👩") == "👨\u200d👩"
    assert remove_invisible("中\ud800国\x07") == "中国"


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


def test_clean_text_never_raises_on_odd_input():
    for text in ("\ud800\udcff", "\x00" * 5, "(" * 100 + "学", "锟" * 50, "\ufffd" * 50,
                 "Ö" * 101, "\ue000" * 30):
        assert isinstance(clean_text(text), CleanedText)
