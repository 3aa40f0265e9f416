"""Cron schedules read in the column's time zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from zhuanlan.errors import RuleError
from zhuanlan.publish.schedule import describe, next_run, validate_cron

UTC = UTC


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize("expr, tz, after, expected", [
    # Monday 09:00 in Shanghai is 01:00 UTC Monday (2026-11-23 is a Monday).
    ("0 9 * * 1", "Asia/Shanghai", utc(2026, 11, 20, 0, 0), utc(2026, 11, 23, 1, 0)),
    # Strictly after: exactly at the fire time gives the next week's.
    ("0 9 * * 1", "Asia/Shanghai", utc(2026, 11, 23, 1, 0), utc(2026, 11, 30, 1, 0)),
    ("0 9 * * 1", "Asia/Shanghai", utc(2026, 11, 23, 0, 59, 59), utc(2026, 11, 23, 1, 0)),
    # Sunday 20:00 UTC is already Monday 04:00 in Shanghai.
    ("0 9 * * 1", "Asia/Shanghai", utc(2026, 11, 22, 20, 0), utc(2026, 11, 23, 1, 0)),
    ("0 9 * * *", "Asia/Shanghai", utc(2026, 11, 23, 2, 0), utc(2026, 11, 24, 1, 0)),
    ("0 * * * *", "Asia/Shanghai", utc(2026, 11, 23, 2, 30), utc(2026, 11, 23, 3, 0)),
    ("*/15 * * * *", "UTC", utc(2026, 11, 23, 2, 1), utc(2026, 11, 23, 2, 15)),
    ("0 9 1 * *", "Asia/Shanghai", utc(2026, 11, 23), utc(2026, 12, 1, 1, 0)),
    ("30 8 * * 1-5", "Asia/Shanghai", utc(2026, 11, 27, 1, 0), utc(2026, 11, 30, 0, 30)),
    ("@daily", "Asia/Shanghai", utc(2026, 11, 23, 2, 0), utc(2026, 11, 23, 16, 0)),
    # Berlin: 09:00 is 08:00 UTC in winter (CET) and 07:00 UTC in summer (CEST).
    ("0 9 * * *", "Europe/Berlin", utc(2026, 3, 28, 12, 0), utc(2026, 3, 29, 7, 0)),
    ("0 9 * * *", "Europe/Berlin", utc(2026, 3, 27, 12, 0), utc(2026, 3, 28, 8, 0)),
    ("0 9 * * *", "Europe/Berlin", utc(2026, 10, 24, 12, 0), utc(2026, 10, 25, 8, 0)),
    # Spring forward (2026-03-29, 02:00 → 03:00): 02:30 does not exist and fires at
    # the change, 03:00 CEST = 01:00 UTC, rather than being skipped.
    ("30 2 * * *", "Europe/Berlin", utc(2026, 3, 28, 12, 0), utc(2026, 3, 29, 1, 0)),
    ("30 2 * * *", "Europe/Berlin", utc(2026, 3, 29, 1, 0), utc(2026, 3, 30, 0, 30)),
    # Fall back (2026-10-25, 03:00 → 02:00): 02:30 happens twice and fires once,
    # at its first occurrence (CEST, 00:30 UTC).
    ("30 2 * * *", "Europe/Berlin", utc(2026, 10, 24, 12, 0), utc(2026, 10, 25, 0, 30)),
    ("30 2 * * *", "Europe/Berlin", utc(2026, 10, 25, 0, 30), utc(2026, 10, 26, 1, 30)),
    ("30 2 * * *", "Europe/Berlin", utc(2026, 10, 25, 1, 15), utc(2026, 10, 26, 1, 30)),
    # New York springs forward on 2026-03-08.
    ("0 9 * * *", "America/New_York", utc(2026, 3, 7, 20, 0), utc(2026, 3, 8, 13, 0)),
])
def test_next_run(expr, tz, after, expected):
    got = next_run(expr, tz, after)
    assert got == expected
    assert got.tzinfo == UTC


def test_next_run_accepts_any_aware_after():
    shanghai = timezone(timedelta(hours=8))
    after = datetime(2026, 11, 20, 8, 0, tzinfo=shanghai)
    assert next_run("0 9 * * 1", "Asia/Shanghai", after) == utc(2026, 11, 23, 1, 0)


def test_hourly_through_fall_back_never_repeats_or_goes_back():
    after = utc(2026, 10, 24, 22, 0)
    seen = []
    for _ in range(8):
        after = next_run("*/30 * * * *", "Europe/Berlin", after)
        seen.append(after)
    assert seen == sorted(set(seen))


def test_every_fire_through_spring_forward_is_increasing():
    after = utc(2026, 3, 28, 23, 0)
    seen = []
    for _ in range(8):
        after = next_run("*/20 * * * *", "Europe/Berlin", after)
        seen.append(after)
    assert seen == sorted(set(seen))
    assert utc(2026, 3, 29, 1, 0) in seen          # the gap's times fire at the change


def test_naive_after_is_refused():
    with pytest.raises(ValueError):
        next_run("0 9 * * 1", "Asia/Shanghai", datetime(2026, 11, 20))


def test_unknown_time_zone():
    with pytest.raises(RuleError) as err:
        next_run("0 9 * * 1", "Asia/Beijing", utc(2026, 11, 20))
    assert "Asia/Beijing" in err.value.message
    assert err.value.resource == "schedule"


@pytest.mark.parametrize("expr, normal", [
    ("0 9 * * 1", "0 9 * * 1"),
    ("  0   9 * *   1 ", "0 9 * * 1"),
    ("@weekly", "0 0 * * 0"),
    ("0 9 * * mon-fri", "0 9 * * mon-fri"),
    ("0 0 29 2 *", "0 0 29 2 *"),
])
def test_validate_cron_normalises(expr, normal):
    assert validate_cron(expr) == normal


@pytest.mark.parametrize("expr, words", [
    ("", ["为空"]),
    ("* * * *", ["4 个字段", "需要 5 个"]),
    ("0 9 * * 1 2026", ["6 个字段"]),
    ("60 9 * * 1", ["第 1 个字段", "分钟", "60"]),
    ("0 24 * * 1", ["第 2 个字段", "小时", "24"]),
    ("0 9 0 * *", ["第 3 个字段", "日"]),
    ("0 9 * 13 *", ["第 4 个字段", "月", "13"]),
    ("0 9 * * 8", ["第 5 个字段", "星期", "8"]),
    ("0 nine * * 1", ["第 2 个字段", "nine"]),
    ("*/0 * * * *", ["第 1 个字段"]),
    ("0 0 31 2 *", ["永远不会触发"]),
])
def test_malformed_cron_names_the_problem(expr, words):
    with pytest.raises(RuleError) as err:
        validate_cron(expr)
    assert err.value.resource == "schedule"
    for word in words:
        assert word in err.value.message, (word, err.value.message)


def test_next_run_rejects_malformed():
    with pytest.raises(RuleError):
        next_run("0 25 * * *", "Asia/Shanghai", utc(2026, 11, 20))


@pytest.mark.parametrize("expr, text", [
    ("0 9 * * *", "每天 09:00"),
    ("0 9 * * 1", "每周一 09:00"),
    ("0 9 * * 0", "每周日 09:00"),
    ("0 9 * * 7", "每周日 09:00"),
    ("30 8 * * 1-5", "每周一至周五 08:30"),
    ("0 9 * * 1,3,5", "每周一、三、五 09:00"),
    ("0 9 * * mon", "每周一 09:00"),
    ("0 * * * *", "每小时"),
    ("15 * * * *", "每小时第 15 分"),
    ("*/10 * * * *", "每 10 分钟"),
    ("0 9 1 * *", "每月 1 日 09:00"),
    ("0 9 1 1 *", "0 9 1 1 *"),
    ("0 9,18 * * *", "0 9,18 * * *"),
    ("not a cron", "not a cron"),
])
def test_describe(expr, text):
    assert describe(expr) == text
