"""Dates as Chinese sources write them, read into timezone-aware datetimes.

Why our own parser: feedparser reads ``CST`` as US Central (14 hours off for a Chinese
feed), turns ``2024年05月01日`` and ``2024/05/01`` into November 1st of the current year
and epoch seconds into 2017 (see FACTS.md). Every date a feed or page gives goes through
:func:`parse_date` instead.

Understood forms (full-width digits and punctuation are accepted too)::

    Wed, 01 May 2024 10:30:00 CST      RFC 822; CST is China +08:00, also GMT/UTC/+0800
    2024-05-01T10:30:00+08:00          ISO 8601 (Z, +08:00, +0800, fractions)
    2024-05-01 10:30:00                2024/05/01, 2024.05.01, with or without time
    2024年05月01日 10:30               2024年5月1日, 2024年5月1日10时30分, 下午3:05
    2024-05-01-10:30:00                gov.cn's firstpublishedtime
    1714530600 / 1714530600000         epoch seconds (10 digits) / milliseconds (13)
    9/17/2004 5:54:13 AM               month/day/year, only with a 12-hour clock (ASP pages)

A value without an offset is read in ``default_tz`` (Asia/Shanghai unless told).
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo

__all__ = ["parse_date", "find_date", "has_date"]

_CHINA = timezone(timedelta(hours=8), "CST")

# Zone abbreviations. CST means China Standard Time here: our sources are Chinese,
# and a US-Central reading would put every such date 14 hours off.
_ZONES: dict[str, tzinfo] = {
    "CST": _CHINA, "BJT": _CHINA, "CCT": _CHINA, "HKT": _CHINA,
    "GMT": UTC, "UTC": UTC, "UT": UTC, "Z": UTC,
    "JST": timezone(timedelta(hours=9)),
    "EST": timezone(timedelta(hours=-5)), "EDT": timezone(timedelta(hours=-4)),
    "CDT": timezone(timedelta(hours=-5)),
    "MST": timezone(timedelta(hours=-7)), "MDT": timezone(timedelta(hours=-6)),
    "PST": timezone(timedelta(hours=-8)), "PDT": timezone(timedelta(hours=-7)),
}

_MONTHS = {m: i for i, m in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1)}

_TZ = r"(?P<tz>Z|[+-]\d{2}:?\d{2}|[+-]\d{2}|[A-Za-z]{1,5})"

# "Wed, 01 May 2024 10:30:00 CST" — weekday optional, seconds optional, year 2 or 4 digits.
_RFC822 = re.compile(
    r"^(?:[A-Za-z]{3,9},?\s+)?(?P<d>\d{1,2})\s+(?P<mon>[A-Za-z]{3,9})\.?\s+(?P<y>\d{2,4})"
    r"(?:\s+(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2}))?)?"
    r"(?:\s*(?:GMT|UTC)?" + _TZ + r")?$")

# Numeric dates: 2024-05-01, 2024/5/1, 2024.05.01, 2024年5月1日, 20240501, then an optional
# time after "T", spaces, or gov.cn's "-" (2024-05-01-10:30:00).
_NUMERIC = re.compile(
    r"(?<!\d)(?P<y>\d{4})(?:(?P<sep>[-/.])|\s*年\s*)(?P<m>\d{1,2})(?:(?P=sep)|\s*月\s*)"
    r"(?P<d>\d{1,2})(?!\d)(?:\s*日)?"
    r"(?:(?:[T\s]+|-|\s*(?:星期.|周.)?\s*)(?P<ampm>上午|下午|晚上|凌晨|中午)?\s*"
    r"(?P<H>\d{1,2})\s*[:时點点]\s*(?P<M>\d{1,2})(?:\s*[:分]\s*(?P<S>\d{1,2})(?:\.(?P<f>\d{1,6})\d*)?)?"
    r"\s*(?:秒|分)?"
    # An offset is only read after a time of day; "Z" must not be the start of a word.
    r"(?:\s*(?P<tz>Z|[+-]\d{2}:?\d{2}|GMT|UTC|CST|BJT)(?![A-Za-z]))?)?")

# ISO 8601 basic format, as some feeds and CMS exports write it: 20240501T103000+0800.
_COMPACT = re.compile(
    r"^(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})(?:T?(?P<H>\d{2})(?P<M>\d{2})(?P<S>\d{2})?)?"
    r"\s*" + _TZ + r"?$")

_EPOCH = re.compile(r"^(?P<n>\d{10}|\d{13})$")

# Month/day/year with a 12-hour clock, as ASP / IIS pages print ``Now()``
# ("9/17/2004 5:54:13 AM"). Only read with its AM/PM: without it "7/5/2005" may as well
# be day/month.
_US_CLOCK = re.compile(
    r"(?<!\d)(?P<m>\d{1,2})/(?P<d>\d{1,2})/(?P<y>\d{4})\s+(?P<H>\d{1,2}):(?P<M>\d{2})"
    r"(?::(?P<S>\d{2}))?\s*(?P<ampm>[AaPp][Mm])(?![A-Za-z])")


def _from_us_clock(m: re.Match[str], default: tzinfo) -> datetime | None:
    hh = int(m.group("H")) % 12
    if m.group("ampm").lower() == "pm":
        hh += 12
    return _build(int(m.group("y")), int(m.group("m")), int(m.group("d")), hh,
                  int(m.group("M")), int(m.group("S") or 0), 0, None, default)


def has_date(text: str) -> bool:
    """Whether ``text`` holds something :func:`find_date` reads as a date."""
    s = unicodedata.normalize("NFKC", text or "")
    return bool(_NUMERIC.search(s) or _US_CLOCK.search(s))


@lru_cache(maxsize=32)
def _zone(name: str) -> tzinfo:
    return ZoneInfo(name)


def _default_zone(default_tz: tzinfo | str) -> tzinfo:
    if isinstance(default_tz, str):
        return _zone(default_tz)
    return default_tz


def _offset(tz: str | None) -> tzinfo | None:
    """The tzinfo for an offset or abbreviation; None when absent or unknown.

    An unknown abbreviation is treated like no zone at all (read in the default zone)
    rather than failing the whole date: the day is still right.
    """
    if not tz:
        return None
    up = tz.upper()
    if up in _ZONES:
        return _ZONES[up]
    m = re.fullmatch(r"([+-])(\d{2}):?(\d{2})?", tz)
    if not m:
        return None
    hours, minutes = int(m.group(2)), int(m.group(3) or 0)
    if hours > 14 or minutes > 59:
        return None
    delta = timedelta(hours=hours, minutes=minutes)
    return timezone(-delta if m.group(1) == "-" else delta)


def _build(y: int, mo: int, d: int, hh: int, mm: int, ss: int, us: int,
           tz: tzinfo | None, default: tzinfo) -> datetime | None:
    # Years outside this window are misreadings (a phone number, an article id).
    if not 1900 <= y <= 2100:
        return None
    if ss == 60:  # a leap second written out; datetime has no room for it
        ss = 59
    try:
        return datetime(y, mo, d, hh, mm, ss, us, tzinfo=tz or default)
    except ValueError:
        return None


def _from_numeric(m: re.Match[str], default: tzinfo) -> datetime | None:
    hh = int(m.group("H") or 0)
    ampm = m.groupdict().get("ampm")
    if ampm in ("下午", "晚上") and hh < 12:
        hh += 12
    elif ampm == "凌晨" and hh == 12:
        hh = 0
    frac = m.groupdict().get("f") or ""
    us = int(frac.ljust(6, "0")) if frac else 0
    return _build(int(m.group("y")), int(m.group("m")), int(m.group("d")), hh,
                  int(m.group("M") or 0), int(m.group("S") or 0), us,
                  _offset(m.group("tz")), default)


def _normalise(text: str) -> str:
    # NFKC turns full-width digits, colons and slashes (２０２４／０５／０１) into ASCII;
    # it leaves 年月日 alone.
    text = unicodedata.normalize("NFKC", text)
    return " ".join(text.split())


def parse_date(text: str, default_tz: ZoneInfo | tzinfo | str = "Asia/Shanghai") -> datetime | None:
    """Read one date written alone (a feed's pubDate, a meta tag's content).

    Returns an aware datetime, or None when ``text`` is not a date this module knows
    (garbage never raises). Raises ``ZoneInfoNotFoundError`` only when ``default_tz``
    names no time zone, which is a programming error.
    """
    if not text or not isinstance(text, str):
        return None
    default = _default_zone(default_tz)
    s = _normalise(text)
    if not s or len(s) > 200:
        return None

    m = _EPOCH.match(s)
    if m:
        n = int(m.group("n"))
        seconds = n / 1000 if len(m.group("n")) == 13 else n
        try:
            return datetime.fromtimestamp(seconds, UTC).astimezone(default)
        except (OverflowError, OSError, ValueError):
            return None

    m = _RFC822.match(s)
    if m:
        mon = _MONTHS.get(m.group("mon")[:3].lower())
        if mon is None:
            return None
        y = int(m.group("y"))
        if y < 100:  # RFC 822 two-digit years
            y += 2000 if y < 70 else 1900
        return _build(y, mon, int(m.group("d")), int(m.group("H") or 0),
                      int(m.group("M") or 0), int(m.group("S") or 0), 0,
                      _offset(m.group("tz")), default)

    m = _COMPACT.match(s)
    if m:
        return _build(int(m.group("y")), int(m.group("m")), int(m.group("d")),
                      int(m.group("H") or 0), int(m.group("M") or 0), int(m.group("S") or 0),
                      0, _offset(m.group("tz")), default)

    m = _US_CLOCK.fullmatch(s)
    if m:
        return _from_us_clock(m, default)

    m = _NUMERIC.match(s)
    # The whole value must be the date (trailing words such as a weekday are allowed):
    # "2024-05-01 foo 13" is not read as a date with junk.
    if m and _only_trailing_noise(s[m.end():]):
        return _from_numeric(m, default)
    return None


def _only_trailing_noise(rest: str) -> bool:
    rest = rest.strip(" ,，()（）")
    return not rest or re.fullmatch(r"(?:星期|周|礼拜)[一二三四五六日天]", rest) is not None


def find_date(text: str, default_tz: ZoneInfo | tzinfo | str = "Asia/Shanghai") -> datetime | None:
    """The first well-formed date inside running text (``发布时间：2024年05月01日 10:30``).

    Prefers a date with a time of day over one without, since a page's top bar often
    shows today's date without a time while the article's info line gives both.
    Returns None when there is none; never raises for garbage.
    """
    if not text:
        return None
    default = _default_zone(default_tz)
    s = unicodedata.normalize("NFKC", text)
    first_day_only: datetime | None = None
    for m in _NUMERIC.finditer(s):
        found = _from_numeric(m, default)
        if found is None:
            continue
        if m.group("H") is not None:
            return found
        if first_day_only is None:
            first_day_only = found
    us = _US_CLOCK.search(s)
    if us is not None:
        found = _from_us_clock(us, default)
        if found is not None:
            return found
    return first_day_only
