"""The scoring shared by bench/extraction.py and the extraction gate."""

from datetime import UTC, datetime

import pytest

from zhuanlan.extract.evaluation import (
    PageScore,
    body_counts,
    date_match,
    normalize_title,
    summarize,
    title_match,
)


def test_body_counts_are_normalised_bags_of_characters():
    assert body_counts("学习二十大", "学习二十大", "zh") == (1.0, 0.0, 0.0)
    tp, fp, fn = body_counts("学习，学习！", "学习", "zh")      # punctuation is not counted
    assert (tp, fp, fn) == pytest.approx((0.5, 0.5, 0.0))
    assert body_counts("學習", "学习", "zh") == (1.0, 0.0, 0.0)   # Traditional → Simplified
    assert body_counts("ＡＢ１", "AB1", "zh") == (1.0, 0.0, 0.0)  # NFKC
    assert body_counts("the cat sat", "the cat", "en") == pytest.approx((2 / 3, 1 / 3, 0))
    assert body_counts("", "", "zh") == (0.0, 0.0, 0.0)


def test_summary_averages_per_page():
    pages = [PageScore("a", True, True, tp=1.0), PageScore("b", True, True, tp=0.5, fp=0.5),
             PageScore("c", False, True, fn=1.0)]
    s = summarize(pages)
    assert s.precision == pytest.approx(0.75)           # over pages with output
    assert s.recall == pytest.approx(2 / 3)             # over pages with ground truth
    assert s.f1 == pytest.approx(2 * 0.75 * (2 / 3) / (0.75 + 2 / 3))
    assert s.failures == ["c"]


def test_titles_match_after_normalisation():
    assert normalize_title("學習 貫徹「二十大」精神！") == "学习贯彻二十大精神"
    assert title_match("学习贯彻 二十大精神", "學習貫徹二十大精神")
    assert not title_match("学习贯彻二十大精神_人民网", "学习贯彻二十大精神")
    assert not title_match("anything", None)


def test_dates_match_on_the_beijing_day():
    late_utc = datetime(2024, 4, 30, 17, 0, tzinfo=UTC)   # 01:00 on May 1st in Beijing
    assert date_match(late_utc, "2024-05-01")
    assert date_match("2024-05-01T10:30:00+08:00", "2024-05-01")
    assert not date_match(None, "2024-05-01")
    assert not date_match("garbage", "2024-05-01")
