import json
from datetime import datetime
from pathlib import Path

import pytest

from zhuanlan.errors import ExtractError
from zhuanlan.extract import extract_article
from zhuanlan.extract.metadata import strip_site_suffix
from zhuanlan.text.article import clean_article

PAGES = Path(__file__).resolve().parents[1] / "fixtures" / "pages"
CASES = sorted(p.name[: -len(".expected.json")] for p in PAGES.glob("*.expected.json"))


def load(name: str) -> tuple[str, dict]:
    expected = json.loads((PAGES / f"{name}.expected.json").read_text("utf-8"))
    raw = (PAGES / f"{name}.html").read_bytes()
    # The fetch stage decodes bodies in production; here the expected encoding is named
    # beside each page (GBK pages are read as GB18030, a superset).
    return raw.decode(expected["encoding"]), expected


def test_there_are_fixtures():
    assert {"people_gbk", "xinhua_utf8", "traditional_pinyin", "govcn"} <= set(CASES)


@pytest.mark.parametrize("name", CASES)
def test_page(name):
    html, expected = load(name)
    article = extract_article(html, expected["url"])
    assert article.url == expected["url"]
    assert article.title == expected["title"]
    assert article.published == datetime.fromisoformat(expected["published"])
    assert article.published.utcoffset() is not None
    assert article.author == expected["author"]
    assert article.editor == expected["editor"], "责任编辑 is the editor, not the author"
    assert article.source_name == expected["source_name"]
    assert article.canonical_url == expected["canonical_url"]
    for snippet in expected["with"]:
        assert snippet in article.text, f"missing from body: {snippet}"
    for snippet in expected["without"]:
        assert snippet not in article.text, f"boilerplate in body: {snippet}"
    assert not article.text.startswith(article.title), "headline repeated as first line"
    # Each fixture article is a real-size article (300+ Chinese characters).
    assert sum("\u4e00" <= ch <= "\u9fff" for ch in article.text) >= 300


@pytest.mark.parametrize("name", [n for n in CASES if "clean" in json.loads(
    (PAGES / f"{n}.expected.json").read_text("utf-8"))])
def test_page_cleaned(name):
    html, expected = load(name)
    clean = expected["clean"]
    article = clean_article(extract_article(html, expected["url"]))
    assert article.title == clean["title"]
    assert article.canonical_url == clean["canonical_url"]
    assert article.author == clean["author"]
    assert article.source_name == clean["source_name"]
    assert set(clean["flags"]) <= article.flags
    for snippet in clean["with"]:
        assert snippet in article.text
    for snippet in clean["without"]:
        assert snippet not in article.text
    assert article.title_orig == expected["title"]


def test_gbk_page_needs_gb18030():
    raw = (PAGES / "people_gbk.html").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("gb2312")
    article = extract_article(raw.decode("gb18030"), "http://theory.people.com.cn/a.html")
    assert "刘镕" in article.text
    assert article.author == "王堃"


def test_fetch_charset_agrees_with_fixtures():
    """Cross-check with the fetch stage's decoder."""
    from zhuanlan.fetch.charset import decode_body

    for name in CASES:
        html, _ = load(name)
        text, _encoding = decode_body((PAGES / f"{name}.html").read_bytes(), "text/html")
        assert text == html, name


def test_default_tz_for_pages_without_offset():
    html, expected = load("govcn")
    article = extract_article(html, expected["url"], default_tz="UTC")
    assert article.published.isoformat() == "2024-05-01T10:30:00+00:00"


def test_str_with_xml_declaration():
    html, expected = load("xinhua_utf8")
    article = extract_article('<?xml version="1.0" encoding="gb2312"?>\n' + html, expected["url"])
    assert article.title == expected["title"]


ARTICLE = "<p>" + "学习贯彻党的二十大精神，推动高质量发展。" * 12 + "</p>"


@pytest.mark.parametrize("content", [
    "%PDF-1.7 binary stuff",
    '{"title": "二十大", "text": "json"}',
    "纯文本，没有任何标记。" * 20,
    '<?xml version="1.0"?><rss version="2.0"><channel><title>t</title></channel></rss>',
    "",
    b"<html><body><p>bytes</p></body></html>",
])
def test_not_html(content):
    with pytest.raises(ExtractError) as info:
        extract_article(content, "https://x.cn/a")  # type: ignore[arg-type]
    assert info.value.reason == "not_html"
    assert info.value.url == "https://x.cn/a"


