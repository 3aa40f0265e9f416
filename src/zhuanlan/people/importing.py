"""Reading a people file (CSV or XLSX), checking every row, and planning what an import
would change. Pure: no store, no web — the directory gives the people already known and
applies the plan in one transaction.

Accepted files (read by ``people.tables``, within limits): CSV in UTF-8 (with or without
BOM), UTF-16 with BOM, GBK/GB18030 (what Excel in China saves) or Big5, comma-, semicolon-
or tab-separated; XLSX (the first sheet). The first non-blank row holds the column names, in Chinese
or English (see ``COLUMNS``); row numbers in reports are the file's own (the header is
row 1 when it is the first line), as a spreadsheet shows them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from zhuanlan.cells import read_cell
from zhuanlan.errors import ZhuanlanError
from zhuanlan.people.departments import PathError, canonical, prefixes
from zhuanlan.people.tables import FileFormatError, TableLimits, read_table
from zhuanlan.text.normalize import to_simplified

__all__ = ["FileFormatError", "TableLimits", "parse_people", "plan_import"]

# field → (Chinese header, English header, further accepted spellings)
COLUMNS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "employee_no": ("工号", "employee_no", ("员工编号", "员工号", "职工号", "employee number",
                                          "employee id", "staff no")),
    "name": ("姓名", "name", ("名字", "full name")),
    "department": ("部门", "department", ("所属部门", "部门路径", "dept", "department path")),
    "email": ("邮箱", "email", ("e-mail", "mail", "电子邮箱", "电子邮件", "邮件", "邮箱地址")),
    "wecom_userid": ("企业微信", "wecom", ("wecom_userid", "企业微信id", "企业微信userid",
                                        "企微", "wework")),
    "dingtalk_userid": ("钉钉", "dingtalk", ("dingtalk_userid", "钉钉id", "钉钉userid")),
    "feishu_open_id": ("飞书", "feishu", ("feishu_open_id", "飞书id", "飞书open_id", "lark")),
    "active": ("状态", "active", ("status", "在职状态", "启用")),
}
FIELDS = tuple(COLUMNS)
REQUIRED = ("name", "email")
CHAT_FIELDS = ("wecom_userid", "dingtalk_userid", "feishu_open_id")
MAX_LENGTH = {"employee_no": 64, "name": 200, "email": 320, "wecom_userid": 100,
              "dingtalk_userid": 100, "feishu_open_id": 100}
# The words the 状态 column accepts, and nothing else: a word not listed (离职, 退休, 待定 …)
# is refused on its row with this list, not guessed (issue 15) — whether a person who has
# left is to be 停用 or kept is the administrator's call, written in the file.
ACTIVE_ACCEPTED: dict[bool, tuple[str, ...]] = {
    True: ("在职", "启用", "有效", "正常", "是", "1", "true", "yes", "y", "active"),
    False: ("停用", "无效", "禁用", "否", "0", "false", "no", "n", "inactive"),
}
ACTIVE_WORDS = {"": True, **{w: flag for flag, words in ACTIVE_ACCEPTED.items() for w in words}}
ACTIVE_LABELS = {True: "在职", False: "停用"}
LABELS = {f: zh for f, (zh, _en, _more) in COLUMNS.items()}

_EMAIL = re.compile(r"^[^@\s,;<>\"]+@[^@\s,;<>\"]+\.[^@\s,;<>\".]+$")


def _key(header: str) -> str:
    # A file from Taiwan or Hong Kong names its columns in Traditional (工號, 部門).
    return to_simplified(re.sub(r"[\s_\-（）()·.:：]", "", header)).lower()


HEADER_FIELDS: dict[str, str] = {}
for _f, (_zh, _en, _more) in COLUMNS.items():
    for _name in (_zh, _en, _f, *_more):
        HEADER_FIELDS[_key(_name)] = _f


@dataclass(frozen=True)
class Problem:
    row: int              # the file's row number (1: the header row)
    column: str           # the column as the file names it, or its Chinese name
    problem: str
    value: str = ""

    def __str__(self) -> str:
        where = f"第 {self.row} 行" + (f"「{self.column}」" if self.column else "")
        return f"{where}：{self.problem}" + (f"（{self.value}）" if self.value else "")


@dataclass
class PersonRecord:
    row: int
    name: str
    email: str
    employee_no: str | None = None
    department: str = ""                  # canonical path "集团/公司/部门"
    wecom_userid: str | None = None
    dingtalk_userid: str | None = None
    feishu_open_id: str | None = None
    active: bool = True
    status: str = ""                      # the 状态 cell as the file has it

    def value(self, name: str):
        return getattr(self, name)


@dataclass
class ParsedFile:
    columns: frozenset[str]               # the fields the file has a column for
    records: list[PersonRecord]
    problems: list[Problem]
    rows: int                             # data rows read (blank ones not counted)
    # Rows left out but reported, the rest going on: an unknown 状态 word.
    skipped: list[Skipped] = field(default_factory=list)


@dataclass(frozen=True)
class Skipped:
    """A row not imported: why, and who it names (so an import that deactivates the
    people missing from the file leaves that person alone)."""
    problem: Problem
    employee_no: str
    email: str


# -- checking ---------------------------------------------------------------------------

def valid_email(email: str) -> bool:
    return bool(_EMAIL.match(email)) and len(email) <= MAX_LENGTH["email"]


def parse_active(text: str) -> bool | None:
    return ACTIVE_WORDS.get(to_simplified(text.strip()).lower())


def parse_people(data: bytes, filename: str, *,
                 progress: Callable[[int], None] | None = None,
                 limits: TableLimits = TableLimits()) -> ParsedFile:
    """Read and check the file: every record that is fine, every problem found (a row
    with a problem gives no record). ``progress(rows)`` is called every 500 rows.
    Raises FileFormatError for a file that is no table at all."""
    problems: list[Problem] = []
    records: list[PersonRecord] = []
    skipped: list[Skipped] = []
    rows = iter(read_table(data, filename, limits))
    header_row, header = 0, []
    for number, values in rows:
        if any(v.strip() for v in values):
            header_row, header = number, [v.strip().lstrip("\ufeff") for v in values]
            break
    if not header:
        raise FileFormatError("文件是空的：没有列名行")
    index: dict[str, int] = {}
    for i, h in enumerate(header):
        if not h:
            continue
        f = HEADER_FIELDS.get(_key(h))
        if f is None:
            problems.append(Problem(header_row, h, "未知的列（可用：" + "、".join(
                f"{zh}/{en}" for zh, en, _ in COLUMNS.values()) + "）"))
        elif f in index:
            problems.append(Problem(header_row, h, f"重复的列：与「{header[index[f]]}」是同一列"))
        else:
            index[f] = i
    for f in REQUIRED:
        if f not in index:
            problems.append(Problem(header_row, LABELS[f], f"缺少必需的列「{LABELS[f]}」"))
    named = {i for i, h in enumerate(header) if h}
    seen_no: dict[str, int] = {}
    seen_email: dict[str, int] = {}
    count = 0
    for number, values in rows:
        if not any(v.strip() for v in values):
            continue
        count += 1
        if progress is not None and count % 500 == 0:
            progress(count)
        bad = [Problem(number, f"第 {i + 1} 列", "该列没有列名", v.strip())
               for i, v in enumerate(values) if i not in named and v.strip()]
        cells = {f: read_cell(" ".join(values[i].split())) if i < len(values) else ""
                 for f, i in index.items()}
        bad += _check_row(number, cells, header, index, seen_no, seen_email)
        unknown = "active" in index and parse_active(cells["active"]) is None
        if unknown:
            status = status_problem(number, header[index["active"]], cells["active"])
        if bad:
            problems.extend([*bad, status] if unknown else bad)
        elif unknown:
            skipped.append(Skipped(status, cells.get("employee_no", ""),
                                   cells.get("email", "")))
        else:
            records.append(_record(number, cells))
    if progress is not None:
        progress(count)
    if any(p.row == header_row for p in problems):
        records, skipped = [], []    # without a sound header no row can be trusted
    return ParsedFile(frozenset(index), records, problems, count, skipped)


def _check_row(number: int, cells: dict[str, str], header: list[str], index: dict[str, int],
               seen_no: dict[str, int], seen_email: dict[str, int]) -> list[Problem]:
    def col(f: str) -> str:
        return header[index[f]] if f in index else LABELS[f]

    out: list[Problem] = []
    name, email = cells.get("name", ""), cells.get("email", "")
    if "name" in index and not name:
        out.append(Problem(number, col("name"), "缺少姓名"))
    if "email" in index:
        if not email:
            out.append(Problem(number, col("email"), "缺少邮箱"))
        elif not valid_email(email):
            out.append(Problem(number, col("email"), "邮箱格式不正确", email))
        elif email.lower() in seen_email:
            out.append(Problem(number, col("email"),
                               f"邮箱与第 {seen_email[email.lower()]} 行重复", email))
        else:
            seen_email[email.lower()] = number
    no = cells.get("employee_no", "")
    if no:
        if no in seen_no:
            out.append(Problem(number, col("employee_no"), f"工号与第 {seen_no[no]} 行重复", no))
        else:
            seen_no[no] = number
    for f, limit in MAX_LENGTH.items():
        if len(cells.get(f, "")) > limit:
            out.append(Problem(number, col(f), f"超过 {limit} 个字符"))
    if cells.get("department"):
        try:
            canonical(cells["department"])
        except PathError as exc:
            out.append(Problem(number, col("department"), str(exc), cells["department"]))
    return out


def status_problem(number: int, column: str, word: str) -> Problem:
    """An unknown word in the 状态 column, with every accepted one."""
    return Problem(number, column, f"状态“{word}”无法识别；可用：{accepted_statuses()}", word)


def accepted_statuses() -> str:
    return "；".join(f"{'、'.join(words)}（{ACTIVE_LABELS[flag]}）"
                     for flag, words in ACTIVE_ACCEPTED.items()) + "；留空为在职"


def _record(number: int, cells: dict[str, str]) -> PersonRecord:
    return PersonRecord(
        row=number, name=cells.get("name", ""), email=cells.get("email", ""),
        employee_no=cells.get("employee_no") or None,
        department=canonical(cells.get("department", "")),
        wecom_userid=cells.get("wecom_userid") or None,
        dingtalk_userid=cells.get("dingtalk_userid") or None,
        feishu_open_id=cells.get("feishu_open_id") or None,
        active=bool(parse_active(cells.get("active", ""))) if "active" in cells else True,
        status=cells.get("active", ""))


# -- planning ---------------------------------------------------------------------------

@dataclass
class Change:
    """An existing person the import would change: field → (old, new)."""
    id: int
    record: PersonRecord
    before: dict
    changes: dict[str, tuple[object, object]]


@dataclass
class ImportPlan:
    columns: frozenset[str]
    rows: int
    added: list[PersonRecord] = field(default_factory=list)
    updated: list[Change] = field(default_factory=list)
    unchanged: list[tuple[int, PersonRecord]] = field(default_factory=list)
    deactivated: list[dict] = field(default_factory=list)   # existing people, missing
    missing: list[dict] = field(default_factory=list)       # missing, kept active
    new_departments: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    skipped: list[Problem] = field(default_factory=list)    # rows left out, the rest goes on
    deactivate_missing: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> dict[str, int]:
        return {"rows": self.rows, "added": len(self.added), "updated": len(self.updated),
                "deactivated": len(self.deactivated), "unchanged": len(self.unchanged),
                "missing_kept": len(self.missing), "new_departments": len(self.new_departments),
                "problems": len(self.problems), "skipped": len(self.skipped)}


# The fields an import sets when the file has their column; an empty 工号 cell never
# removes a person's 工号 (it is how they are recognised).
_COMPARED = ("employee_no", "name", "department", "email", *CHAT_FIELDS, "active")


def plan_import(parsed: ParsedFile, existing: Iterable[dict], existing_departments: set[str],
                *, deactivate_missing: bool = False) -> ImportPlan:
    """What applying ``parsed`` would do to the people in ``existing`` (dicts with ``id``
    and the fields, ``department`` as a canonical path). People are matched by 工号,
    else by e-mail (case-insensitive; a person found by e-mail who has another 工号 is a
    conflict, one without a 工号 takes the file's). Conflicts with people outside the
    file (an e-mail or 工号 that stays someone else's) and two rows matching one person
    are problems."""
    people = list(existing)
    plan = ImportPlan(parsed.columns, parsed.rows, problems=list(parsed.problems),
                      skipped=[s.problem for s in parsed.skipped],
                      deactivate_missing=deactivate_missing)
    by_no = {p["employee_no"]: p for p in people if p.get("employee_no")}
    by_email = {p["email"].lower(): p for p in people}
    matched: dict[int, int] = {}             # person id → row
    pairs: list[tuple[PersonRecord, dict | None]] = []
    for rec in parsed.records:
        person = by_no.get(rec.employee_no) if rec.employee_no else None
        if person is None:
            person = by_email.get(rec.email.lower())
            if (person is not None and rec.employee_no and person.get("employee_no")
                    and person["employee_no"] != rec.employee_no):
                # Matched by e-mail but with another 工号: two people, not one renumbered.
                plan.problems.append(Problem(rec.row, LABELS["email"], _taken("邮箱", person),
                                             rec.email))
                continue
        if person is not None:
            if person["id"] in matched:
                plan.problems.append(Problem(rec.row, LABELS["employee_no"] if rec.employee_no
                                             else LABELS["email"],
                                             f"与第 {matched[person['id']]} 行是同一人"
                                             f"（{person['name']} <{person['email']}>）"))
                continue
            matched[person["id"]] = rec.row
        pairs.append((rec, person))
    # Who holds each e-mail and 工号 once the import is done.
    final_email: dict[str, tuple[int | None, int | None, dict]] = {}
    final_no: dict[str, tuple[int | None, int | None, dict]] = {}
    for p in people:
        if p["id"] not in matched:
            final_email[p["email"].lower()] = (p["id"], None, p)
            if p.get("employee_no"):
                final_no[p["employee_no"]] = (p["id"], None, p)
    for rec, person in pairs:
        pid = person["id"] if person else None
        holder = final_email.get(rec.email.lower())
        if holder is not None and holder[0] != pid:
            plan.problems.append(Problem(rec.row, LABELS["email"], _taken("邮箱", holder[2]),
                                         rec.email))
        final_email[rec.email.lower()] = (pid, rec.row, {})
        number = rec.employee_no or (person or {}).get("employee_no")
        if number:
            holder = final_no.get(number)
            if holder is not None and holder[0] != pid:
                plan.problems.append(Problem(rec.row, LABELS["employee_no"],
                                             _taken("工号", holder[2]), number))
            final_no[number] = (pid, rec.row, {})
    if plan.problems:
        plan.problems.sort(key=lambda p: p.row)
        return plan
    departments: set[str] = set()
    for rec, person in pairs:
        if rec.department:
            departments.update(prefixes(rec.department))
        if person is None:
            plan.added.append(rec)
            continue
        changes = {}
        for f in _COMPARED:
            if f not in parsed.columns and f != "active":
                continue
            new = rec.value(f)
            if f == "employee_no" and not new:
                continue
            old = person.get(f)
            if f == "active":
                differs = bool(old) != bool(new)
            else:
                differs = (old or None) != (new or None)
            if differs:
                changes[f] = (old, new)
        if changes:
            plan.updated.append(Change(person["id"], rec, person, changes))
        else:
            plan.unchanged.append((person["id"], rec))
    # A person named by a skipped row is neither changed nor taken for missing.
    named_no = {s.employee_no for s in parsed.skipped if s.employee_no}
    named_email = {s.email.lower() for s in parsed.skipped if s.email}
    for p in people:
        if p.get("employee_no") in named_no or p["email"].lower() in named_email:
            continue
        if p["id"] not in matched and p.get("active"):
            (plan.deactivated if deactivate_missing else plan.missing).append(p)
    plan.new_departments = sorted(departments - existing_departments)
    return plan


def _taken(what: str, person: dict) -> str:
    if not person:
        return f"{what}与本文件中另一行冲突"
    who = person.get("name") or person.get("email")
    no = f"，工号 {person['employee_no']}" if person.get("employee_no") else ""
    return f"{what}已属于 {who}（{person.get('email')}{no}）"


class ImportRefused(ZhuanlanError):
    """The file has bad rows: nothing was imported. ``plan.problems`` lists them."""

    def __init__(self, plan: ImportPlan) -> None:
        super().__init__(f"文件有 {len(plan.problems)} 处问题，未导入任何数据",
                         resource="import")
        self.plan = plan
