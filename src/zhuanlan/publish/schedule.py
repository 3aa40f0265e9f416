"""When a column publishes: cron expressions read in the column's own time zone.

Pure functions, no clock of their own: the caller passes "now" as ``after``. The store
keeps the result as ``next_run_at`` (UTC) and the worker claims columns whose time
has come.

Schedules are read in local wall-clock time, because an editor who writes
``0 9 * * 1`` means "Monday 09:00 where we are", also after a daylight-saving change.
Two corner cases follow from that, both chosen so that an issue is never skipped
nor published twice:

- a wall time the clocks jump over (02:30 on a spring-forward night in Berlin) fires
  at the first instant after the jump (03:00 local);
- a wall time that happens twice (02:30 on a fall-back night) fires once, at its first
  occurrence.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import CroniterBadDateError, CroniterError, croniter

from zhuanlan.errors import RuleError

__all__ = ["validate_cron", "next_run", "describe"]

_FIELDS = (
    # (name shown to the editor, allowed values shown in the message)
    ("分钟", "0–59"),
    ("小时", "0–23"),
    ("日", "1–31"),
    ("月", "1–12 或 jan–dec"),
    ("星期", "0–7 或 sun–sat，0 和 7 都是周日"),
)

# The usual shorthands; they are turned into their five fields so that the stored
# expression is always in one form.
_ALIASES = {
    "@hourly": "0 * * * *",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@weekly": "0 0 * * 0",
    "@monthly": "0 0 1 * *",
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
}

# Safety net for the search loop in next_run; real schedules need a handful of steps
# (at most ~60 around a fall-back hour for an every-minute schedule).
_MAX_STEPS = 10_000


def _fail(message: str) -> RuleError:
    return RuleError(message, resource="schedule")


def validate_cron(expr: str) -> str:
    """Check a five-field cron expression and return it in normal form (single spaces,
    shorthands like ``@daily`` expanded).

    Raises RuleError (resource ``schedule``) with a Chinese message that names the wrong
    field, e.g. "第 2 个字段（小时）的值“25”无效，允许 0–23", or says that the
    expression can never fire (``0 0 31 2 *``).
    """
    if not isinstance(expr, str) or not expr.strip():
        raise _fail("发布时间表为空：需要一个 cron 表达式，例如“0 9 * * 1”（每周一 09:00）")
    text = _ALIASES.get(expr.strip().lower(), expr.strip())
    fields = text.split()
    if len(fields) != 5:
        raise _fail(f"cron 表达式“{expr.strip()}”有 {len(fields)} 个字段，需要 5 个："
                    "分钟 小时 日 月 星期，例如“0 9 * * 1”")
    # croniter's own messages do not say which field is wrong, so each field is tried
    # on its own with the others left open.
    for i, value in enumerate(fields):
        probe = ["*"] * 5
        probe[i] = value
        try:
            croniter(" ".join(probe))
        except (CroniterError, ValueError, KeyError, IndexError) as exc:
            name, allowed = _FIELDS[i]
            raise _fail(f"cron 表达式第 {i + 1} 个字段（{name}）的值“{value}”无效，"
                        f"允许 {allowed}") from exc
    normal = " ".join(fields)
    try:
        croniter(normal)
    except (CroniterError, ValueError, KeyError, IndexError) as exc:
        raise _fail(f"cron 表达式“{normal}”无效：{exc}") from exc
    try:
        croniter(normal, datetime(2000, 1, 1)).get_next(datetime)
    except CroniterBadDateError as exc:
        raise _fail(f"cron 表达式“{normal}”永远不会触发（日期不存在，例如 2 月 31 日）") from exc
    return normal


def _zone(tz: str) -> ZoneInfo:
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError, TypeError) as exc:
        raise _fail(f"未知的时区“{tz}”，例如 Asia/Shanghai") from exc


def _exists(naive: datetime, zone: ZoneInfo) -> bool:
    """Whether a wall time exists in the zone (it does not inside a spring-forward gap)."""
    back = naive.replace(tzinfo=zone).astimezone(UTC).astimezone(zone)
    return back.replace(tzinfo=None) == naive


def _to_utc(naive: datetime, zone: ZoneInfo) -> datetime:
    """The instant a local wall time fires: its first occurrence, or, for a time that
    the clocks skip, the first instant after the skip."""
    if _exists(naive, zone):
        return naive.replace(tzinfo=zone, fold=0).astimezone(UTC)
    # Inside a gap, fold=1 reads the time with the offset after the change (too early)
    # and fold=0 with the offset before it (too late); the change lies between. Find
    # the first second whose local time is not before the wanted wall time.
    lo = naive.replace(tzinfo=zone, fold=1).astimezone(UTC)
    hi = naive.replace(tzinfo=zone, fold=0).astimezone(UTC)
    lo_s, hi_s = int(lo.timestamp()), int(hi.timestamp())
    while lo_s < hi_s:
        mid = (lo_s + hi_s) // 2
        local = datetime.fromtimestamp(mid, UTC).astimezone(zone).replace(tzinfo=None)
        if local >= naive:
            hi_s = mid
        else:
            lo_s = mid + 1
    return datetime.fromtimestamp(lo_s, UTC)


def next_run(expr: str, tz: str, after: datetime) -> datetime:
    """The first time strictly after ``after`` at which the schedule fires, as an aware
    UTC datetime. ``expr`` is read in the wall-clock time of ``tz``.

    Raises RuleError for a malformed expression or an unknown time zone, ValueError
    when ``after`` is naive (a naive time would be read in the machine's zone, which is
    exactly the mistake this module exists to avoid).
    """
    if after.tzinfo is None or after.utcoffset() is None:
        raise ValueError("next_run needs a timezone-aware 'after'")
    normal = validate_cron(expr)
    zone = _zone(tz)
    after_utc = after.astimezone(UTC)
    # croniter steps through local wall times strictly after its start. Under the
    # first-occurrence rule above a wall time not after the local time of `after`
    # never fires after `after`, so starting there misses nothing; the check below
    # skips the candidates of a repeated hour that already lie in the past.
    start = after_utc.astimezone(zone).replace(tzinfo=None, microsecond=0)
    it = croniter(normal, start)
    for _ in range(_MAX_STEPS):
        try:
            candidate = it.get_next(datetime)
        except CroniterBadDateError as exc:
            raise _fail(f"cron 表达式“{normal}”找不到下一次触发时间") from exc
        fire = _to_utc(candidate, zone)
        if fire > after_utc:
            return fire
    raise _fail(f"cron 表达式“{normal}”在时区 {tz} 中找不到下一次触发时间")


_WEEKDAYS = {"0": "日", "1": "一", "2": "二", "3": "三", "4": "四", "5": "五", "6": "六",
             "7": "日", "sun": "日", "mon": "一", "tue": "二", "wed": "三", "thu": "四",
             "fri": "五", "sat": "六"}
_NUMBER = re.compile(r"^\d{1,2}$")


def _weekdays(field: str) -> str | None:
    """'1' → 周一, '1-5' → 周一至周五, '1,3,5' → 周一、三、五; None for other forms."""
    f = field.lower()
    if "-" in f and "," not in f and "/" not in f:
        a, _, b = f.partition("-")
        if a in _WEEKDAYS and b in _WEEKDAYS:
            return f"周{_WEEKDAYS[a]}至周{_WEEKDAYS[b]}"
        return None
    parts = f.split(",")
    if all(p in _WEEKDAYS for p in parts):
        return "周" + "、".join(_WEEKDAYS[p] for p in parts)
    return None


def describe(expr: str) -> str:
    """A short Chinese description of common schedules (每天 09:00, 每周一 09:00,
    每小时, 每月 1 日 09:00, 每 15 分钟); any other expression is returned as it is.
    Never raises: it is for display, and a malformed expression is shown as written."""
    try:
        normal = validate_cron(expr)
    except RuleError:
        return expr
    minute, hour, dom, month, dow = normal.split()
    if (dom, month, dow) == ("*", "*", "*"):
        if hour == "*":
            if minute == "*":
                return "每分钟"
            if minute == "0":
                return "每小时"
            if _NUMBER.match(minute):
                return f"每小时第 {int(minute)} 分"
            step = re.fullmatch(r"\*/(\d+)", minute)
            if step:
                return f"每 {int(step.group(1))} 分钟"
            return normal
    if not (_NUMBER.match(minute) and _NUMBER.match(hour)):
        return normal
    at = f"{int(hour):02d}:{int(minute):02d}"
    if month != "*":
        return normal
    if dom == "*" and dow == "*":
        return f"每天 {at}"
    if dom == "*":
        days = _weekdays(dow)
        return f"每{days} {at}" if days else normal
    if dow == "*" and _NUMBER.match(dom):
        return f"每月 {int(dom)} 日 {at}"
    return normal
