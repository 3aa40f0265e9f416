"""What a column's form holds, and its checks: each field's error said under that field
(for a rule, with the position of the fault), the slug's rules, the time zones offered,
and the next run times of a schedule. The web form, its live checks and the CLI share
them, so a column is refused for the same reasons wherever it is made."""

from __future__ import annotations

import re
from dataclasses import dataclass, fields, replace
from datetime import datetime

from zhuanlan.errors import RuleError
from zhuanlan.publish.schedule import next_run, validate_cron
from zhuanlan.selection import parse_rules
from zhuanlan.selection.column_rules import MAX_AGE_DAYS_LIMIT
from zhuanlan.selection.expr import TITLE, parse

SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,59}$")
MAX_NAME = 200
MAX_TEXT = 4000
DEFAULT_TZ = "Asia/Shanghai"
# The zones offered on the form; the CLI takes any IANA name.
TIMEZONES = ("Asia/Shanghai", "Asia/Urumqi", "Asia/Hong_Kong", "Asia/Macau", "Asia/Taipei",
             "Asia/Tokyo", "Asia/Seoul", "Asia/Singapore", "Asia/Dubai", "Europe/Moscow",
             "Europe/Berlin", "Europe/London", "America/New_York", "America/Los_Angeles",
             "Australia/Sydney", "UTC")
WEEKDAYS = "一二三四五六日"
RULE_FIELDS = {"include": "包含条件", "exclude": "排除条件", "title_terms": "标题条件"}


@dataclass(frozen=True)
class ColumnFields:
    """A column as its form edits it (the slug apart: it names the column for good)."""

    name: str = ""
    description: str = ""
    include: str = ""
    exclude: str = ""
    title_terms: str = ""
    sources: tuple[int | str, ...] = ()
    max_age_days: int | None = None
    min_length: int = 0
    schedule: str = "0 9 * * 1"
    timezone: str = DEFAULT_TZ
    auto_approve: bool = False
    auto_approve_threshold: float | None = None
    compulsory: bool = False
    contact: str = ""
    reflection_names: bool = False      # 学习心得选登 name their authors without asking

    @classmethod
    def of_row(cls, row: dict) -> ColumnFields:
        import json
        return cls(name=row["name"], description=row["description"] or "",
                   include=row["include_terms"] or "", exclude=row["exclude_terms"] or "",
                   title_terms=row["title_terms"] or "",
                   sources=tuple(json.loads(row["source_filter"]))
                   if row["source_filter"] else (),
                   max_age_days=row["max_age_days"], min_length=row["min_length"] or 0,
                   schedule=row["schedule"], timezone=row["timezone"],
                   auto_approve=bool(row["auto_approve"]),
                   auto_approve_threshold=row["auto_approve_threshold"],
                   compulsory=bool(row.get("compulsory")), contact=row.get("contact") or "",
                   reflection_names=bool(row.get("reflection_names")))

    def changed(self, **values) -> ColumnFields:
        return replace(self, **values)

    def differences(self, other: ColumnFields) -> list[str]:
        """The names of the fields whose values differ."""
        return [f.name for f in fields(self) if getattr(self, f.name) != getattr(other, f.name)]


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str
    position: int | None = None    # 0-based offset of the fault in a rule

    def as_dict(self) -> dict:
        return {"field": self.field, "message": self.message, "position": self.position}


def refused(errors: dict[str, FieldError]) -> RuleError:
    """The RuleError of faulty fields: its message, resource (and for a rule, position)
    are the first fault's, ``errors`` holds every field's."""
    first = next(iter(errors.values()))
    exc = RuleError(first.message, resource=first.field)
    exc.errors = errors  # type: ignore[attr-defined]
    if first.position is not None:
        exc.position = first.position  # type: ignore[attr-defined]
    return exc


def faults_of(exc: RuleError) -> dict[str, FieldError]:
    """The faults of each field a RuleError carries (one, for an error made elsewhere)."""
    errors = getattr(exc, "errors", None)
    if errors:
        return errors
    name = str(exc.resource or "include")
    return {name: FieldError(name, exc.message, getattr(exc, "position", None))}


