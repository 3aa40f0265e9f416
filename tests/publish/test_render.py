"""Renderers: the e-mail (HTML + text) and the Atom feed."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from html.parser import HTMLParser

import pytest

from zhuanlan.model import IssueItemView, IssueView
from zhuanlan.publish.render import prepare_email, render_atom, render_email

UTC = UTC
ATOM = "{http://www.w3.org/2005/Atom}"


def _issue(number: int = 3, **kw) -> IssueView:
    items = (
        IssueItemView(title="深入学习<script>alert('x')</script>二十大精神",
                      web_url="http://zl.example.com/r/101?a=1&b=2",
                      original_url="http://www.news.cn/politics/a.html",
                      source_name="新华社", published=datetime(2026, 11, 20, 1, 0, tzinfo=UTC),
                      summary="以中国式现代化全面推进强国建设 & 民族复兴。"),
        IssueItemView(title="因地制宜发展新质生产力", web_url="http://zl.example.com/r/102",
                      original_url="http://paper.people.com.cn/b.html", source_name="人民日报",
                      published=None, summary=""),
        IssueItemView(title="不安全的链接", web_url="javascript:alert(1)",
                      original_url="data:text/html,<b>x</b>", source_name="未知"),
    )
    base = dict(column_name="学习二十大", column_slug="xuexi-ershida", number=number,
                title=f"第{number}期", editor_note="本期编者按第一段。\n\n第二段 <b>不加粗</b>。",
                web_url=f"http://zl.example.com/c/xuexi-ershida/{number}",
                published_at=datetime(2026, 11, 23, 1, 0, tzinfo=UTC), items=items)
    base.update(kw)
    return IssueView(**base)


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []
        self.scripts = 0

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self.hrefs.append(dict(attrs).get("href"))
        if tag == "script":
            self.scripts += 1


def test_subject():
    assert render_email(_issue()).subject == "学习二十大 · 第3期"


def test_subject_stays_on_one_line():
    assert "\n" not in render_email(_issue(column_name="学习\n二十大")).subject


def test_html_escapes_and_links():
    mail = render_email(_issue(), unsubscribe_url="https://zl.example.com/u/t?x=1&y=2")
    html = mail.html
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    assert "<b>不加粗</b>" not in html and "&lt;b&gt;不加粗&lt;/b&gt;" in html
    parser = _Links()
    parser.feed(html)
    assert parser.scripts == 0
    assert "http://zl.example.com/r/101?a=1&b=2" in parser.hrefs      # unescaped by the parser
    assert "http://www.news.cn/politics/a.html" in parser.hrefs
    assert "https://zl.example.com/u/t?x=1&y=2" in parser.hrefs
    assert "http://zl.example.com/c/xuexi-ershida/3" in parser.hrefs
    assert not any(h.startswith(("javascript:", "data:")) for h in parser.hrefs)
    assert "不安全的链接" in html                         # shown, just not linked
    assert html.count("阅读原文") == 2
    assert "编者按" in html and "本期编者按第一段。" in html
    assert "新华社" in html and "2026年11月20日" in html
    assert "以中国式现代化全面推进强国建设 &amp; 民族复兴。" in html
    # Nothing loads from elsewhere (intranet clients): no src, no stylesheet, no image.
    assert " src=" not in html and "<img" not in html and "<link" not in html
    assert "url(" not in html


def test_text_part():
    mail = render_email(_issue(), unsubscribe_url="https://zl.example.com/u/t")
    text = mail.text
    assert "学习二十大 · 第3期" in text
    assert "【编者按】" in text and "第二段 <b>不加粗</b>。" in text   # plain text is not escaped
    assert "1. 深入学习<script>alert('x')</script>二十大精神" in text
    assert "阅读原文：http://www.news.cn/politics/a.html" in text
    assert "阅读：http://zl.example.com/r/101?a=1&b=2" in text
    assert "来源：新华社　2026年11月20日" in text
    assert "javascript:" not in text
    assert text.rstrip().endswith("退订本专栏：https://zl.example.com/u/t")
    assert "&amp;" not in text


def test_no_unsubscribe_without_url():
    mail = render_email(_issue())
    assert "退订" not in mail.html and "退订" not in mail.text
    assert "zl:recipient" not in mail.html and "zl:recipient" not in mail.text


def test_prepared_once_personalised_many():
    prepared = prepare_email(_issue())
    a = prepared.for_recipient("https://zl.example.com/u/aaa")
    b = prepared.for_recipient("https://zl.example.com/u/bbb\"><script>")
    assert "u/aaa" in a.html and "u/aaa" not in b.html
    assert "<script>" not in b.html
    assert a.html.replace("aaa", "X") == b.html.replace("bbb&#34;&gt;&lt;script&gt;", "X")
    assert a == render_email(_issue(), unsubscribe_url="https://zl.example.com/u/aaa")


def test_marker_in_content_cannot_steal_the_slot():
    issue = _issue(editor_note="\u2063zl:recipient\u2063 <!--zl:recipient-->")
    mail = render_email(issue, unsubscribe_url="https://zl.example.com/u/t")
    assert mail.text.count("退订本专栏") == 1
    assert mail.html.count("退订本专栏") == 1


def test_naive_date_is_refused():
    with pytest.raises(ValueError):
        render_email(_issue(published_at=datetime(2026, 11, 23, 9, 0)))


def _atom(issues, **kw):
    args = dict(column_name="学习二十大", column_slug="xuexi-ershida",
                feed_url="http://zl.example.com:8000/c/xuexi-ershida.atom",
                site_url="http://zl.example.com:8000/c/xuexi-ershida", issues=issues,
                updated=datetime(2026, 11, 30, 1, 0, tzinfo=UTC))
    args.update(kw)
    return render_atom(**args)


def test_atom_is_well_formed_with_entries():
    issues = [_issue(2, published_at=datetime(2026, 11, 16, 1, 0, tzinfo=UTC)), _issue(3)]
    xml = _atom(issues)
    assert xml.startswith('<?xml version="1.0" encoding="utf-8"?>')
    root = ET.fromstring(xml.encode("utf-8"))
    assert root.tag == f"{ATOM}feed"
    assert root.find(f"{ATOM}title").text == "学习二十大"
    assert root.find(f"{ATOM}updated").text == "2026-11-30T01:00:00Z"
    assert root.find(f"{ATOM}id").text.startswith("urn:uuid:")
    assert root.find(f"{ATOM}author/{ATOM}name").text
    self_link = [link for link in root.findall(f"{ATOM}link") if link.get("rel") == "self"][0]
    assert self_link.get("href") == "http://zl.example.com:8000/c/xuexi-ershida.atom"
    entries = root.findall(f"{ATOM}entry")
    assert len(entries) == 2
    newest = entries[0]                                  # newest first
    assert newest.find(f"{ATOM}title").text == "学习二十大 · 第3期"
    assert newest.find(f"{ATOM}id").text == "tag:zl.example.com,2026-11-23:zhuanlan/xuexi-ershida/3"
    assert newest.find(f"{ATOM}link").get("href") == "http://zl.example.com/c/xuexi-ershida/3"
    assert newest.find(f"{ATOM}updated").text == "2026-11-23T01:00:00Z"
    content = newest.find(f"{ATOM}content")
    assert content.get("type") == "html"
    # The content is HTML carried as text: one level of escaping for XML, and the
    # title's own escaping inside the HTML.
    assert "&lt;script&gt;" in content.text and "<script>" not in content.text
    assert '<a href="http://www.news.cn/politics/a.html">阅读原文</a>' in content.text
    assert "javascript:" not in content.text


def test_atom_ids_are_stable():
    one = ET.fromstring(_atom([_issue(3)]))
    two = ET.fromstring(_atom([_issue(3, editor_note="改过的编者按"), _issue(4)],
                              updated=datetime(2026, 12, 7, tzinfo=UTC)))
    ids_one = {e.find(f"{ATOM}id").text for e in one.findall(f"{ATOM}entry")}
    ids_two = {e.find(f"{ATOM}id").text for e in two.findall(f"{ATOM}entry")}
    assert ids_one < ids_two
    assert one.find(f"{ATOM}id").text == two.find(f"{ATOM}id").text


def test_atom_survives_hostile_text():
    nasty = _issue(column_name="学习]]><x>&amp;\x00\x1f二十大",
                   editor_note="控制字符\x0b和 ]]> 以及 &nbsp; 和 <![CDATA[x]]>")
    xml = _atom([nasty], column_name="栏目 <&> \"'\x08")
    root = ET.fromstring(xml)
    assert root.find(f"{ATOM}title").text == "栏目 <&> \"'"
    entry = root.find(f"{ATOM}entry")
    assert entry.find(f"{ATOM}title").text.startswith("学习]]><x>&amp;")
    assert "]]>" in entry.find(f"{ATOM}summary").text


def test_atom_naive_updated_is_refused():
    with pytest.raises(ValueError):
        _atom([], updated=datetime(2026, 11, 30))


def test_atom_empty_column():
    root = ET.fromstring(_atom([]))
    assert root.findall(f"{ATOM}entry") == []
