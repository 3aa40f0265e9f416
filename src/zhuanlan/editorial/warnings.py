"""What may go wrong with a column's next scheduled issue, said before it goes out: the
desk shows these above the review queue. A pure function over what the desk knows; the
caller passes "now" and the schedule's next two run times.

Three warnings, each with a ``kind`` the page links to the fix by:

- ``empty``: nothing approved — the scheduler publishes no empty issue, it moves on to
  the following run time, so the warning says that the issue will not go out;
- ``old_note``: the 编者按 was saved before the previous issue went out (or its time is
  unknown and an issue has gone out since it could have been written), or longer ago
  than one interval of the schedule;
- ``old_items``: approved items of the next issue published before the column's window
  (``max_age_days``) as counted at the issue's time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

WEEKDAYS = "一二三四五六日"


@dataclass(frozen=True)
class IssueWarning:
    kind: str      # empty, old_note, old_items
    text: str      # zh-CN, one sentence with the time


def when_text(when: datetime, tz: str) -> str:
    """"12月7日（周一）09:00" in the column's time zone."""
    local = when.astimezone(ZoneInfo(tz))
    return f"{local.month}月{local.day}日（周{WEEKDAYS[local.weekday()]}）{local:%H:%M}"


def day_text(when: datetime, tz: str) -> str:
    local = when.astimezone(ZoneInfo(tz))
    return f"{local.year}年{local.month}月{local.day}日"


def next_issue_warnings(*, now: datetime, tz: str, next_run_at: datetime | None,
                        following_run_at: datetime | None, count: int, note: str,
                        note_at: datetime | None, last_issue_at: datetime | None,
                        max_age_days: int | None,
                        item_dates: list[datetime | None]) -> list[IssueWarning]:
    """The warnings for the next issue. ``count`` approved items will go in it,
    ``item_dates`` their articles' publish dates (None: unknown)."""
    out: list[IssueWarning] = []
    at = when_text(next_run_at, tz) if next_run_at else "下一期（未排期）"
    if count == 0:
        then = (f"，推送顺延到 {when_text(following_run_at, tz)}" if following_run_at
                else "")
        out.append(IssueWarning(
            "empty", f"{at} 将不会发出：还没有已通过的稿件（没有稿件时不发空的一期{then}）。"))
    if note:
        interval = (following_run_at - next_run_at
                    if next_run_at and following_run_at else None)
        saved = f"保存于 {day_text(note_at, tz)}" if note_at else "保存时间不明"
        if last_issue_at and (note_at is None or note_at < last_issue_at):
            out.append(IssueWarning(
                "old_note", f"编者按{saved}，早于上一期（{day_text(last_issue_at, tz)}）的发布："
                            f"{at} 将带着这条旧的编者按发出。"))
        elif note_at and interval and note_at < now - interval:
            out.append(IssueWarning(
                "old_note", f"编者按{saved}，已超过一个推送周期：{at} 将带着这条旧的编者按发出。"))
    if max_age_days and count:
        edge = (next_run_at or now) - timedelta(days=max_age_days)
        old = sorted(d for d in item_dates if d is not None and d < edge)
        if old:
            out.append(IssueWarning(
                "old_items", f"{len(old)} 篇已通过的稿件早于本栏目 {max_age_days} 天的时间范围"
                             f"（最早 {day_text(old[0], tz)}）：{at} 将随这一期发出。"))
    return out
