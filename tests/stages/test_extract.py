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
    """Cross-check with the fetch stage's decoder, when it is there."""
    try:
        from zhuanlan.fetch.charset import decode_body
    except Exception:  # owned by the fetch package; may not exist yet
        pytest.skip("zhuanlan.fetch.charset.decode_body not available")
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
    assert article.author == "赵敏"
    assert article.published.isoformat() == "2024-05-01T10:30:15+08:00"
    assert "纠错" not in article.text and "责任编辑" not in article.text


def test_info_line_inside_the_article_is_not_body():
    page = ("<html><head><title>学习心得_新华网</title></head><body><article>"
            "<h1>学习心得</h1><p>2024-05-01 10:30:15　来源：新华社</p>"
            f"{ARTICLE}</article></body></html>")
    article = extract_article(page, "https://x.cn/a")
    assert article.text.startswith("学习贯彻党的二十大精神")
    assert article.source_name == "新华社"
