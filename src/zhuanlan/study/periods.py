"""The periods a 学习台账 covers: a year, a quarter or a month, in the organisation's time
zone. Pure."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo

PART_PATTERN = r"^(|q[1-4]|m([1-9]|1[0-2]))$"
MIN_YEAR, MAX_YEAR = 2000, 2100


@dataclass(frozen=True)
class Period:
    year: int
    quarter: int = 0     # 1–4, or 0
    month: int = 0       # 1–12, or 0

    @classmethod
    def parse(cls, year: int, part: str = "") -> Period:
        """``part`` is "" (the whole year), "q1"…"q4" or "m1"…"m12"; anything else is the
        whole year (the web parameters are checked against ``PART_PATTERN`` before)."""
        year = max(MIN_YEAR, min(MAX_YEAR, year))
        if re.fullmatch(r"q[1-4]", part):
            return cls(year, quarter=int(part[1]))
        if re.fullmatch(r"m([1-9]|1[0-2])", part):
            return cls(year, month=int(part[1:]))
        return cls(year)

    @property
    def part(self) -> str:
        return f"q{self.quarter}" if self.quarter else f"m{self.month}" if self.month else ""

    @property
    def months(self) -> list[int]:
        if self.month:
            return [self.month]
        if self.quarter:
            return list(range(3 * self.quarter - 2, 3 * self.quarter + 1))
        return list(range(1, 13))

    @property
    def label(self) -> str:
        if self.quarter:
            return f"{self.year}年第{self.quarter}季度"
        if self.month:
            return f"{self.year}年{self.month}月"
        return f"{self.year}年"

    def bounds(self, tz: tzinfo) -> tuple[datetime, datetime]:
        """[start, end) in UTC: local midnight of the first day to that of the day after."""
        first, last = self.months[0], self.months[-1]
        start = datetime(self.year, first, 1, tzinfo=tz)
        end = (datetime(self.year + 1, 1, 1, tzinfo=tz) if last == 12
               else datetime(self.year, last + 1, 1, tzinfo=tz))
        return start.astimezone(UTC), end.astimezone(UTC)


def month_key(at: datetime, tz: tzinfo) -> str:
    """"2026-03": the month of ``at`` in the time zone."""
    return at.astimezone(tz).strftime("%Y-%m")


def choices(year: int) -> list[tuple[str, str]]:
    """(part, label) for a period picker: the year, its quarters, its months."""
    return ([("", "全年")] + [(f"q{q}", f"第{q}季度") for q in range(1, 5)]
            + [(f"m{m}", f"{m}月") for m in range(1, 13)])
