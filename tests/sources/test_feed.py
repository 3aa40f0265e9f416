import threading
import time
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from zhuanlan.errors import SourceError
from zhuanlan.model import Feed
from zhuanlan.sources.feed import parse_feed, plain_text, safe_link

FEEDS = Path(__file__).resolve().parents[1] / "fixtures" / "feeds"
CHINA = timezone(timedelta(hours=8))


def load(name: str) -> bytes:
    return (FEEDS / name).read_bytes()


def test_rss_utf8_with_cst_dates():
    feed = parse_feed(load("rss_utf8_cst.xml"), "https://feeds.example.cn/theory/rss.xml")
    assert isinstance(feed, Feed)
    assert feed.title == "人民网-理论频道"
    assert feed.link == "http://theory.people.com.cn/"
    first, second, third, fourth = feed.entries
    assert first.title == "深入学习贯彻党的二十大精神 在新征程上建功立业"
    assert first.url == "http://theory.people.com.cn/n1/2024/0506/c40531-40230001.html"
    # CST read as China time, not US Central (feedparser's reading would be 14 h off).
    assert first.published == datetime(2024, 5, 6, 8, 15, tzinfo=CHINA)
    assert first.author == "王堃"
    assert first.guid == first.url
    # Summary is plain text: tags and the script gone, paragraphs on lines.
    assert first.summary == ("学习宣传贯彻党的二十大精神，是当前和今后一个时期全党全国的首要政治任务。\n"
                             "把学习成果转化为推动高质量发展的实际行动。")
    assert "alert" not in first.summary and "<" not in first.summary
    # Relative link resolved against the feed URL; escaped markup in the title unescaped.
    assert second.url == "https://feeds.example.cn/n1/2024/0504/c40531-40228001.html"
    assert second.title == "以学铸魂 以学增智 <理论热点>"
    assert second.published == datetime(2024, 5, 4, 18, 0, tzinfo=CHINA)
    assert "&nbsp;" not in second.summary
    # An item with only a permalink guid; a dc:date in Chinese form.
    assert third.url == "http://theory.people.com.cn/n1/2024/0503/c40531-40227001.html"
    assert third.published == datetime(2024, 5, 3, 7, 30, tzinfo=CHINA)
    # An unreadable date is None, not a guess.
    assert fourth.published is None


def test_entry_dates_are_aware():
    for name in ("rss_utf8_cst.xml", "atom.xml", "rdf.xml", "rss_gb2312.xml"):
        for entry in parse_feed(load(name), "https://feeds.example.cn/f.xml").entries:
            assert entry.published is None or entry.published.utcoffset() is not None


def test_default_tz_applies_to_naive_dates():
    feed = parse_feed(load("rss_utf8_cst.xml"), "https://feeds.example.cn/f.xml", default_tz="UTC")
    assert feed.entries[2].published == datetime(2024, 5, 3, 7, 30, tzinfo=UTC)
    # An explicit zone is not affected.
    assert feed.entries[0].published == datetime(2024, 5, 6, 8, 15, tzinfo=CHINA)


def test_atom():
    feed = parse_feed(load("atom.xml"), "http://www.news.cn/politics/atom.xml")
    assert feed.title == "新华网 时政频道"
    assert feed.link == "http://www.news.cn/politics/"
    first, second = feed.entries
    assert first.title == "各地各部门扎实推进党纪学习教育走深走实"
    assert first.url == "http://www.news.cn/politics/20240501/a1b2c3d4e5f6/c.html"
    assert first.published == datetime(2024, 5, 1, 10, 30, 15, tzinfo=CHINA)
    assert first.author == "新华社"
    assert first.guid == "tag:news.cn,2024:20240501-a1b2c3d4e5f6"
    assert first.summary.startswith("连日来，各地各部门")
    # Content used when there is no summary; "updated" when there is no "published".
    assert second.summary.startswith("国资委近日召开专题会议")
    assert second.published == datetime(2024, 5, 1, 10, 30, tzinfo=CHINA)


def test_rdf():
    feed = parse_feed(load("rdf.xml"), "http://dangjian.example.cn/rss")
    assert feed.title == "党建网 学习园地"
    (entry,) = feed.entries
    assert entry.title == "“三会一课”制度怎样落实到位"
    assert entry.published == datetime(2024, 4, 20, 9, 0, tzinfo=CHINA)
    assert entry.author == "党建网编辑部"


def test_gb2312_declared_feed_with_gbk_only_characters():
    content = load("rss_gb2312.xml")
    with pytest.raises(UnicodeDecodeError):
        content.decode("gb2312")  # the fixture really holds GBK-only characters
    feed = parse_feed(content, "http://politics.people.com.cn/rss/politics.xml")
    assert feed.title == "人民网-时政频道"
    assert feed.entries[0].title == "集团党委书记刘镕：以钉钉子精神抓好学习贯彻"
    assert "王堃" in feed.entries[0].summary
    assert feed.entries[0].published == datetime(2024, 5, 7, 16, 20, tzinfo=CHINA)


