"""``zhuanlan people``: import and export the people issues go to, their department tree,
and the subscriptions of columns by person or by department; ``zhuanlan subscriber``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from zhuanlan.cli.base import command, facade
from zhuanlan.people.departments import display
from zhuanlan.people.importing import LABELS, ImportPlan, ImportRefused

# Exit code when the file has bad rows (nothing imported).
BAD_ROWS = 2


def add_parser(sub) -> None:
    add_subscriber_parser(sub)
    s = sub.add_parser("people", help="people: import/export CSV or XLSX, departments, "
                       "subscriptions by person or department, opt-outs")
    ss = s.add_subparsers(dest="action", required=True)
    a = ss.add_parser("import", help="preview (default) or apply an import from CSV or XLSX; "
                      "exit code 2 when the file has bad rows")
    a.add_argument("file")
    a.add_argument("--apply", action="store_true",
                   help="apply the import (in one transaction; nothing when a row is bad)")
    a.add_argument("--deactivate-missing", action="store_true",
                   help="deactivate the active people the file does not list")
    a.add_argument("--limit", type=int, default=20,
                   help="how many of each kind of change to list (default 20)")
    a = ss.add_parser("export", help="write every person to FILE.csv or FILE.xlsx "
                      "(the import's headers)")
    a.add_argument("file")
    a.add_argument("--department", help="only this department's subtree")
    a = ss.add_parser("subscribe", help="subscribe a department (its whole subtree) or a "
                      "person to a column")
    a.add_argument("column")
    g = a.add_mutually_exclusive_group(required=True)
    g.add_argument("--department", help="department path, e.g. 集团/公司/部门")
    g.add_argument("--person", help="工号 or e-mail")
    a = ss.add_parser("unsubscribe", help="record a person's opt-out from a column")
    a.add_argument("column")
    a.add_argument("person", help="工号 or e-mail")
    ss.add_parser("departments", help="the department tree with head counts")
    a = ss.add_parser("list", help="list people")
    a.add_argument("--department", help="only this department's subtree")
    a = ss.add_parser("subscriptions", help="a column's subscriptions and opt-outs")
    a.add_argument("column")


def _progress(message: str) -> None:
    print(f"\r{message}\033[K", end="", file=sys.stderr, flush=True)


def _print_plan(plan: ImportPlan, limit: int) -> None:
    s = plan.summary()
    print(f"共 {s['rows']} 行：新增 {s['added']}，更新 {s['updated']}，"
          f"停用 {s['deactivated']}，未变 {s['unchanged']}"
          + (f"；文件中没有、保持在职 {s['missing_kept']}" if s["missing_kept"] else "")
          + (f"；新部门 {s['new_departments']}" if s["new_departments"] else ""))
    for r in plan.added[:limit]:
        print(f"  + 第 {r.row} 行  {r.employee_no or '-'}  {r.name}  <{r.email}>  "
              f"{display(r.department)}")
    if len(plan.added) > limit:
        print(f"  …… 另有 {len(plan.added) - limit} 人新增")
    for c in plan.updated[:limit]:
        changes = "；".join(f"{LABELS[f]}：{_v(f, old)} → {_v(f, new)}"
                           for f, (old, new) in c.changes.items())
        print(f"  ~ 第 {c.record.row} 行  {c.record.name}  {changes}")
    if len(plan.updated) > limit:
        print(f"  …… 另有 {len(plan.updated) - limit} 人更新")
    for p in plan.deactivated[:limit]:
        print(f"  - {p.get('employee_no') or '-'}  {p['name']}  <{p['email']}>  停用")
    if len(plan.deactivated) > limit:
        print(f"  …… 另有 {len(plan.deactivated) - limit} 人停用")
    for d in plan.new_departments[:limit]:
        print(f"  新部门 {display(d)}")


def _v(field: str, value) -> str:
    if field == "active":
        return "在职" if value else "停用"
    if field == "department":
        return display(value or "") or "（无）"
    return str(value) if value not in (None, "") else "（空）"


def _print_problems(plan: ImportPlan) -> None:
    print(f"有 {len(plan.problems)} 处问题，未导入任何数据：", file=sys.stderr)
    print("行号\t列\t问题\t值", file=sys.stderr)
    for p in plan.problems:
        print(f"{p.row}\t{p.column}\t{p.problem}\t{p.value}", file=sys.stderr)


@command("people")
def cmd_people(args: argparse.Namespace) -> int:
    zl = facade(args)
    people = zl.people
    if args.action == "import":
        path = Path(args.file)
        data = path.read_bytes()
        try:
            if args.apply:
                plan = people.apply_import(data, path.name,
                                           deactivate_missing=args.deactivate_missing,
                                           by="cli", progress=_progress)
            else:
                plan = people.preview_import(data, path.name,
                                             deactivate_missing=args.deactivate_missing,
                                             progress=_progress)
        except ImportRefused as exc:
            print(file=sys.stderr)
            _print_plan(exc.plan, args.limit)
            _print_problems(exc.plan)
            return BAD_ROWS
        except ValueError as exc:         # FileFormatError: not a table at all
            print(f"\n错误：{path.name}: {exc}", file=sys.stderr)
            return BAD_ROWS
        print(file=sys.stderr)
        _print_plan(plan, args.limit)
        for skipped in plan.skipped:
            print(f"跳过（未导入）：{skipped}", file=sys.stderr)
        if not plan.ok:
            _print_problems(plan)
            return BAD_ROWS
        print("已导入。" if args.apply else "这是预览，未做任何更改；加 --apply 执行导入。")
        return 0
    if args.action == "export":
        kind = args.file.rsplit(".", 1)[-1].lower()
        if kind not in ("csv", "xlsx"):
            print("错误：导出文件名应以 .csv 或 .xlsx 结尾", file=sys.stderr)
            return 2
        data = people.export(kind, department=args.department)
        Path(args.file).write_bytes(data)
        print(f"已导出 {len(people.list_people(args.department))} 人到 {args.file}")
        return 0
    if args.action == "subscribe":
        if args.department:
            people.subscribe_department(args.column, args.department, by="cli")
            print(f"已为部门 {display(args.department)} 订阅 {args.column}（含下级部门）")
        else:
            people.subscribe_person(args.column, args.person, by="cli")
            print(f"已为 {args.person} 订阅 {args.column}")
        return 0
    if args.action == "unsubscribe":
        made = people.unsubscribe(args.column, args.person, via="cli", by="cli")
        print(f"{args.person} 已退订 {args.column}" + ("" if made else "（此前已退订）"))
        return 0
    if args.action == "departments":
        roots = people.department_tree()
        if not roots:
            print("还没有部门（导入人员时自动建立）")
        for root in roots:
            for node in root.walk():
                print(f"{'  ' * node.depth}{node.name}  {node.total} 人"
                      + (f"（本级 {node.direct}）" if node.children and node.direct else ""))
        return 0
    if args.action == "list":
        for p in people.list_people(args.department):
            state = "" if p["active"] else "（停用）"
            print(f"{p['id']:>5}  {p['employee_no'] or '-':<10} {p['name']:<8} "
                  f"{p['email']:<30} {display(p['department'] or '')}{state}")
        return 0
    if args.action == "subscriptions":
        subs = people.column_subscriptions(args.column)
        print(f"{subs['column']['name']}（{subs['column']['slug']}）：将推送给 "
              f"{subs['recipients']} 人")
        for d in subs["departments"]:
            print(f"  部门 {display(d['path'])}  {d['head_count']} 人")
        for p in subs["people"]:
            print(f"  个人 {p['employee_no'] or '-'} {p['name']} <{p['email']}>"
                  + ("（已退订）" if p["opted_out"] else ""))
        for p in subs["opt_outs"]:
            print(f"  退订 {p['employee_no'] or '-'} {p['name']} <{p['email']}>  {p['via']}")
        return 0
    return 2


def add_subscriber_parser(sub) -> None:
    s = sub.add_parser("subscriber", help="add or list subscribers")
    ss = s.add_subparsers(dest="action", required=True)
    a = ss.add_parser("add", help="add a subscriber and subscribe them to columns")
    a.add_argument("email")
    a.add_argument("--name", default="")
    a.add_argument("--department", default="")
    a.add_argument("--column", action="append", help="column slug (repeatable)")
    a = ss.add_parser("list", help="list subscribers")
    a.add_argument("--column", dest="column_filter")


@command("subscriber")
def cmd_subscriber(args: argparse.Namespace) -> int:
    zl = facade(args)
    if args.action == "add":
        sid = zl.add_subscriber(args.email, args.name, department=args.department)
        for slug in args.column or []:
            zl.subscribe(slug, sid)
        print(f"订阅者 {sid}：{args.email}")
    else:
        for s in zl.list_subscribers(args.column_filter):
            print(f"{s['id']:>5}  {s['email']}  {s['name']}  {s['department']}")
    return 0
