"""Issue 17: pages on which the extractor failed while generic extractors did not, as
small pages written for the tests (tests/fixtures/extract/README.md)."""

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from zhuanlan.extract.params import DEFAULT_PARAMS, candidate_params
from zhuanlan.jobs.extraction import ExtractFailure, ExtractTask, run_task
from zhuanlan.model import Article

PAGES = Path(__file__).resolve().parents[1] / "fixtures" / "extract"
CHINA = ZoneInfo("Asia/Shanghai")


def run(name: str, url: str, **kw) -> Article | ExtractFailure:
    raw = (PAGES / f"{name}.html").read_bytes()
    return run_task(ExtractTask(0, url, raw, "utf-8", "Asia/Shanghai", **kw))


def test_a_short_brief_under_its_headline_is_kept_and_flagged():
    article = run("short_brief", "https://news.example.cn/2024/0308/c1-2.html")
    assert isinstance(article, Article)
    assert article.text == "市图书馆自本周六起延长周末开放时间至晚上九点。\n借阅和自习区域同步开放。"
    assert "short" in article.flags
    assert article.published == datetime(2024, 3, 8, 9, 15, tzinfo=CHINA)


def test_a_headline_in_a_div_counts_too():
    html = (PAGES / "short_brief.html").read_text("utf-8").replace(
        "<h1>市图书馆延长周末开放时间</h1>", '<div class="biaoti">市图书馆延长周末开放时间</div>')
    article = run_task(ExtractTask(0, "https://news.example.cn/2024/0308/c1-2.html",
                                   html.encode(), "utf-8", "Asia/Shanghai"))
    assert isinstance(article, Article) and "short" in article.flags
    assert article.text.startswith("市图书馆自本周六起")


def test_the_minimum_length_is_a_setting():
    article = run("short_brief", "https://news.example.cn/2024/0308/c1-2.html", min_chars=20)
    assert isinstance(article, Article) and "short" not in article.flags


def test_a_short_block_that_is_not_clearly_the_article_is_rejected():
    # The same brief without its headline: nothing says it is the page's article.
    html = (PAGES / "short_brief.html").read_text("utf-8").replace(
        "<h1>市图书馆延长周末开放时间</h1>", "")
    outcome = run_task(ExtractTask(0, "https://news.example.cn/x.html", html.encode(), "utf-8",
                                   "Asia/Shanghai"))
    assert isinstance(outcome, ExtractFailure) and outcome.reason == "too_short"


def test_an_article_in_sections_of_one_class_is_read_whole():
    article = run("sections", "https://poems.example.cn/p/21337")
    assert isinstance(article, Article)
    for part in ("春风吹入小院时", "春风吹进小小的院子", "小院：小小的庭院", "全诗以“独坐”为眼"):
        assert part in article.text
    assert "静夜思" not in article.text            # the sidebar stays out
    assert "body_widened" in article.flags         # the decision is logged


def test_widening_off_keeps_the_scorers_box():
    from dataclasses import replace
    article = run("sections", "https://poems.example.cn/p/21337",
                  params=replace(DEFAULT_PARAMS, widen_levels=0))
    assert isinstance(article, Article)
    assert "春风吹入小院时" in article.text and "全诗以“独坐”为眼" not in article.text


def test_a_date_in_a_related_list_is_not_the_articles():
    article = run("related_dates", "https://news.example.cn/sq/2024/0415/a99.html")
    assert isinstance(article, Article)
    assert article.published == datetime(2024, 4, 15, tzinfo=CHINA)


def test_the_date_consistent_with_the_urls_month_wins():
    article = run("blog_month", "https://blog.example.cn/archives.php?date=200503&blogID=18")
    assert isinstance(article, Article)
    assert article.published == datetime(2005, 3, 21, 1, 20, 44, tzinfo=CHINA)


@pytest.mark.parametrize("url", ["https://blog.example.cn/archives.php?blogID=18",
                                 "https://blog.example.cn/2006/08/10/x.html"])
def test_without_a_disagreeing_url_the_order_of_trust_stands(url):
    article = run("blog_month", url)
    assert isinstance(article, Article)
    assert article.published is not None and article.published.date().isoformat() == "2006-08-10"


def test_the_tuners_candidates_include_the_defaults_once():
    candidates = candidate_params()
    assert candidates[0] == DEFAULT_PARAMS
    assert len(candidates) == len(set(candidates)) <= 40


def test_when_trafilatura_was_asked_and_lost_the_decision_is_logged_too():
    # A schedule in short lines: next to no prose, so trafilatura is asked; it finds the
    # same lines, no better case, and the scorer's body stays — flagged for analysis.
    from zhuanlan.extract.article import BODY_KEPT, extract_article
    rows = "".join(f"<p>第{i}场 2024年3月{i}日 市民文化中心 展演 免费入场 领票地点 一楼服务台</p>"
                   for i in range(1, 9))
    html = (f'<html><head><title>春季文化活动安排</title></head><body><div class="content">'
            f'<h1>春季文化活动安排</h1><p>2024-03-01 09:00 来源：市文化馆</p>{rows}'
            f'</div></body></html>')
    article = extract_article(html, "https://news.example.cn/2024/0301/c1-9.html")
    assert BODY_KEPT in article.flags and "body_trafilatura" not in article.flags
    assert article.text.startswith("第1场 2024年3月1日")
