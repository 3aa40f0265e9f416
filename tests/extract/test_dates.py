from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from zhuanlan.extract.dates import find_date, parse_date

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(y, mo, d, h=0, mi=0, s=0, offset_hours=8):
    return datetime(y, mo, d, h, mi, s, tzinfo=timezone(timedelta(hours=offset_hours)))


@pytest.mark.parametrize("text, expected", [
    # RFC 822: CST is China (+08:00), not US Central.
    ("Wed, 01 May 2024 10:30:00 CST", at(2024, 5, 1, 10, 30)),
    ("Wed, 1 May 2024 10:30:00 +0800", at(2024, 5, 1, 10, 30)),
    ("Wed, 01 May 2024 02:30:00 GMT", at(2024, 5, 1, 10, 30)),
    ("Wed, 01 May 2024 02:30:00 UTC", at(2024, 5, 1, 10, 30)),
    ("Wed, 01 May 2024 10:30:00 GMT+0800", at(2024, 5, 1, 10, 30)),
    ("01 May 2024 10:30 +0800", at(2024, 5, 1, 10, 30)),
    ("Wed, 01 May 24 10:30:00 CST", at(2024, 5, 1, 10, 30)),
    ("Wed, 01 May 2024 10:30:00", at(2024, 5, 1, 10, 30)),
    # ISO 8601
    ("2024-05-01T10:30:00+08:00", at(2024, 5, 1, 10, 30)),
    ("2024-05-01T02:30:00Z", at(2024, 5, 1, 10, 30)),
    ("2024-05-01T10:30:00.123+0800", at(2024, 5, 1, 10, 30).replace(microsecond=123000)),
    ("2024-05-01T10:30", at(2024, 5, 1, 10, 30)),
    ("20240501T103000+0800", at(2024, 5, 1, 10, 30)),
    # Chinese portal forms
    ("2024-05-01 10:30:00", at(2024, 5, 1, 10, 30)),
    ("2024-05-01 10:30", at(2024, 5, 1, 10, 30)),
    ("2024年05月01日 10:30", at(2024, 5, 1, 10, 30)),
    ("2024年05月01日10:30", at(2024, 5, 1, 10, 30)),
    ("2024年5月1日", at(2024, 5, 1)),
    ("2024年5月1日 下午3:05", at(2024, 5, 1, 15, 5)),
    ("2024年5月1日10时30分", at(2024, 5, 1, 10, 30)),
    ("2024/05/01", at(2024, 5, 1)),
    ("2024/5/1 10:30", at(2024, 5, 1, 10, 30)),
    ("2024.05.01", at(2024, 5, 1)),
    ("２０２４年０５月０１日　１０：３０", at(2024, 5, 1, 10, 30)),
    ("2024-05-01 星期三", at(2024, 5, 1)),
    # gov.cn firstpublishedtime
    ("2024-05-01-10:30:00", at(2024, 5, 1, 10, 30)),
    # epoch seconds and milliseconds
    ("1714530600", at(2024, 5, 1, 10, 30)),
    ("1714530600000", at(2024, 5, 1, 10, 30)),
    ("  2024-05-01 10:30:00  ", at(2024, 5, 1, 10, 30)),
])
def test_parse_date(text, expected):
    got = parse_date(text)
    assert got is not None, text
    assert got.tzinfo is not None and got.utcoffset() is not None
    assert got == expected


@pytest.mark.parametrize("text", [
    "", "   ", "garbage", "星期四", "2024-13-45", "2024-02-30", "12345", "123456789012",
    "Wed, 01 Foo 2024 10:30:00 CST", "2024-05-01 and then some words", "0000-00-00",
    "1714530600.5", "2024年", "http://www.news.cn/2024-05/01/c.htm", "9999-01-01",
])
def test_garbage_is_none(text):
    assert parse_date(text) is None


def test_none_and_non_str():
    assert parse_date(None) is None  # type: ignore[arg-type]
    assert parse_date(20240501) is None  # type: ignore[arg-type]


def test_naive_values_take_default_tz():
    got = parse_date("2024-05-01 10:30:00")
    assert got.tzinfo == SHANGHAI
    utc = parse_date("2024-05-01 10:30:00", default_tz="UTC")
    assert utc == datetime(2024, 5, 1, 10, 30, tzinfo=UTC)
    obj = parse_date("2024-05-01 10:30:00", default_tz=ZoneInfo("Europe/Berlin"))
    assert obj.utcoffset() == timedelta(hours=2)


def test_explicit_offset_wins_over_default():
    got = parse_date("2024-05-01T10:30:00+08:00", default_tz="UTC")
    assert got == at(2024, 5, 1, 10, 30)


def test_cst_is_china_not_us_central():
    got = parse_date("Wed, 01 May 2024 10:30:00 CST")
    assert got.utcoffset() == timedelta(hours=8)


def test_epoch_milliseconds_keep_fraction():
    got = parse_date("1714530600250")
    assert got.microsecond == 250000


@pytest.mark.parametrize("text, expected", [
    ("发布时间：2024年05月01日 10:30　来源：新华社", at(2024, 5, 1, 10, 30)),
    # A top bar's date without time loses to the info line's date with time.
    ("今天是2024年5月8日 星期三\n2024年05月06日08:15 | 来源：人民网", at(2024, 5, 6, 8, 15)),
    ("日期：2024-04-28", at(2024, 4, 28)),
    ("no date here 12:30", None),
    ("", None),
])
def test_find_date(text, expected):
    assert find_date(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("9/17/2004 5:54:13 AM", "2004-09-17T05:54:13+08:00"),
    ("7/5/2005 9:23:57 PM", "2005-07-05T21:23:57+08:00"),
    ("12/1/2005 12:05 am", "2005-12-01T00:05:00+08:00"),
])
def test_month_day_year_with_a_12_hour_clock(text, expected):
    assert parse_date(text).isoformat() == expected
    assert find_date(f"发表于 {text} 阅读 12").isoformat() == expected


def test_slashed_date_without_a_clock_is_not_guessed_as_month_day():
    assert parse_date("7/5/2005") is None