def test_empty_body():
    html = "<html><head><title>空页面</title></head><body><div class='nav'></div></body></html>"
    with pytest.raises(ExtractError) as info:
        extract_article(html, "https://x.cn/empty")
    assert info.value.reason in ("empty", "too_short")
    html = "<html><head><title>空页面</title></head><body></body></html>"
    with pytest.raises(ExtractError) as info:
        extract_article(html, "https://x.cn/empty")
    assert info.value.reason == "empty"


def test_too_short():
    html = ("<html><head><title>短讯_新华网</title></head><body><article><h1>短讯</h1>"
            "<p>今天召开会议，学习二十大精神。</p></article></body></html>")
    with pytest.raises(ExtractError) as info:
        extract_article(html, "https://x.cn/short")
    assert info.value.reason == "too_short"


def test_minimal_page_without_metadata():
    html = f"<html><head><title>学习心得 - 某某网</title></head><body><article>{ARTICLE}</article></body></html>"
    article = extract_article(html, "https://x.cn/a")
    assert article.title == "学习心得"
    assert article.published is None
    assert article.author is None and article.source_name is None
    assert article.canonical_url is None
    assert "推动高质量发展" in article.text


def test_canonical_must_be_http():
    html = (f"<html><head><title>t</title><link rel='canonical' href='javascript:alert(1)'>"
            f"</head><body><article>{ARTICLE}</article></body></html>")
    assert extract_article(html, "https://x.cn/a").canonical_url is None
    html = html.replace("javascript:alert(1)", "/n1/a.html")
    assert extract_article(html, "https://x.cn/b/c").canonical_url == "https://x.cn/n1/a.html"


def test_h1_not_matching_title_is_not_the_headline():
    # The logo's <h1> is not the headline; the title without its suffix is.
    html = (f"<html><head><title>推动理论学习走深走实--理论-人民网</title></head><body>"
            f"<h1>人民网</h1><article>{ARTICLE}</article></body></html>")
    assert extract_article(html, "https://x.cn/a").title == "推动理论学习走深走实"


@pytest.mark.parametrize("title, expected", [
    ("深入学习贯彻党的二十大精神 在新征程上建功立业--理论-人民网", "深入学习贯彻党的二十大精神 在新征程上建功立业"),
    ("国资委：推动中央企业加快发展新质生产力_滚动新闻_中国政府网", "国资委：推动中央企业加快发展新质生产力"),
    ("国务院关于推动高质量发展的意见—中国政府网", "国务院关于推动高质量发展的意见"),
    ("各地各部门扎实推进党纪学习教育走深走实-新华网", "各地各部门扎实推进党纪学习教育走深走实"),
    ("学习贯彻二十大精神 | 求是网", "学习贯彻二十大精神"),
    ("学习贯彻二十大精神_www.example.com.cn", "学习贯彻二十大精神"),
    # A subtitle after a Chinese dash stays; so does a title without a site.
    ("奋进新征程——学习二十大精神的体会_人民网", "奋进新征程——学习二十大精神的体会"),
    ("党纪学习教育·每日一课｜严明政治纪律", "党纪学习教育·每日一课｜严明政治纪律"),
    ("关于印发《某某办法》的通知", "关于印发《某某办法》的通知"),
])
def test_strip_site_suffix(title, expected):
    assert strip_site_suffix(title) == expected


def test_meta_author_used_unless_it_is_the_site():
    page = ("<html><head><title>学习心得</title><meta name='author' content='{}'></head>"
            f"<body><article>{ARTICLE}</article></body></html>")
    assert extract_article(page.format("李华"), "https://x.cn/a").author == "李华"
    assert extract_article(page.format("人民网"), "https://x.cn/a").author is None


