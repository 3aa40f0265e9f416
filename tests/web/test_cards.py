"""A chat payload drawn as a card (``web.cards``): title, text with the platforms'
markdown, buttons and links found in each platform's shape; everything else escaped."""

from __future__ import annotations

from zhuanlan.web.cards import draw, markdown_html


def test_the_markdown_the_platforms_send_is_drawn_and_the_rest_escaped():
    html = str(markdown_html(
        "## 标题\n> 编者按：好\n**1.** [文章](https://a.example/1?x=1&y=2)\n"
        '<font color="comment">2026年</font>\n<script>alert(1)</script>\n'
        "[坏链接](javascript:alert(1))"))
    assert '<div class="md-h">标题</div>' in html
    assert "<blockquote>编者按：好</blockquote>" in html
    assert "<strong>1.</strong>" in html
    assert '<a href="https://a.example/1?x=1&amp;y=2"' in html
    assert '<span class="md-comment">2026年</span>' in html
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert 'href="javascript' not in html


def test_each_platform_shape_gives_title_text_and_buttons():
    wecom_card = draw({"msgtype": "textcard", "textcard": {
        "title": "第1期", "url": "https://x.example/a", "btntxt": "阅读本期",
        "description": '<div class="gray">日期</div><div class="normal">1. 文章</div>'}})
    assert wecom_card.title == "第1期" and wecom_card.buttons == [("阅读本期", "https://x.example/a")]
    assert '<div class="md-gray">日期</div>' in str(wecom_card.blocks[0])
    feishu_card = draw({"msg_type": "interactive", "card": {
        "header": {"title": {"tag": "plain_text", "content": "第2期"}},
        "elements": [{"tag": "div", "text": {"tag": "lark_md", "content": "1. 文章\n……等 3 篇"}},
                     {"tag": "action", "actions": [{"tag": "button", "url": "https://y.example",
                                                    "text": {"tag": "plain_text",
                                                             "content": "阅读本期"}}]}]}})
    assert feishu_card.title == "第2期" and feishu_card.cut
    assert feishu_card.buttons == [("阅读本期", "https://y.example")]
    post = draw({"msg_type": "post", "content": {"post": {"zh_cn": {
        "title": "第3期", "content": [[{"tag": "text", "text": "1. "},
                                       {"tag": "a", "text": "文章", "href": "https://z.example"}]]}}}})
    assert post.title == "第3期"
    assert '<a href="https://z.example"' in str(post.blocks[0])
    assert post.json_bytes > 0 and post.text_bytes == len("1. [文章](https://z.example)".encode())
