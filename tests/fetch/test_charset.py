"""Charset detection: unit cases, then the same pages served by a real local server."""

from __future__ import annotations

import codecs

import pytest

from zhuanlan.fetch import Fetcher, decode_body, detect_encoding
from zhuanlan.fetch.charset import normalize_label

pytestmark = pytest.mark.usefixtures("local_network_only")

# 镕, 喆, 堃 are outside GB2312: a strict gb2312 decode of these pages fails.
TEXT = "朱镕基、王喆与张堃出席会议。人民网北京5月1日电 中国式现代化建设稳步推进。"


def page(meta: str = "", body: str = TEXT) -> str:
    return (f"<!DOCTYPE html><html><head>{meta}<title>新闻</title></head>"
            f"<body><p>{body}</p></body></html>")


GB2312_META = '<meta http-equiv="Content-Type" content="text/html; charset=gb2312">'


def test_rare_characters_are_not_in_gb2312():
    with pytest.raises(UnicodeDecodeError):
        page(GB2312_META).encode("gb18030").decode("gb2312")


@pytest.mark.parametrize("label", ["gb2312", "GBK", "x-gbk", "GB_2312-80", "cp936",
                                   "gb18030", '"gb2312"'])
def test_every_gb_label_reads_as_gb18030(label):
    assert normalize_label(label) == "gb18030"


def test_unknown_label_is_ignored():
    assert normalize_label("no-such-charset") is None


def test_gbk_page_declared_gb2312_in_meta_without_header_charset():
    data = page(GB2312_META).encode("gbk")
    text, encoding = decode_body(data, "text/html")
    assert encoding == "gb18030"
    assert TEXT in text


def test_meta_charset_attribute():
    data = page('<meta charset="GBK">').encode("gb18030")
    assert decode_body(data, None) == (page('<meta charset="GBK">'), "gb18030")


def test_xml_declaration():
    xml = f'<?xml version="1.0" encoding="gb2312"?><rss><title>{TEXT}</title></rss>'
    text, encoding = decode_body(xml.encode("gb18030"), "application/rss+xml")
    assert encoding == "gb18030" and TEXT in text


def test_utf8_with_header():
    text, encoding = decode_body(page().encode("utf-8"), "text/html; charset=UTF-8")
    assert (encoding, TEXT in text) == ("utf-8", True)


def test_utf8_bom_is_used_and_dropped():
    data = codecs.BOM_UTF8 + page(GB2312_META).encode("utf-8")
    text, encoding = decode_body(data, "text/html; charset=gbk")
    assert encoding == "utf-8-sig"
    assert text.startswith("<!DOCTYPE") and TEXT in text


def test_utf16_bom():
    data = codecs.BOM_UTF16_LE + page().encode("utf-16-le")
    text, encoding = decode_body(data, "text/html")
    assert encoding == "utf-16" and text.startswith("<!DOCTYPE") and TEXT in text


def test_header_says_utf8_but_body_is_gbk():
    data = page('<meta charset="utf-8">').encode("gbk")
    text, encoding = decode_body(data, "text/html; charset=utf-8")
    assert encoding == "gb18030" and TEXT in text


def test_meta_says_gb2312_but_body_is_utf8():
    data = page(GB2312_META).encode("utf-8")
    text, encoding = decode_body(data, "text/html")
    assert encoding == "utf-8" and TEXT in text


def test_server_default_latin1_header_does_not_hide_the_meta():
    data = page(GB2312_META).encode("gbk")
    text, encoding = decode_body(data, "text/html; charset=ISO-8859-1")
    assert encoding == "gb18030" and TEXT in text


def test_no_declaration_at_all_is_detected():
    data = page().encode("gb18030")
    text, encoding = decode_body(data, None)
    assert encoding == "gb18030" and TEXT in text


def test_ascii_page_keeps_declared_charset():
    assert detect_encoding(b"<html>hello</html>", "text/html; charset=gbk") == "gb18030"
    assert detect_encoding(b"<html>hello</html>", None) == "utf-8"


def test_garbage_never_raises():
    data = bytes(range(256)) * 8
    text, encoding = decode_body(data, "text/html; charset=utf-8")
    assert isinstance(text, str) and encoding
    decode_body(b"", None)
    decode_body(b"\xff\xfe\x00", "text/html; charset=bogus")


def test_fetched_gbk_page_without_header_charset(http_server):
    http_server.route("/gbk", page(GB2312_META).encode("gbk"),
                      headers={"Content-Type": "text/html"})
    http_server.route("/utf8", page().encode("utf-8"),
                      headers={"Content-Type": "text/html; charset=utf-8"})
    http_server.route("/bom", codecs.BOM_UTF8 + page().encode("utf-8"),
                      headers={"Content-Type": "text/html"})
    http_server.route("/wrong", page('<meta charset="utf-8">').encode("gb18030"),
                      headers={"Content-Type": "text/html; charset=utf-8"})
    with Fetcher(allow_private=[f"127.0.0.1:{http_server.port}"]) as fetcher:
        results = {p: fetcher.get(http_server.url(p)) for p in ("/gbk", "/utf8", "/bom", "/wrong")}
    assert {p: r.encoding for p, r in results.items()} == {
        "/gbk": "gb18030", "/utf8": "utf-8", "/bom": "utf-8-sig", "/wrong": "gb18030"}
    for result in results.values():
        assert TEXT in result.text
        assert not result.text.startswith("\ufeff")


def test_undeclared_gbk_page_with_a_stray_broken_byte_is_still_gbk():
    body = ("<html><body><p>" + "《太行山上》主要讲述八路军总司令朱德率领部队东渡黄河，挺进抗日前线。" * 40
            + "</p></body></html>").encode("gb18030")
    broken = body[:300] + b"\xc7" + body[300:]       # one lead byte without its trail
    text, encoding = decode_body(broken, "text/html")
    assert encoding == "gb18030"
    assert "八路军总司令朱德" in text and text.count("\ufffd") <= 1