def test_info_line_with_editor_in_brackets():
    page = ("<html><head><title>学习心得_新华网</title></head><body>"
            "<div class='info'>2024-05-01 10:30:15　来源：新华社　字号：大 中 小</div>"
            f"<article>{ARTICLE}</article><div>【纠错】 【责任编辑：赵敏】</div></body></html>")
    article = extract_article(page, "https://x.cn/a")
    assert article.source_name == "新华社"
    assert article.editor == "赵敏" and article.author is None
    assert article.published.isoformat() == "2024-05-01T10:30:15+08:00"
    assert "纠错" not in article.text and "责任编辑" not in article.text


def test_info_line_inside_the_article_is_not_body():
    page = ("<html><head><title>学习心得_新华网</title></head><body><article>"
            "<h1>学习心得</h1><p>2024-05-01 10:30:15　来源：新华社</p>"
            f"{ARTICLE}</article></body></html>")
    article = extract_article(page, "https://x.cn/a")
    assert article.text.startswith("学习贯彻党的二十大精神")
    assert article.source_name == "新华社"


# --- preset rules, built-in containers, the generic scorer ----------------------------

from zhuanlan.model import ArticleRules  # noqa: E402

PARA = "<p>" + "各地各部门认真学习贯彻党的二十大精神，推动高质量发展取得新成效。" * 4 + "</p>"
SIDEBAR = ("<div class='hot'><ul>" + "".join(
    f"<li><a href='/n{i}.html'>热点新闻标题第{i}条：某地召开会议部署工作</a></li>" for i in range(12))
    + "</ul></div>")


def _page(body: str, title: str = "学习心得_新华网") -> str:
    return f"<html><head><title>{title}</title></head><body>{body}</body></html>"


def test_rules_win_over_the_generic_path():
    html = _page(
        "<h1 class='t'>预设标题</h1><span class='d'>2024年05月06日08:15</span>"
        "<span class='a'>作者：李华</span><span class='s'>来源：人民日报</span>"
        f"<div class='x'>{PARA}<div class='ad'>广告位招租，欢迎联系我们投放广告。</div></div>"
        f"<div class='long'>{PARA * 3}</div>")
    rules = ArticleRules(body=(".missing", ".x"), title=(".t",), date=(".d",),
                         author=(".a",), source=(".s",), remove=(".ad",))
    article = extract_article(html, "https://x.cn/a", rules=rules)
    assert article.title == "预设标题"
    assert article.published.isoformat() == "2024-05-06T08:15:00+08:00"
    assert article.author == "李华" and article.source_name == "人民日报"
    assert "广告位" not in article.text
    assert len(article.text) < len(PARA) + 10   # the .x box only, not the longer .long


def test_rules_that_match_nothing_fall_back():
    html = _page(f"<article>{PARA}</article>")
    rules = ArticleRules(body=(".nothing",), title=("h9",), date=(".none",))
    article = extract_article(html, "https://x.cn/a", rules=rules)
    assert article.title == "学习心得"
    assert "推动高质量发展" in article.text


def test_invalid_selector_is_ignored():
    html = _page(f"<article>{PARA}</article>")
    article = extract_article(html, "https://x.cn/a", rules=ArticleRules(body=("[[[",)))
    assert "推动高质量发展" in article.text


def test_builtin_container_of_a_known_outlet():
    # 人民网's body box, with its "newspaper page" line and recommended reading inside it.
    html = _page(f"<div class='rm_txt_con'>{PARA}<p class='paper_num'>《人民日报》（2024年05月06日 09 版）</p>"
                 f"<div id='rwb_tjyd'>{PARA}</div></div><div class='other'>{PARA * 3}</div>",
                 "深入学习--理论-人民网")
    article = extract_article(html, "http://theory.people.com.cn/n1/2024/0506/c40531-1.html")
    assert "人民日报》（" not in article.text
    assert article.text.count("推动高质量发展") == 4


def test_generic_path_drops_link_lists_copyright_and_navigation():
    html = _page(
        f"<div class='main'><h1>学习心得</h1>{PARA}{PARA}"
        "<p>上一篇：另一篇文章</p><div class='xgxw'><h3>相关新闻</h3>"
        "<ul><li><a href='/1'>某地召开会议</a></li><li><a href='/2'>某市部署工作</a></li></ul></div>"
        f"</div>{SIDEBAR}<div class='footer'>版权所有 新华网 京ICP备12345号</div>")
    article = extract_article(html, "https://x.cn/a")
    for junk in ("上一篇", "相关新闻", "某地召开会议", "热点新闻", "版权所有", "ICP"):
        assert junk not in article.text, junk


