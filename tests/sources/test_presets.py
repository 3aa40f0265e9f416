"""Every preset against a recorded fixture in its site's real structure and encoding.

When an outlet changes its layout, refresh the fixture from the live page and adjust the
preset (presets/*.toml); these tests say which selector stopped matching.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import lxml.html
import pytest

from zhuanlan.sources.api_article import article_api_url, parse_api_article
from zhuanlan.sources.entries import decode_document
from zhuanlan.sources.presets import get_preset, load_presets
from zhuanlan.sources.read import read_list, read_pages
from zhuanlan.sources.spec import resolve_spec, spec_from_dict, spec_to_dict

FIXTURES = Path(__file__).parent.parent / "fixtures" / "presets"
NOW = datetime(2024, 5, 5, 23, 30, tzinfo=UTC)   # 2024-05-06 07:30 in Beijing
BEIJING = "Asia/Shanghai"


def fixture(path: str) -> bytes:
    return (FIXTURES / path).read_bytes()


def read_preset(preset_id: str, path: str, params: dict[str, str] | None = None):
    spec = resolve_spec(get_preset(preset_id).spec, now=NOW, params=params)
    return spec, read_list(spec, fixture(path), "", spec.url, default_tz=BEIJING)


def assert_entries_sane(feed) -> None:
    urls = [e.url for e in feed.entries]
    assert len(urls) == len(set(urls))
    for e in feed.entries:
        assert e.url.startswith(("http://", "https://")), e.url
        assert e.title and "<" not in e.title
        assert e.published is not None and e.published.tzinfo is not None, e.url


def assert_article_rules(preset_id: str, path: str) -> None:
    """The preset's article selectors match the recorded article page: the body gives
    text, and every other rule kind that is set matches something."""
    rules = get_preset(preset_id).spec.article
    doc = lxml.html.document_fromstring(decode_document(fixture(path)))
    body = next((m for sel in rules.body for m in doc.cssselect(sel)), None)
    assert body is not None, f"no body selector of {rules.body} matches {path}"
    for sel in rules.remove:
        for el in body.cssselect(sel):
            el.drop_tree()
    assert len("".join(body.text_content().split())) > 20
    assert "责编" not in body.text_content()
    for name in ("title", "date"):
        selectors = getattr(rules, name)
        if selectors:
            found = [m for sel in selectors for m in doc.cssselect(sel)]
            assert found, f"no {name} selector of {selectors} matches {path}"
            value = found[0].get("content") if found[0].tag == "meta" else found[0].text_content()
            assert value and value.strip()


def test_every_preset_loads_with_a_valid_spec_and_round_trips():
    presets = load_presets()
    ids = [p.id for p in presets]
    assert len(ids) == len(set(ids))
    assert {"people-politics", "people-www-channel", "rmrb-epaper", "xinhua-politics-channel",
            "xinhua-datasource", "cctv-china", "gov-zhengce", "gov-yaowen", "qstheory-toutiao",
            "xuexi-channel"} <= set(ids)
    for p in presets:
        assert p.spec is not None and p.spec.kind == p.kind and p.spec.url == p.url
        assert 0 <= p.authority <= 100
        assert spec_from_dict(spec_to_dict(p.spec)) == p.spec
    assert get_preset("rmrb-epaper").authority == max(p.authority for p in presets)


def test_every_outlet_has_a_fixture():
    outlets = {p.id.split("-")[0] for p in load_presets()}
    assert outlets <= {d.name for d in FIXTURES.iterdir() if d.is_dir()}


# --- 人民网 ---------------------------------------------------------------------------

def test_people_rss():
    spec, feed = read_preset("people-politics", "people/politics_rss.xml")
    assert len(feed.entries) >= 2
    assert feed.entries[0].url == "http://politics.people.com.cn/n1/2024/0507/c1001-40231001.html"
    assert_entries_sane(feed)


def test_people_gbk_channel_page():
    raw = fixture("people/channel_59476.html")
    with pytest.raises(UnicodeDecodeError):
        raw.decode("gb2312")          # 镕 is GBK, not GB2312: read as GB18030
    spec, feed = read_preset("people-www-channel", "people/channel_59476.html")
    titles = [e.title for e in feed.entries]
    assert titles == ["朱镕基同志纪念文集出版发行", "国务院常务会议研究部署推进新质生产力发展",
                      "全国人大常委会举行专题讲座", "外交部发言人答记者问"]
    assert feed.entries[0].url == "http://www.people.com.cn/n1/2024/0506/c1001-40229601.html"
    assert feed.entries[1].url.startswith("http://politics.people.com.cn/n1/2024/0506/")
    assert feed.entries[0].published.isoformat() == "2024-05-06T00:00:00+08:00"
    assert_entries_sane(feed)


def test_people_article_rules():
    assert_article_rules("people-www-channel", "people/article.html")


# --- 人民日报 e-paper -----------------------------------------------------------------

def test_rmrb_epaper_dated_url_and_pages():
    spec = resolve_spec(get_preset("rmrb-epaper").spec, now=NOW)
    assert spec.url == "http://paper.people.com.cn/rmrb/pc/layout/202405/06/node_01.html"
    base = "http://paper.people.com.cn/rmrb/pc/layout/202405/06/"
    fetched = []

    def fetch(url):
        fetched.append(url)
        return fixture("rmrb/" + url.rsplit("/", 1)[1]), "", url

    feed = read_pages(spec, fetch, default_tz=BEIJING)
    assert fetched == [base + "node_01.html", base + "node_02.html", base + "node_03.html"]
    titles = [e.title for e in feed.entries]
    assert titles[0] == "习近平致信祝贺中国人民大学建校八十七周年"
    assert len(titles) == 5 and not any("责编" in t for t in titles)
    assert feed.entries[0].url == ("http://paper.people.com.cn/rmrb/pc/content/202405/06/"
                                   "content_30074583.html")
    assert feed.entries[0].published.isoformat() == "2024-05-06T00:00:00+08:00"
    assert_entries_sane(feed)


def test_rmrb_article_rules():
    assert_article_rules("rmrb-epaper", "rmrb/article.html")


# --- 新华网 ---------------------------------------------------------------------------

def test_xinhua_channel_page():
    spec, feed = read_preset("xinhua-politics-channel", "xinhua/politics_index.html")
    assert [e.title for e in feed.entries] == [
        "习近平复信中国人民大学师生", "李强主持召开国务院常务会议", "全国政协召开双周协商座谈会"]
    assert feed.entries[1].url == ("https://www.news.cn/politics/20240505/"
                                   "0a1b2c3d4e5f60718293a4b5c6d7e8f9/c.html")
    assert feed.entries[1].published.isoformat() == "2024-05-05T00:00:00+08:00"
    assert_entries_sane(feed)


def test_xinhua_datasource_json():
    spec, feed = read_preset("xinhua-datasource", "xinhua/ds_list.json",
                             {"datasource": "8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b"})
    assert spec.url == "https://www.news.cn/ds_8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b.json"
    assert len(feed.entries) == 2
    first = feed.entries[0]
    assert first.title == "习近平复信中国人民大学师生"
    assert first.published.isoformat() == "2024-05-06T08:15:32+08:00"
    assert first.author == "新华社" and first.guid == "6b2a3f0c9e8d4a7b8c1d2e3f4a5b6c7d"
    assert "&nbsp;" not in first.summary
    assert feed.entries[1].title == "李强主持召开国务院常务会议"
    assert_entries_sane(feed)


def test_xinhua_article_rules():
    assert_article_rules("xinhua-politics-channel", "xinhua/article.html")


# --- 央视网 ---------------------------------------------------------------------------

def test_cctv_jsonp_list_with_referer():
    spec, feed = read_preset("cctv-china", "cctv/china_1.jsonp")
    assert spec.url.endswith("/page/china_1.jsonp")
    assert spec.header_map()["Referer"] == "https://news.cctv.com/china/"
    assert len(feed.entries) == 2                     # PHOA gallery and VIDE video left out
    assert feed.entries[0].title.startswith("国务院新闻办公室举行新闻发布会")
    assert feed.entries[0].published.isoformat() == "2024-05-06T10:32:15+08:00"
    assert_entries_sane(feed)


def test_cctv_article_api():
    spec = get_preset("cctv-china").spec
    url = "https://news.cctv.com/2024/05/06/ARTIq8bZbR1gKtH8mYc5tq2v240506.shtml"
    assert article_api_url(spec, url) == ("https://api.cntv.cn/Article/getXinwenNextArticleInfo"
                                          "?serviceId=sjnews&id=ARTIq8bZbR1gKtH8mYc5tq2v240506&t=json")
    art = parse_api_article(fixture("cctv/article_api.json").decode(), url, spec,
                            default_tz=BEIJING)
    assert art.url == url and art.title.startswith("国务院新闻办公室")
    assert art.text.splitlines() == ["央视网消息：国务院新闻办公室今天举行新闻发布会，介绍一季度经济运行情况。",
                                     "一季度国内生产总值同比增长5.3%。"]
    assert art.source_name == "央视新闻客户端"
    assert art.images[0].src.startswith("https://p1.img.cctvpic.com/")
    assert art.published.isoformat() == "2024-05-06T00:00:00+08:00"   # from the URL


def test_cctv_article_rules():
    assert_article_rules("cctv-china", "cctv/article.html")


# --- 中国政府网 ------------------------------------------------------------------------

def test_gov_policy_list():
    spec, feed = read_preset("gov-zhengce", "gov/zhengce_zuixin.html")
    assert spec.url == "https://www.gov.cn/zhengce/zuixin/"
    assert len(feed.entries) == 3
    assert feed.entries[0].title.startswith("国务院关于加强监管防范风险")
    assert feed.entries[0].url == "https://www.gov.cn/zhengce/content/202405/content_6949420.htm"
    assert feed.entries[2].title == "国务院关于修改和废止部分行政法规的决定"
    assert all("yaowen" not in e.url for e in feed.entries)
    # Policy URLs carry no day; the list gives no date per <a> either.
    assert feed.entries[0].published is None


def test_gov_news_list_with_item_dates():
    spec, feed = read_preset("gov-yaowen", "gov/yaowen.html")
    assert len(feed.entries) == 5
    assert feed.entries[0].title == "李强主持召开国务院常务会议"
    assert feed.entries[0].url == "https://www.gov.cn/yaowen/liebiao/202405/content_6949500.htm"
    assert feed.entries[0].published.isoformat() == "2024-05-06T00:00:00+08:00"
    assert_entries_sane(feed)


def test_gov_article_meta_rules():
    assert_article_rules("gov-zhengce", "gov/article.html")
    doc = lxml.html.document_fromstring(fixture("gov/article.html").decode())
    assert doc.cssselect("meta[name=firstpublishedtime]")[0].get("content") == "2024-04-12-16:35:22"


# --- 求是网 ---------------------------------------------------------------------------

def test_qstheory_channel():
    spec, feed = read_preset("qstheory-toutiao", "qstheory/toutiao.html")
    assert [e.title for e in feed.entries] == [
        "在新时代新征程上奋力推进强国建设", "求是杂志发表重要文章", "发展新质生产力是推动高质量发展的内在要求"]
    assert feed.entries[1].published.isoformat() == "2024-05-01T00:00:00+08:00"
    assert_entries_sane(feed)


def test_qstheory_article_rules():
    assert_article_rules("qstheory-toutiao", "qstheory/article.html")


# --- 学习强国 --------------------------------------------------------------------------

def test_xuexi_channel_needs_its_id():
    from zhuanlan.errors import ConfigError
    with pytest.raises(ConfigError) as exc:
        resolve_spec(get_preset("xuexi-channel").spec, now=NOW)
    assert exc.value.key == "params.channel"


def test_xuexi_list_json():
    spec, feed = read_preset("xuexi-channel", "xuexi/lgdata_channel.json", {"channel": "1crqb964p71"})
    assert spec.url == "https://www.xuexi.cn/lgdata/1crqb964p71.json"
    assert len(feed.entries) == 2
    assert feed.entries[0].title == "习近平总书记的四月"
    assert feed.entries[1].url == "https://www.xuexi.cn/lgpage/detail/index.html?id=98765432109876543210"
    assert feed.entries[0].published.isoformat() == "2024-05-06T07:30:00+08:00"
    assert feed.entries[0].author == "新华网"
    assert_entries_sane(feed)


def test_xuexi_article_api():
    spec = get_preset("xuexi-channel").spec
    url = "https://www.xuexi.cn/lgpage/detail/index.html?id=12345678901234567890&item_id=12345678901234567890"
    assert article_api_url(spec, url) == "https://boot-source.xuexi.cn/data/app/12345678901234567890.js"
    art = parse_api_article(fixture("xuexi/app_content.js").decode(), url, spec, default_tz=BEIJING)
    assert art.title == "习近平总书记的四月"
    assert art.text == "四月，习近平总书记的足迹遍及多地。\n他强调，要因地制宜发展新质生产力。"
    assert art.published.isoformat() == "2024-05-06T07:30:00+08:00"
    assert art.source_name == "新华网"
