from datetime import datetime, timezone

from zhuanlan.dedup import canonical_url, content_hash
from zhuanlan.model import Article, ExtractedArticle
from zhuanlan.text.article import clean_article

TEXT = "近日，集團黨委召開理論學(xué)習(xí)中心組學習會。\n\n\n\n會議強調，推動高質量發展。"


def extracted(**changes) -> ExtractedArticle:
    fields = dict(url="https://www.example.cn/a/1.html?utm_source=wx&from=timeline#top",
                  title="學習貫徹二十大精神\n推動企業高質量發展", text=TEXT,
                  published=datetime(2024, 4, 28, 1, 0, tzinfo=timezone.utc),
                  author="陳志堅", source_name="集團黨委宣傳部", canonical_url=None, lang="zh-hant")
    fields.update(changes)
    return ExtractedArticle(**fields)


def test_clean_article():
    article = clean_article(extracted())
    assert isinstance(article, Article)
    assert article.title == "学习贯彻二十大精神 推动企业高质量发展"
    assert article.text == "近日，集团党委召开理论学习中心组学习会。\n\n会议强调，推动高质量发展。"
    assert article.title_orig == "學習貫徹二十大精神\n推動企業高質量發展"
    assert article.text_orig == TEXT
    assert article.flags == {"pinyin_removed", "traditional_converted"}
    assert article.author == "陈志坚"
    assert article.source_name == "集团党委宣传部"
    assert article.published == datetime(2024, 4, 28, 1, 0, tzinfo=timezone.utc)
    assert article.lang == "zh-hant"
    assert article.url == "https://www.example.cn/a/1.html?utm_source=wx&from=timeline#top"
    assert article.canonical_url == "https://www.example.cn/a/1.html"
    assert article.content_hash == content_hash(article.title, article.text)


def test_same_article_in_traditional_and_simplified_hashes_the_same():
    simplified = extracted(title="学习贯彻二十大精神 推动企业高质量发展",
                           text="近日，集团党委召开理论学习中心组学习会。会议强调，推动高质量发展。")
    assert clean_article(simplified).content_hash == clean_article(extracted()).content_hash


def test_canonical_url_on_same_host_is_used():
    article = clean_article(extracted(canonical_url="HTTPS://example.cn/a/1.html?spm=1"))
    assert article.canonical_url == canonical_url("https://example.cn/a/1.html")


def test_canonical_url_on_other_host_is_ignored():
    article = clean_article(extracted(canonical_url="https://other.example.com/a/1.html"))
    assert article.canonical_url == "https://www.example.cn/a/1.html"


def test_missing_author_and_source():
    article = clean_article(extracted(author=None, source_name=""))
    assert article.author is None and article.source_name is None
