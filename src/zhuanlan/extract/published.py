"""When an article was published, from what the page says about it.

In order of trust:

1. a publication-time ``<meta>`` tag (gov.cn ``firstpublishedtime``, 人民网 ``publishdate``,
   Open Graph …), refined with the time of day of the info line when it gives only the day;
2. the info line near the headline (``2024年05月01日 10:30 来源：…``): the first short line
   with a date in the few lines after the headline (or just before it);
3. the date in the URL (``/2024/0506/``, ``/20240501/``, ``t20240501_``);
4. a labelled date anywhere (``发布时间：``, ``日期：``);
5. the first short date line of the page that is not in its frame.

Never a date from the footer or copyright line, nor from a related-articles list (lines
that are list items with a title and a date, and the lines under a 相关阅读 / 相关新闻 /
网友评论 heading), nor a date in running text (a line where the date is a small part of a
sentence). trafilatura's own date is not used: on the corpus it often takes the copyright
year (read as January 1st) or a related article's date.

With several candidates, the one consistent with the URL's date wins (issue 17): when the
URL names a day (``/2024/0506/``) or a month (``?date=200503``) and the date chosen by the
order above falls elsewhere, the first date line of the page that agrees with the URL is
taken instead (a blog's home page, a template's "today" bar).
"""

from __future__ import annotations

import re
from datetime import datetime, time
from zoneinfo import ZoneInfo

from zhuanlan.extract.dates import find_date, has_date, parse_date

__all__ = ["published", "url_date", "DATE_META"]

# Meta tags that carry the publication time, most trustworthy first. gov.cn writes
# firstpublishedtime ("2024-05-01-10:30:00"); 人民网 publishdate; Open Graph / schema.org
# the rest.
DATE_META = ("firstpublishedtime", "publishdate", "pubdate", "publishtime", "publish_time",
             "article:published_time", "og:article:published_time", "og:release_date",
             "datepublished", "release_date", "dc.date.issued", "dc.date", "dcterms.created",
             "sailthru.date", "date", "publish-date", "pub_date", "created")

# How many lines after the headline the info line may be (breadcrumbs, subtitle, author
# line, share bar come between on some templates), and before it (e-paper layouts put
# the date above the headline).
_AFTER_HEADLINE = 12
_BEFORE_HEADLINE = 3
# An info line is short; a date inside a longer line is part of a sentence.
_INFO_LINE_MAX = 90
# Without a label, a line this long with a date in it is a sentence, not an info line
# (a date and time take about 17 characters, a source name or two about 20 more).
_PROSE_LINE = 60

_LABELS = re.compile(r"发布|發佈|发表|發表|时间|時間|日期|来源|來源|更新|录入|錄入|刊登")
_FRAME = re.compile(r"版权|版權|copyright|©|ICP|备案|公网安备|all rights", re.IGNORECASE)
# List items: "·标题 (2005-04-27 14:32)", "标题 2024-05-01" in a related-news box.
_LIST_ITEM = re.compile(r"^\s*[·•●○◆■□▪►>\-]|^\s*\d+[.、]")

# Dates in URLs: /2024/0506/, /20240501/, /2024-05/01/, /2024/05/01/, t20240501_ (gov.cn).
_URL_DATE = re.compile(
    r"(?<![\d])(?P<y>(?:19|20)\d{2})[-/_]?(?P<m>0[1-9]|1[0-2])[-/_]?(?P<d>0[1-9]|[12]\d|3[01])"
    r"(?![\d])")


# Headings after which a page lists other articles or takes comments: the dates of the
# lines that follow (_TAIL_SPAN of them, a list's usual length) are not the article's.
_TAIL_HEADING = re.compile(
    r"^[【\[]?\s*(?:相关报道|相关新闻|相关阅读|相关内容|相关链接|相关文章|相关专题|相关推荐|延伸阅读|"
    r"推荐阅读|热点推荐|热门推荐|猜你喜欢|更多精彩|文章评论|网友评论|发表评论|我要评论|热门评论|最新评论|"
    r"相關報道|相關新聞|相關閱讀|延伸閱讀|發表評論|網友評論)\s*[】\]]?\s*[:：]?\s*$")
_TAIL_SPAN = 20
_URL_MONTH = re.compile(r"(?<![\d])(?P<y>(?:19|20)\d{2})[-/_]?(?P<m>0[1-9]|1[0-2])(?![\d])")


