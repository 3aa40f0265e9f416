from datetime import UTC, datetime

from zhuanlan.dedup import canonical_url, content_hash
from zhuanlan.model import Article, ExtractedArticle
from zhuanlan.text.article import clean_article

TEXT = "近日，集團黨委召開理論學(xué)習(xí)中心組學習會。\n\n\n\n會議強調，推動高質量發展。"


def extracted(**changes) -> ExtractedArticle:
    fields = dict(url="https://www.example.cn/a/1.html?utm_source=wx&from=timeline#top",
                  title="學習貫徹二十大精神\n推動企業高質量發展", text=TEXT,
                  published=datetime(2024, 4, 28, 1, 0, tzinfo=UTC),
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
    assert article.published == datetime(2024, 4, 28, 1, 0, tzinfo=UTC)
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


FRAMED = ("来源：新华社\n\n分享到：微信 微博 QQ空间\n\n"
          "近日，集团党委召开理论学习中心组学习会。编辑部的同志们分享了学习体会。\n\n"
          "会议强调，推动高质量发展。\n\n【纠错】\n\n（责编：赵欣悦、牛镛）\n\n新华网版权所有")


def test_boilerplate_removed_and_its_metadata_kept():
    article = clean_article(extracted(text=FRAMED, editor=None, source_name=None, author=None))
    assert article.text == ("近日，集团党委召开理论学习中心组学习会。编辑部的同志们分享了学习体会。\n\n"
                            "会议强调，推动高质量发展。")
    assert article.text_orig == FRAMED
    assert article.editor == "赵欣悦、牛镛"
    assert article.source_name == "新华社"
    assert article.author is None
    assert "boilerplate_removed" in article.flags
    assert article.content_hash == content_hash(article.title, article.text)


def test_what_the_extractor_found_wins():
    article = clean_article(extracted(text=FRAMED, editor="趙敏", source_name="人民日報",
                                      author="陳志堅"))
    assert article.editor == "赵敏"
    assert article.source_name == "人民日报"
    assert article.author == "陈志坚"


def test_editor_in_traditional_frame():
    text = "近日，集團黨委召開學習會。\n\n【責任編輯：陳志堅】"
    article = clean_article(extracted(text=text, editor=None))
    assert article.text == "近日，集团党委召开学习会。"
    assert article.editor == "陈志坚"
    assert {"traditional_converted", "boilerplate_removed"} <= article.flags


def test_same_article_with_and_without_frame_hashes_the_same():
    bare = "近日，集团党委召开理论学习中心组学习会。编辑部的同志们分享了学习体会。\n\n会议强调，推动高质量发展。"
    assert (clean_article(extracted(text=FRAMED)).content_hash
            == clean_article(extracted(text=bare)).content_hash)


def test_mojibake_article():
    title = "学习贯彻二十大精神".encode().decode("gb18030", errors="replace")
    text = "全面推进中国式现代化".encode("gbk").decode("latin-1")
    article = clean_article(extracted(title=title, text=text))
    # The odd last byte of the title met the end of the string: that character is lost.
    assert article.title == "学习贯彻二十大精\ufffd"
    assert article.text == "全面推进中国式现代化"
    assert {"mojibake", "mojibake_repaired"} <= article.flags
    assert article.title_orig == title and article.text_orig == text


def test_no_editor():
    article = clean_article(extracted())
    assert article.editor is None
    assert "boilerplate_removed" not in article.flags
