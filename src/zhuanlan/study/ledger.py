"""学习台账: per person, per issue or month of a period — issues received, opened,
studied, reading time, 答题 score, 学习心得 — and the same figures per department, rolled
up the tree and ranked by completion rate. Pure: the store counts (``store.ledger``), this
arranges.

Completion is studied issues over received ones, never reading time: time is easy to
inflate (a page left open), a confirmed issue with the column's minimum reading time is
not.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import tzinfo

from zhuanlan.study.periods import month_key

TOTAL = "total"


@dataclass(slots=True)
class Cell:
    received: int = 0       # issues pushed to the person (sent on some channel)
    opened: int = 0         # … of which they opened at least one article
    studied: int = 0        # … confirmed every article, with the column's minimum time
    seconds: int = 0        # reading time in those issues
    answered: int = 0       # 答题: questions answered for the record (first attempts)
    correct: int = 0
    quiz_issues: int = 0    # issues with at least one answer
    reflections: int = 0    # 学习心得 (not hidden by the editor)
    excellent: int = 0      # … marked excellent

    def add(self, other: Cell) -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))

    @property
    def completion(self) -> float:
        return min(1.0, self.studied / self.received) if self.received else 0.0

    @property
    def open_rate(self) -> float:
        return min(1.0, self.opened / self.received) if self.received else 0.0

    @property
    def score(self) -> float | None:
        """Share of the answers that were right (0–1); None without answers."""
        return self.correct / self.answered if self.answered else None

    @property
    def minutes(self) -> float:
        return round(self.seconds / 60, 1)


@dataclass(frozen=True)
class Group:
    key: str          # an issue id as text, or a month "2026-03"
    label: str        # "第3期", "学习二十大 第3期", "3月"


@dataclass
class LedgerRow:
    subscriber_id: int
    employee_no: str
    name: str
    department: str                      # path "集团/公司/部门"
    cells: dict[str, Cell] = field(default_factory=dict)

    def cell(self, key: str) -> Cell:
        return self.cells.get(key) or Cell()

    @property
    def total(self) -> Cell:
        out = Cell()
        for c in self.cells.values():
            out.add(c)
        return out


@dataclass
class Ledger:
    title: str                # "学习二十大 · 2026年第1季度"
    groups: list[Group]
    rows: list[LedgerRow]
    issues: int = 0           # issues published in the period (of the column)
    people: int | None = None  # everyone of the ledger, when ``rows`` holds one page


def grouping(issues: list[dict], by: str, tz: tzinfo) -> tuple[dict[int, str], list[Group]]:
    """Which group each issue falls in (``{issue id: key}``) and the groups in order.
    ``issues`` (oldest first) carry ``id``, ``number``, ``published_at``,
    ``column_name``; ``by`` is "issue", "month" or "total" (one group)."""
    keys: dict[int, str] = {}
    groups: dict[str, Group] = {}
    several = len({i["column_name"] for i in issues}) > 1
    for issue in issues:
        if by == "month":
            key = month_key(issue["published_at"], tz)
            label = f"{int(key[5:])}月"
        elif by == "issue":
            key = str(issue["id"])
            label = (f"{issue['column_name']} " if several else "") + f"第{issue['number']}期"
        else:
            key, label = TOTAL, "合计"
        keys[issue["id"]] = key
        groups.setdefault(key, Group(key, label))
    return keys, list(groups.values())


@dataclass
class Unit:
    """A department's figures over a period, its whole subtree included."""
    path: str
    name: str
    depth: int
    people: int = 0
    quiz_people: int = 0      # people who answered at least one question
    cell: Cell = field(default_factory=Cell)
    rank: int = 0             # among the ranked units (see ``rank``); 0: not ranked

    @property
    def participation(self) -> float:
        return self.quiz_people / self.people if self.people else 0.0