def _blank_tails(lines: list[str]) -> list[str]:
    """``lines`` with those under a related-list or comment heading blanked (indices kept
    for the headline window)."""
    out = list(lines)
    for i, line in enumerate(lines):
        if len(line) <= 20 and _TAIL_HEADING.match(line):
            for j in range(i, min(len(out), i + 1 + _TAIL_SPAN)):
                out[j] = ""
    return out


def _url_day_or_month(url: str, default_tz: ZoneInfo | str) -> tuple[datetime | None,
                                                                       tuple[int, int] | None]:
    day = url_date(url, default_tz)
    if day is not None:
        return day, None
    rest = re.sub(r"^[a-z]+://[^/]+", "", url or "", flags=re.IGNORECASE)
    m = _URL_MONTH.search(rest)
    return None, ((int(m.group("y")), int(m.group("m"))) if m else None)


def _agrees(found: datetime, day: datetime | None, month: tuple[int, int] | None) -> bool:
    if day is not None:
        return abs((found.date() - day.date()).days) <= 1
    return month is not None and (found.year, found.month) == month


def _has_time(dt: datetime) -> bool:
    return dt.timetz().replace(tzinfo=None) != time(0, 0)


def url_date(url: str, default_tz: ZoneInfo | str) -> datetime | None:
    """The date written in a URL's path, or None."""
    path = re.sub(r"^[a-z]+://[^/]+", "", url or "", flags=re.IGNORECASE)
    path = path.split("?", 1)[0]
    for m in _URL_DATE.finditer(path):
        found = parse_date(f"{m.group('y')}-{m.group('m')}-{m.group('d')}", default_tz)
        if found is not None:
            return found
    return None


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _headline_index(lines: list[str], title: str) -> int | None:
    if not title:
        return None
    want = _squash(title)
    if len(want) < 4:
        return None
    for i, line in enumerate(lines):
        got = _squash(line)
        if got == want or (want in got and len(got) <= len(want) + 20):
            return i
    return None


def _info_date(line: str, default_tz: ZoneInfo | str) -> datetime | None:
    """The date of an info line; None when the line is frame, a list item or prose."""
    if _FRAME.search(line) or _LIST_ITEM.search(line):
        return None
    if not has_date(line):
        return None
    labelled = _LABELS.search(line) is not None
    # Prose: a date inside a long sentence ("2005年4月18日吴宗宪进棚录像，凌晨收班后…").
    if len(line) > (_INFO_LINE_MAX if labelled else _PROSE_LINE):
        return None
    return find_date(line, default_tz)


def _first_info_date(lines: list[str], default_tz) -> datetime | None:
    day_only = None
    for line in lines:
        found = _info_date(line, default_tz)
        if found is None:
            continue
        if _has_time(found):
            if day_only is None or found.date() == day_only.date():
                return found
            return day_only
        if day_only is None:
            day_only = found
    return day_only


def published(meta: dict[str, str], lines: list[str], url: str, title: str,
              default_tz: ZoneInfo | str) -> datetime | None:
    """The publication time of the page's article (see the module docstring)."""
    lines = _blank_tails(lines)
    found = _by_trust(meta, lines, url, title, default_tz)
    day, month = _url_day_or_month(url, default_tz)
    if found is None or (day is None and month is None) or _agrees(found, day, month):
        return found
    for line in lines:
        candidate = _info_date(line, default_tz)
        if candidate is not None and _agrees(candidate, day, month):
            return candidate
    return found


def _by_trust(meta: dict[str, str], lines: list[str], url: str, title: str,
              default_tz: ZoneInfo | str) -> datetime | None:
    from_meta = None
    for key in DATE_META:
        if key in meta:
            from_meta = parse_date(meta[key], default_tz) or find_date(meta[key], default_tz)
            if from_meta is not None:
                break

    index = _headline_index(lines, title)
    near = None
    if index is not None:
        window = lines[index + 1:index + 1 + _AFTER_HEADLINE]
        near = _first_info_date(window, default_tz)
        if near is None:
            near = _first_info_date(lines[max(0, index - _BEFORE_HEADLINE):index], default_tz)

    if from_meta is not None:
        if not _has_time(from_meta) and near is not None and _has_time(near) \
                and near.astimezone(from_meta.tzinfo).date() == from_meta.date():
            return near
        return from_meta
    if near is not None:
        return near
    from_url = url_date(url, default_tz)
    if from_url is not None:
        return from_url
    labelled = [line for line in lines if _LABELS.search(line) and not _FRAME.search(line)
                and not _LIST_ITEM.search(line) and len(line) <= _INFO_LINE_MAX]
    found = _first_info_date(labelled, default_tz)
    if found is not None:
        return found
    return _first_info_date(lines, default_tz)
