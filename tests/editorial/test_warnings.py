"""The warnings about a column's next scheduled issue, as a pure function."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from zhuanlan.editorial.warnings import next_issue_warnings, when_text

TZ = "Asia/Shanghai"
NOW = datetime(2026, 3, 4, 2, 0, tzinfo=UTC)                  # Wednesday
NEXT = datetime(2026, 3, 9, 1, 0, tzinfo=UTC)                 # Monday 09:00 in Beijing
FOLLOWING = NEXT + timedelta(days=7)


def _warn(**kw):
    args = dict(now=NOW, tz=TZ, next_run_at=NEXT, following_run_at=FOLLOWING, count=2,
                note="", note_at=None, last_issue_at=None, max_age_days=None,
                item_dates=[NOW, NOW])
    args.update(kw)
    return [(w.kind, w.text) for w in next_issue_warnings(**args)]


def test_the_time_is_said_in_the_columns_zone():
    assert when_text(NEXT, TZ) == "3月9日（周一）09:00"


def test_nothing_to_warn_about():
    assert _warn(note="本期编者按", note_at=NOW - timedelta(days=1),
                 last_issue_at=NOW - timedelta(days=2), max_age_days=7) == []


def test_an_empty_issue_is_not_sent_and_the_schedule_moves_on():
    assert _warn(count=0, item_dates=[]) == [(
        "empty", "3月9日（周一）09:00 将不会发出：还没有已通过的稿件"
                 "（没有稿件时不发空的一期，推送顺延到 3月16日（周一）09:00）。")]


def test_a_note_saved_before_the_last_issue_is_old():
    assert _warn(note="旧", note_at=NOW - timedelta(days=3),
                 last_issue_at=NOW - timedelta(days=2)) == [(
        "old_note", "编者按保存于 2026年3月1日，早于上一期（2026年3月2日）的发布："
                    "3月9日（周一）09:00 将带着这条旧的编者按发出。")]
    # Unknown time, but an issue has gone out: it may be the old one.
    assert _warn(note="旧", last_issue_at=NOW)[0][0] == "old_note"
    # Unknown time and no issue yet: nothing to say.
    assert _warn(note="新") == []


def test_a_note_older_than_one_interval_is_old():
    kinds = _warn(note="旧", note_at=NOW - timedelta(days=8))
    assert kinds == [("old_note", "编者按保存于 2026年2月24日，已超过一个推送周期："
                                  "3月9日（周一）09:00 将带着这条旧的编者按发出。")]


def test_items_older_than_the_window_at_the_issues_time():
    old = NEXT - timedelta(days=9)
    edge = NEXT - timedelta(days=7, hours=-1)      # still inside the window at 09:00
    assert _warn(max_age_days=7, count=3, item_dates=[old, edge, None]) == [(
        "old_items", "1 篇已通过的稿件早于本栏目 7 天的时间范围（最早 2026年2月28日）："
                     "3月9日（周一）09:00 将随这一期发出。")]