def units_of(rows: list[LedgerRow], *, root_name: str = "全部") -> dict[str, Unit]:
    """Per department path (and "" for all): the people's totals added up the tree."""
    units: dict[str, Unit] = {"": Unit("", root_name, 0)}
    for row in rows:
        total = row.total
        parts = (row.department.strip("/") or "（未分部门）").split("/")
        for depth in range(len(parts) + 1):
            path = "/".join(parts[:depth])
            unit = units.get(path)
            if unit is None:
                unit = units[path] = Unit(path, parts[depth - 1], depth)
            unit.people += 1
            unit.quiz_people += total.answered > 0
            unit.cell.add(total)
    return units


def rank(units: list[Unit]) -> list[Unit]:
    """The units by completion rate, best first. Ties go to the better open rate, then the
    better 答题 score, then the larger unit (the same rate over more people is the harder
    one); units equal on all of these share a rank (1, 1, 3)."""
    def key(u: Unit) -> tuple:
        return (-round(u.cell.completion, 6), -round(u.cell.open_rate, 6),
                -round(u.cell.score or 0.0, 6), -u.people)

    ordered = sorted(units, key=lambda u: (key(u), u.path))
    for i, unit in enumerate(ordered):
        unit.rank = ordered[i - 1].rank if i and key(ordered[i - 1]) == key(unit) else i + 1
    return ordered


def ranked_level(units: dict[str, Unit], visible) -> int:
    """The depth a ranking compares: the first level below the total where the visible
    tree branches (集团 with one child ranks its companies; a viewer of one company ranks
    its departments)."""
    shown = [u.depth for u in units.values() if u.path and visible(u.path)]
    if not shown:
        return 1
    depth = min(shown)
    while True:
        level = [u for u in units.values() if u.depth == depth and visible(u.path)]
        if len(level) != 1 or not any(u.depth == depth + 1 for u in units.values()):
            return depth
        depth += 1


# The sheets: one row per person, a column group per issue or month, totals at the right.
FIXED = ["工号", "姓名", "部门"]
GROUP_HEADERS = ["打开", "学习", "时长(分钟)", "得分"]
TOTAL_HEADERS = ["送达期数", "打开期数", "学习期数", "完成率", "时长(分钟)", "答题数",
                 "得分", "心得", "优秀心得"]


def sheet_groups(ledger: Ledger) -> list[tuple[str, list[str]]]:
    return [(g.label, GROUP_HEADERS) for g in ledger.groups] + [("合计", TOTAL_HEADERS)]


def sheet_rows(ledger: Ledger, percent) -> list[list]:
    """Rows for ``sheet_groups``; ``percent`` wraps a share (``sheets.Percent``). A group
    the person did not receive is left empty, one with no answers has no score."""
    out = []
    for row in ledger.rows:
        values: list = [row.employee_no, row.name, row.department]
        for g in ledger.groups:
            c = row.cells.get(g.key)
            if c is None or not c.received:
                values += [None] * len(GROUP_HEADERS)
                continue
            values += [c.opened, c.studied, c.minutes,
                       percent(c.score) if c.score is not None else None]
        t = row.total
        values += [t.received, t.opened, t.studied, percent(t.completion), t.minutes,
                   t.answered, percent(t.score) if t.score is not None else None,
                   t.reflections, t.excellent]
        out.append(values)
    return out


def flat_headers(groups: list[tuple[str, list[str]]]) -> list[str]:
    """One header row for CSV: "第3期 打开" …"""
    return FIXED + [f"{label} {h}" if label != "合计" else h
                    for label, heads in groups for h in heads]


UNIT_HEADERS = ["排名", "单位", "人数", "送达期次", "打开期次", "学习期次", "完成率", "打开率",
                "阅读时长(小时)", "人均时长(分钟)", "答题参与率", "平均得分", "心得", "优秀心得"]


def unit_row(u: Unit, percent) -> list:
    c = u.cell
    return [u.rank or "", u.path or u.name, u.people, c.received, c.opened, c.studied,
            percent(c.completion), percent(c.open_rate), round(c.seconds / 3600, 1),
            round(c.seconds / 60 / u.people, 1) if u.people else 0.0,
            percent(u.participation), percent(c.score) if c.score is not None else None,
            c.reflections, c.excellent]
