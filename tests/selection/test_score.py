"""BM25F relevance, corpus statistics and highlighting."""

import json
import math

import pytest

from zhuanlan.selection import CorpusStats, highlight, parse_rules, relevance
from zhuanlan.selection.score import K1, MIN_DOCS_FOR_IDF, W_TITLE

TITLE = "深入学习贯彻党的二十大精神 推进中国式现代化"
TEXT = "党的二十大报告指出，要加快培育新质生产力。学习二十大精神。召开二十大会议。"


def test_score_and_reasons():
    rel = relevance(["二十大", "新质生产力", "体育"], TITLE, TEXT)
    assert rel.terms == ("二十大", "新质生产力")
    first = rel.hits[0]
    assert (first.title_count, first.body_count) == (1, 3)
    assert rel.score == pytest.approx(sum(h.weight for h in rel.hits), abs=1e-3)
    assert rel.reason() == "命中：二十大（标题 1，正文 3）；新质生产力（正文 1）"
    assert relevance(["体育"], TITLE, TEXT).score == 0
    assert relevance(["体育"], TITLE, TEXT).reason() == "未命中任何词"


def test_spans_point_at_the_terms():
    rel = relevance(["二十大"], TITLE, TEXT)
    hit = rel.hits[0]
    assert [TITLE[s:e] for s, e in hit.title_spans] == ["二十大"]
    assert [TEXT[s:e] for s, e in hit.body_spans] == ["二十大"] * 3


def test_title_weighs_more_than_body():
    in_title = relevance(["二十大"], "学习二十大", "今天开会。")
    in_body = relevance(["二十大"], "今天开会", "学习二十大。")
    assert in_title.score > in_body.score > 0


def test_saturation():
    scores = [relevance(["二十大"], "", "学习二十大。" * n).score for n in (1, 2, 5, 20)]
    assert scores == sorted(scores)
    # Bounded by idf · (K1 + 1) without statistics (idf 1), whatever the repetitions.
    assert scores[-1] < K1 + 1
    assert scores[1] - scores[0] > scores[3] - scores[2]


def test_length_normalisation():
    short = relevance(["二十大"], "", "学习二十大。")
    long = relevance(["二十大"], "", "学习二十大。" + "今天天气很好，大家出去散步。" * 200)
    assert short.score > long.score


def test_title_only_terms_count_in_title_only():
    rules = parse_rules("二十大", title_terms="新质生产力")
    (term,) = [t for t in rules.terms() if t.text == "新质生产力"]
    assert relevance([term], TITLE, TEXT).score == 0
    assert relevance([term], "发展新质生产力", TEXT).score > 0


def test_corpus_stats_idf_and_incremental():
    stats = CorpusStats()
    docs = [("学习二十大", "二十大 精神"), ("体育新闻", "比赛 结果 球队")] * 15
    for title, text in docs:
        stats.add_text(title, text)
    assert stats.n_docs == 30 >= MIN_DOCS_FOR_IDF
    assert stats.df("二十大") == 15 and stats.df("比赛") == 15 and stats.df("没有") == 0
    rare = CorpusStats.from_dict(stats.to_dict())
    rare.add_text("新质生产力", "新质生产力")
    assert rare.idf("新质生产力") > rare.idf("二十大") > 0
    rare.remove_text("新质生产力", "新质生产力")
    assert rare.to_dict() == stats.to_dict()
    assert stats.avg_len == pytest.approx(sum(len(t.split()) for _, t in docs) / 30)


def test_stats_serialise_as_json():
    stats = CorpusStats()
    stats.add(["中国式现代化", "中国", "现代化"], ["学习"])
    data = json.loads(json.dumps(stats.to_dict(), ensure_ascii=False))
    again = CorpusStats.from_dict(data)
    assert again.to_dict() == stats.to_dict() and again.df("现代化") == 1
    assert again.avg_title_len == 1 and again.avg_len == 3


def test_multi_word_term_df_is_bounded_by_its_words():
    stats = CorpusStats()
    stats.add(["两个", "确立"])
    stats.add(["两个"])
    assert stats.df("两个 确立") == 1          # min(两个: 2, 确立: 1)
    assert stats.df("两个 没有") == 0


def test_defaults_without_stats():
    empty = CorpusStats()
    assert empty.idf("二十大") == 1.0 and empty.avg_len > 0 and empty.avg_title_len > 0
    assert relevance(["二十大"], TITLE, TEXT, None).score == relevance(["二十大"], TITLE, TEXT,
                                                                    empty).score


def test_stats_change_scores():
    stats = CorpusStats()
    for i in range(40):
        stats.add_text(f"标题{i}", "二十大 " * (i % 2) + "其他 内容")
    common = relevance(["二十大"], "", "学习二十大", stats).score
    stats2 = CorpusStats()
    for i in range(40):
        stats2.add_text(f"标题{i}", "其他 内容")
    rare = relevance(["二十大"], "", "学习二十大", stats2).score
    assert rare > common > 0
    assert math.isfinite(rare)


def test_highlight_spans_over_the_original():
    text = "学习二十大精神，推进中国式现代化。二十大会议在京召开。人民币稳定。"
    spans = highlight(text, ["二十大", "中国式现代化", "人民"])
    assert [text[s:e] for s, e in spans] == ["二十大", "中国式现代化", "二十大"]


def test_highlight_text_that_cleaning_would_change():
    # Traditional characters and full-width letters are found in place; the pinyin
    # annotation that cleaning removes does not shift the offsets.
    text = "學(xué)習黨的二十大精神，ＧＤＰ增長。"
    spans = highlight(text, ["二十大", "GDP"])
    assert [text[s:e] for s, e in spans] == ["二十大", "ＧＤＰ"]


def test_highlight_merges_overlaps_and_accepts_parsed_terms():
    text = "深入学习贯彻党的二十大精神"
    rules = parse_rules("党的二十大 OR 二十大")
    spans = highlight(text, rules.terms())
    assert [text[s:e] for s, e in spans] == ["党的二十大"]
    assert highlight("", ["二十大"]) == [] and highlight(text, []) == []


def test_title_weight_constant():
    assert W_TITLE == 3.0