@pytest.mark.parametrize("label", ["GB_2312-80", "euc-cn", "x-gbk", "csGB2312", "GBK", "gb18030"])
def test_other_gb_labels_are_read_as_gb18030(label):
    # feedparser widens only the exact label "gb2312"; for the others it falls back to
    # windows-1252 (mojibake) and parse_feed retries with GB18030 itself.
    content = load("rss_gb2312.xml").replace(b'encoding="gb2312"', f'encoding="{label}"'.encode())
    feed = parse_feed(content, "http://politics.people.com.cn/rss/politics.xml")
    assert feed.entries[0].title == "集团党委书记刘镕：以钉钉子精神抓好学习贯彻"


def test_undeclared_gbk_feed():
    content = load("rss_gb2312.xml").replace(b'<?xml version="1.0" encoding="gb2312"?>', b"")
    feed = parse_feed(content, "http://politics.people.com.cn/rss/politics.xml")
    assert feed.title == "人民网-时政频道"
    assert "刘镕" in feed.entries[0].title


def test_javascript_links_are_dropped():
    feed = parse_feed(load("rss_javascript.xml"), "https://www.example.cn/rss.xml")
    assert [e.title for e in feed.entries] == ["正常条目", "相对链接"]
    assert [e.url for e in feed.entries] == ["https://www.example.cn/news/1.html",
                                             "https://www.example.cn/news/2.html"]
    for entry in feed.entries:
        assert entry.url.startswith(("http://", "https://"))


@pytest.mark.parametrize("name", ["billion_laughs.xml", "external_entity.xml"])
def test_entity_documents_are_refused_quickly(name):
    result: dict = {}

    def run():
        try:
            result["feed"] = parse_feed(load(name), "https://evil.example.cn/feed.xml")
        except SourceError as exc:
            result["error"] = exc

    started = time.monotonic()
    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(timeout=10)
    assert not worker.is_alive(), "parse_feed hung on an entity document"
    assert time.monotonic() - started < 10
    if "error" in result:
        assert result["error"].resource == "https://evil.example.cn/feed.xml"
    else:  # an empty feed would be acceptable too
        assert result["feed"].entries == ()
    # Nothing read from the file system made it into the result.
    assert "root:" not in repr(result)


def test_html_page_is_not_a_feed():
    with pytest.raises(SourceError) as info:
        parse_feed(load("not_a_feed.html"), "https://www.people.com.cn/")
    assert info.value.resource == "https://www.people.com.cn/"
    assert "not a feed" in info.value.message


@pytest.mark.parametrize("content", [b"", b"   \n", b"\x00\x01\x02binary", b"{\"json\": true}",
                                     b"<?xml version='1.0'?><urlset></urlset>"])
def test_other_non_feeds(content):
    with pytest.raises(SourceError):
        parse_feed(content, "https://x.example.cn/f")


@pytest.mark.parametrize("link, expected", [
    ("https://a.cn/x", "https://a.cn/x"),
    ("/x.html", "https://base.cn/x.html"),
    ("//cdn.cn/x", "https://cdn.cn/x"),
    ("javascript:alert(1)", None),
    ("JAVASCRIPT:alert(1)", None),
    ("jav\tascript:alert(1)", None),
    ("java\nscript:alert(1)", None),
    ("\x01 javascript:alert(1)", None),
    ("\u3000javascript:alert(1)", None),
    ("data:text/html,hi", None),
    ("vbscript:x", None),
    ("mailto:a@b.cn", None),
    ("ftp://a.cn/x", None),
    ("http://", None),
    ("", None),
    (None, None),
])
def test_safe_link(link, expected):
    assert safe_link(link, "https://base.cn/feed.xml") == expected


def test_plain_text():
    assert plain_text("<p>学习&amp;贯彻</p><p>二十大&nbsp;精神</p>") == "学习&贯彻\n二十大 精神"
    assert plain_text("<b>a</b>\n<i>b</i>", single_line=True) == "a b"
    assert plain_text("<script>alert(1)</script>正文") == "正文"
    assert plain_text(None) == ""


def test_content_is_never_taken_for_a_file_name(tmp_path):
    # feedparser opens bytes as a path when such a file exists; parse_feed must not.
    local = tmp_path / "local.xml"
    local.write_bytes(load("rss_utf8_cst.xml"))
    with pytest.raises(SourceError):
        parse_feed(str(local).encode(), "https://evil.example.cn/feed.xml")