def rule_problem(text: str, name: str) -> FieldError | None:
    """The fault of one rule field (``include``, ``exclude``, ``title_terms``), or None."""
    text = text or ""
    if not text.strip():
        return FieldError(name, "至少需要一个包含条件") if name == "include" else None
    try:
        parse(text, resource=name, **({"field": TITLE} if name == "title_terms" else {}))
    except RuleError as exc:
        return FieldError(name, exc.message, getattr(exc, "position", None))
    return None


def slug_problem(slug: str) -> FieldError | None:
    if not SLUG.match(slug or ""):
        return FieldError("slug", "专栏代号只能用小写英文字母、数字、- 和 _，以字母或数字开头，"
                                  "最多 60 个字符，例如 xuexi-ershida")
    return None


def check_tz(name: str) -> bool:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        return False
    return bool(name)


def problems(f: ColumnFields) -> dict[str, FieldError]:
    """Every fault of the fields, by field name (empty: the column may be saved)."""
    errors: dict[str, FieldError] = {}
    if not f.name.strip():
        errors["name"] = FieldError("name", "请填写专栏名称")
    elif len(f.name) > MAX_NAME:
        errors["name"] = FieldError("name", f"名称太长：最多 {MAX_NAME} 个字符")
    if len(f.description) > MAX_TEXT:
        errors["description"] = FieldError("description", f"简介太长：最多 {MAX_TEXT} 个字符")
    for name in RULE_FIELDS:
        if (found := rule_problem(getattr(f, name), name)) is not None:
            errors[name] = found
    if not errors.keys() & RULE_FIELDS.keys():
        try:   # what only the whole rules can tell: a term both included and excluded
            parse_rules(f.include, f.exclude, title_terms=f.title_terms, sources=f.sources,
                        max_age_days=f.max_age_days, min_length=f.min_length)
        except RuleError as exc:
            where = exc.resource if exc.resource in (*RULE_FIELDS, "sources", "max_age_days",
                                                      "min_length") else "include"
            errors[str(where)] = FieldError(str(where), exc.message,
                                            getattr(exc, "position", None))
    if f.max_age_days is not None and not 0 < f.max_age_days <= MAX_AGE_DAYS_LIMIT:
        errors["max_age_days"] = FieldError("max_age_days",
                                            f"时间范围应为 1 到 {MAX_AGE_DAYS_LIMIT} 天")
    if f.min_length < 0:
        errors["min_length"] = FieldError("min_length", "最短字数应为不小于 0 的整数")
    try:
        validate_cron(f.schedule)
    except RuleError as exc:
        errors["schedule"] = FieldError("schedule", exc.message)
    if not check_tz(f.timezone):
        errors["timezone"] = FieldError("timezone", f"未知的时区“{f.timezone[:64]}”，"
                                                    "例如 Asia/Shanghai")
    if f.auto_approve_threshold is not None and not 0 < f.auto_approve_threshold < 1:
        errors["auto_approve_threshold"] = FieldError(
            "auto_approve_threshold", "自动通过的门槛是 0 到 1 之间的概率，例如 0.9")
    if len(f.contact) > 500:
        errors["contact"] = FieldError("contact", "联系人太长：最多 500 个字符")
    return errors


def next_times(schedule: str, tz: str, now: datetime, count: int = 5) -> list[datetime]:
    """The next ``count`` run times of a schedule (aware, in ``tz``). Raises RuleError."""
    from zoneinfo import ZoneInfo
    if not check_tz(tz):
        raise RuleError(f"未知的时区“{tz[:64]}”，例如 Asia/Shanghai", resource="timezone")
    times, after = [], now
    for _ in range(count):
        after = next_run(schedule, tz, after)
        times.append(after.astimezone(ZoneInfo(tz)))
    return times


def chinese_time(dt: datetime) -> str:
    """2026年12月07日 星期一 09:00"""
    return f"{dt:%Y年%m月%d日} 星期{WEEKDAYS[dt.weekday()]} {dt:%H:%M}"
