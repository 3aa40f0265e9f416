"""The article body as sanitised HTML: our paragraphs, our images, nothing from outside."""

from __future__ import annotations

import re

from zhuanlan.publish.article_html import Figure, article_html, sanitize

TEXT = "第一段，会议召开。\n\n第二段，代表发言。\n图为会议现场。\n第四段，会议闭幕。"


def _srcs(html: str) -> list[str]:
    return re.findall(r'src="([^"]*)"', html)


def test_paragraphs_only_without_images():
    assert article_html("甲\n\n  乙  \n") == "<p>甲</p>\n<p>乙</p>"


def test_figure_whose_caption_is_a_line_takes_its_place():
    html = article_html(TEXT, [Figure(7, "图为会议现场。", 640, 480)])
    assert html.count("图为会议现场。") == 2        # alt and figcaption, not a <p> too
    assert "<p>图为会议现场。</p>" not in html
    assert html.index("第二段") < html.index('src="/img/7"') < html.index("第四段")
    assert 'width="640" height="480"' in html


def test_unanchored_figures_are_spread_in_their_order():
    html = article_html("一\n二\n三\n四", [Figure(1), Figure(2)])
    blocks = re.findall(r"<p>(.)</p>|/img/(\d)", html)
    order = [p or f"img{i}" for p, i in blocks]
    assert order == ["一", "img1", "二", "三", "img2", "四"]


def test_unanchored_figures_keep_order_around_anchored_ones():
    html = article_html(TEXT, [Figure(1, "无此行"), Figure(2, "图为会议现场。"), Figure(3)])
    assert html.index("/img/1") < html.index("/img/2") < html.index("/img/3") \
        < html.index("第四段")
    assert html.index("第二段") < html.index("/img/1")


def test_images_without_text():
    assert _srcs(article_html("", [Figure(4, "图")])) == ["/img/4"]


def _tags(html: str) -> list[tuple[str, dict]]:
    from html.parser import HTMLParser

    found: list[tuple[str, dict]] = []

    class Collect(HTMLParser):
        def handle_starttag(self, tag, attrs):
            found.append((tag, dict(attrs)))

    Collect().feed(html)
    return found


def test_hostile_captions_and_text_are_escaped():
    hostile = '"><script>alert(1)</script><img src=x onerror=alert(2)>'
    html = article_html(f"正文 <b onclick='x()'>粗</b>\n{hostile}",
                        [Figure(9, hostile), Figure(10, "javascript:alert(3)")])
    tags = _tags(html)
    assert {t for t, _ in tags} == {"p", "figure", "img", "figcaption"}
    assert [a["src"] for t, a in tags if t == "img"] == ["/img/9", "/img/10"]
    for _tag, attrs in tags:
        assert set(attrs) <= {"src", "alt", "width", "height", "loading", "decoding"}
    assert "&lt;script&gt;" in html and "<script" not in html


def test_no_external_url_can_survive():
    html = sanitize('<p>x</p><img src="http://outlet.example/a.jpg"><img src="//cdn.example/b.png">'
                    '<img src="data:image/png;base64,AAAA"><img src="/img/3?x=http://e">'
                    '<a href="http://e.example">链接</a><iframe src="http://e.example"></iframe>'
                    '<img src="/img/5" srcset="http://e.example/c.jpg 2x" style="x">')
    assert "http" not in html and "//" not in html and "data:" not in html
    assert _srcs(html) == ["/img/5"]


def test_allowed_tags_pass():
    fragment = ("<h2>小标题</h2><p><strong>强</strong><em>调</em><br></p><blockquote>引</blockquote>"
                "<ul><li>一</li></ul><ol><li>二</li></ol>")
    assert sanitize(fragment) == fragment
