"""Search over the store on SQLite (FTS5) and PostgreSQL (tsvector): segmentation,
ranking, highlighting, filters and who may see what."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text

from tests.support.search_seed import T0, corpus_article
from zhuanlan.search.query import SearchQueryError
from zhuanlan.store import search
from zhuanlan.web.marks import mark_hit

PARTY = ("坚持全面从严治党 推进党的自我革命",
         "要深入学习贯彻习近平新时代中国特色社会主义思想，坚持全面从严治党，"
         "以党的自我革命引领社会革命。")


@pytest.fixture
def corpus(seed):
    """Four real articles (one first published in Traditional characters) and a
    synthetic one about party building, all published in an issue."""
    col = seed.column("xuexi")
    ids = {name: seed.article(*corpus_article(page), column_id=col) for name, page in [
        ("youth", "readability_zh:youth"),
        ("experts", "newspaper4k_zh:chinese_article_001"),
        ("drugs", "newspaper4k_zh:chinese_article_002"),
        ("maple", "readability_zh:pixnet"),
    ]}
    ids["party"] = seed.article(*PARTY, column_id=col)
    ids["habit"] = seed.article("同学习惯养成", "同学习惯早起锻炼。", column_id=col)
    return ids


def test_a_two_character_word(seed, corpus):
    # 学习 in 在国外学习生活 and in 学习贯彻; not in 同学习惯 (同学 / 习惯).
    assert seed.ids("学习") == {corpus["youth"], corpus["party"]}


def test_a_four_character_phrase(seed, corpus):
    assert seed.ids("全面从严治党") == {corpus["party"]}
    assert seed.ids("短缺药品") == {corpus["drugs"]}


def test_a_word_inside_a_long_term_and_a_single_character(seed, corpus):
    # 习近平新时代中国特色社会主义思想 is one word of terms.txt; its parts are indexed.
    assert seed.ids("社会主义") == {corpus["party"]}
    assert corpus["party"] in seed.ids("党")


def test_a_traditional_query_finds_the_simplified_text(seed, corpus):
    assert seed.ids("美樹營地") == {corpus["maple"]}        # the page was Traditional
    assert seed.ids("短缺藥品") == {corpus["drugs"]}
    assert seed.ids("從嚴治黨") == {corpus["party"]}


def test_full_width_letters_and_digits(seed, corpus):
    assert seed.ids("２１世纪") == {corpus["experts"]}
    assert seed.ids("ＰＩＸＮＥＴ") == {corpus["maple"]}         # and case-insensitive


def test_a_quoted_phrase_matches_as_a_phrase(seed, corpus):
    assert seed.ids('"短缺药品供应"') == {corpus["drugs"]}
    assert seed.ids("“短缺药品供应”") == {corpus["drugs"]}
    # The same words, not in that order: found as words, not as a phrase.
    assert corpus["drugs"] in seed.ids("供应 短缺药品")
    assert seed.ids('"供应短缺药品"') == set()
    # Word boundaries: 同学习惯 is 同学 / 习惯.
    assert seed.ids('"同学习惯"') == {corpus["habit"]}


def test_several_words_must_all_match(seed, corpus):
    assert seed.ids("学习 两会") == {corpus["youth"]}
    assert seed.ids("学习 药品") == set()
    assert seed.ids("学习 药品") == set() and seed.ids("药品") == {corpus["drugs"]}


def test_no_results(seed, corpus):
    page = seed.search("量子纠缠")
    assert page.total == 0 and page.hits == []


@pytest.mark.parametrize("hostile", [
    'a" OR "b', "NEAR(学习 两会)", "title:学习", "学*", "学习 -两会", "a'b", "x\\y",
    "学习 AND OR NOT", "{title}: 学习", "学习 & !两会 | <-> :*", ")(", "'';--",
])
def test_hostile_queries_never_reach_the_database_as_syntax(seed, corpus, hostile):
    try:
        seed.search(hostile)
    except SearchQueryError:
        pass


def test_bad_queries_are_refused_with_a_message(seed, corpus):
    for bad in ["", "  ", "！？", "学" * 101]:
        with pytest.raises(SearchQueryError):
            seed.search(bad)


def test_title_hits_rank_first_and_pages_are_limited(seed):
    body_only = seed.article("一篇报道", "文中提到了乡村振兴。" + "其他内容。" * 30)
    in_title = seed.article("乡村振兴的新进展", "各地推进乡村振兴。" + "其他内容。" * 30)
    for i in range(5):
        seed.article(f"第{i}篇", "乡村振兴" + "其他内容。" * (10 + i))
    page = seed.search("乡村振兴", limit=3)
    assert page.total == 7 and len(page.hits) == 3 and page.hits[0].article_id == in_title
    rest = seed.search("乡村振兴", limit=3, offset=6)
    assert len(rest.hits) == 1
    assert body_only in {h.article_id for p in (0, 3, 6)
                         for h in seed.search("乡村振兴", limit=3, offset=p).hits}
    assert seed.search("乡村振兴", limit=10_000).limit == search.MAX_LIMIT


def test_snippets_escape_the_text_and_mark_the_hits(seed):
    aid = seed.article("<b>标题</b>里也有学习",
                       "开头。" * 40 + '<script>alert("x")</script>学习强国 & 更多 <img src=x onerror=1>')
    hit = seed.search("学习").hits[0]
    assert hit.article_id == aid
    # The store gives text and spans; the page marks them up.
    assert hit.snippet.text[hit.snippet.spans[0][0]:hit.snippet.spans[0][1]] == "学习"
    html = str(mark_hit(hit.snippet))
    assert "<script" not in html and "<img" not in html
    assert "&lt;script&gt;" in html and "&amp;" in html and "<mark>学习</mark>" in html
    assert html.startswith("…")                       # cut before the first hit
    assert str(mark_hit(hit.marked_title)) == "&lt;b&gt;标题&lt;/b&gt;里也有<mark>学习</mark>"
    # Every tag left is ours.
    assert html.replace("<mark>", "").replace("</mark>", "").count("<") == 0


def test_filters_by_column_outlet_and_date(seed):
    a_col, b_col = seed.column("a"), seed.column("b")
    people, xinhua = seed.source("人民网"), seed.source("新华网")
    early = seed.article("学习一", "学习", source_id=people, column_id=a_col,
                         published=T0 - timedelta(days=10))
    late = seed.article("学习二", "学习", source_id=xinhua, column_id=b_col, published=T0)
    undated = seed.article("学习三", "学习", source_id=xinhua, column_id=a_col, published=None)
    assert seed.ids("学习") == {early, late, undated}
    assert seed.ids("学习", column_id=a_col) == {early, undated}
    assert seed.ids("学习", column_id=b_col) == {late}
    assert seed.ids("学习", outlet="新华网") == {late, undated}
    assert seed.ids("学习", outlet="没有的来源") == set()
    assert seed.ids("学习", since=T0 - timedelta(days=1)) == {late}
    assert seed.ids("学习", until=T0 - timedelta(days=1)) == {early}
    assert seed.ids("学习", since=(T0 - timedelta(days=10)).date(), until=T0.date()) == {early}
    assert seed.ids("学习", column_id=a_col, outlet="人民网", since=T0 - timedelta(days=30),
                    until=T0 + timedelta(days=1)) == {early}
    hit = seed.search("学习", outlet="人民网").hits[0]
    assert hit.outlet == "人民网" and hit.published_at == T0 - timedelta(days=10)
    assert hit["title"] == "学习一"


def test_anonymous_readers_find_only_published_articles(seed):
    col = seed.column("a")
    published = seed.article("学习资料", "学习", column_id=col)
    candidate = seed.article("学习候选", "学习")            # not in any issue
    assert seed.ids("学习", staff=False) == {published}
    assert seed.search("学习", staff=False).total == 1
    assert seed.ids("学习", staff=True) == {published, candidate}


def test_an_updated_article_is_indexed_again(seed, store):
    aid = seed.article("旧标题", "旧的正文讲乡村振兴。")
    with store.write() as conn:
        conn.execute(text("UPDATE articles SET title = '新标题', text = '新的正文讲共同富裕。' "
                          "WHERE id = :id"), {"id": aid})
        assert search.index_article(conn, aid, "新标题", "新的正文讲共同富裕。")
    assert seed.ids("乡村振兴") == set()
    assert seed.ids("共同富裕") == {aid}
    assert seed.search("共同富裕").total == 1                # one row, not two
    with store.write() as conn:
        search.remove_article(conn, aid)
    assert seed.ids("共同富裕") == set()


def test_reindex_indexes_what_is_missing(seed, store):
    aid = seed.article("未索引", "一篇还没有索引的文章讲数字经济。", index=False)
    assert seed.ids("数字经济") == set()
    with store.write() as conn:
        assert search.reindex(conn, only_missing=True) == 1
        assert search.reindex(conn, only_missing=True) == 0
    assert seed.ids("数字经济") == {aid}


def test_indexing_a_store_without_the_search_tables_is_skipped(database_url):
    from zhuanlan.store import Database, migrate

    db = Database(database_url)
    migrate.upgrade(db, "0008")
    with db.write() as conn:
        assert search.index_article(conn, 1, "标题", "正文") is False
    db.dispose()