def test_images_with_captions():
    html = _page(
        f"<div class='article'>{PARA}<p align='center'><img src='/img/1.jpg' width='600'></p>"
        "<p align='center'>图为会议现场。（记者 王某 摄）</p>"
        "<figure><img src='https://img.x.cn/2.png'><figcaption>图二说明</figcaption></figure>"
        f"<img src='/icon.gif' width='16' height='16'>{PARA}</div>")
    article = extract_article(html, "https://x.cn/news/a.html")
    assert [(i.src, i.caption) for i in article.images] == [
        ("https://x.cn/img/1.jpg", "图为会议现场。（记者 王某 摄）"),
        ("https://img.x.cn/2.png", "图二说明")]


def test_date_near_the_headline_not_from_lists_or_footer():
    html = _page(
        "<div class='top'>2026年11月24日 星期二</div>"
        "<h1>学习心得</h1><div class='info'>2024-05-01 10:30　来源：新华社</div>"
        f"<div class='content'>{PARA}{PARA}</div>"
        "<ul><li>·另一篇 (2023-01-02 09:00)</li></ul><div>Copyright 2008-2024 版权所有</div>")
    assert extract_article(html, "https://x.cn/a").published.isoformat() == \
        "2024-05-01T10:30:00+08:00"


@pytest.mark.parametrize("url, day", [
    ("http://politics.people.com.cn/n1/2024/0506/c1001-40230001.html", "2024-05-06"),
    ("https://www.news.cn/politics/20240501/abc/c.html", "2024-05-01"),
    ("https://www.gov.cn/zhengce/content/2024-05/01/content_1.htm", "2024-05-01"),
    ("http://www.qstheory.cn/dukan/qs/2024-05/01/c_1130.htm", "2024-05-01"),
    ("https://www.mee.gov.cn/xxgk/202405/t20240501_1.shtml", "2024-05-01"),
])
def test_date_from_the_url_when_the_page_has_none(url, day):
    html = _page(f"<h1>学习心得</h1><div class='content'>{PARA}{PARA}</div>")
    assert extract_article(html, url).published.date().isoformat() == day


def test_editor_is_not_the_author():
    html = _page(f"<article>{PARA}</article><div class='edit'>(责编：李明、张华)</div>")
    article = extract_article(html, "https://x.cn/a")
    assert article.editor == "李明、张华" and article.author is None


def test_body_ends_at_the_related_articles_list():
    html = _page(
        f"<div class='main'><h1>学习心得</h1>{PARA}{PARA}"
        "<p>相关报道：</p><p>·另一篇文章的标题 (2024-04-27 14:32)</p>"
        "<p>·再一篇文章的标题，也很长很长 (2024-04-26 12:00)</p></div>")
    article = extract_article(html, "https://x.cn/a")
    assert article.text.endswith("取得新成效。")
    # An article may name related reports early on: that does not end it.
    html = _page(f"<div class='main'><h1>学习心得</h1><p>相关报道</p>{PARA}{PARA}</div>")
    assert "推动高质量发展" in extract_article(html, "https://x.cn/a").text


def test_rules_read_meta_content_and_skip_empty_matches():
    html = ("<html><head><title>标题_中国政府网</title>"
            "<meta name='ArticleTitle' content='国务院关于推动高质量发展的意见'>"
            "<meta name='firstpublishedtime' content='2024-05-01-10:30:00'></head><body>"
            f"<h1 class='empty'></h1><div id='UCAP-CONTENT'>{PARA}</div></body></html>")
    rules = ArticleRules(body=("#UCAP-CONTENT",), title=("h1.empty", "meta[name=ArticleTitle]"),
                         date=("meta[name=firstpublishedtime]",))
    article = extract_article(html, "https://www.gov.cn/zhengce/content/a.htm", rules=rules)
    assert article.title == "国务院关于推动高质量发展的意见"
    assert article.published.isoformat() == "2024-05-01T10:30:00+08:00"
