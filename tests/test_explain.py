"""Error texts as people read them: Chinese first, the original folded."""

from __future__ import annotations

import re

import pytest

from zhuanlan.explain import explain


@pytest.mark.parametrize("message, kind, expected", [
    # The message the issue quotes: robots.txt could not be fetched because DNS failed.
    ("robots.txt unreachable (connect: [Errno -2] Name or service not known): "
     "not fetching the site for now", "connect", "域名无法解析"),
    ("无法连接：[Errno 111] Connection refused", None, "拒绝连接"),
    ("server answered HTTP 404", "http_status", "页面不存在"),
    ("server answered HTTP 503", "http_status", "服务器内部错误"),
    ("no complete answer within 20 s", "timeout", "请求超时"),
    ("企业微信拒绝了消息：errcode=93000 errmsg=invalid webhook url", None, "Webhook 地址无效"),
    ("[310000] keywords not in content", None, "关键词"),
    ("TLS failed at https://x.example/: [SSL: CERTIFICATE_VERIFY_FAILED]", "tls", "证书"),
    ("redirect loop at https://x.example/a", "too_many_redirects", "重定向次数过多"),
])
def test_english_errors_read_in_chinese_with_the_original_kept(message, kind, expected):
    e = explain(message, kind)
    assert expected in e.text
    assert e.detail == message
    # Only the names people know stay in Latin letters.
    assert not re.search(r"[A-Za-z]", re.sub(r"HTTPS?|Webhook|DNS|IP|https?", "", e.text))


def test_an_unknown_english_error_gets_a_chinese_sentence_and_the_text_folded():
    e = explain("something odd happened in the parser", None)
    assert e.text == "操作失败，原因见技术细节"
    assert e.detail == "something odd happened in the parser"


def test_our_own_chinese_prefix_is_kept_as_the_sentence():
    e = explain("读取失败：unexpected token at line 3 column 7", None)
    assert e.text == "读取失败"
    assert e.detail.startswith("读取失败：unexpected")


def test_chinese_text_passes_unchanged_with_nothing_to_fold():
    e = explain("列表页中没有找到文章链接（http://www.people.com.cn/list.html）", None)
    assert e.text == "列表页中没有找到文章链接（http://www.people.com.cn/list.html）"
    assert e.detail == ""


def test_no_message_gives_the_kind_or_nothing():
    assert explain(None, "timeout").text.startswith("请求超时")
    assert explain("", None).text == ""
