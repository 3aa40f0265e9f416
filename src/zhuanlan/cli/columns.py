"""Columns and the review: ``column``, ``review``, ``approve`` / ``reject`` / ``undo``,
and the ``audit`` log."""

from __future__ import annotations

import argparse
import sys

from zhuanlan.app.columns import FIELD_NAMES
from zhuanlan.cli.base import COMMANDS, Handler, command, facade, local
from zhuanlan.errors import ZhuanlanError


def add_parser(sub) -> None:
    s = sub.add_parser("column", help="add, list, annotate, schedule or publish columns")
    ss = s.add_subparsers(dest="action", required=True)
    a = ss.add_parser("add", help="create a column")
    a.add_argument("slug")
    a.add_argument("name")
    a.add_argument("--include", required=True,
                   help='rule: terms with AND, OR, NOT, parentheses, "phrases", title:term; '
                        "a comma means OR (e.g. '二十大, \"中国式现代化\" AND 学习')")
    a.add_argument("--exclude", default="", help="rule that excludes an article when it holds")
    a.add_argument("--title-terms", default="", help="rule the title must satisfy")
    a.add_argument("--source", action="append", help="only articles of this source id or "
                   "name (repeatable)")
    a.add_argument("--max-age-days", type=int, help="only articles published within N days")
    a.add_argument("--min-length", type=int, default=0, help="only articles of at least N "
                   "characters")
    a.add_argument("--auto-approve-threshold", type=float, help="approve without review when "
                   "the column's learner gives at least this probability (0–1)")
    a.add_argument("--schedule", default="0 9 * * 1", help="cron, e.g. '0 9 * * 1' (Mon 09:00)")
    a.add_argument("--timezone", help="IANA zone (default: the timezone setting)")
    a.add_argument("--note", default="", help="editor's note (编者按) for the next issue")
    a.add_argument("--description", default="")
    a.add_argument("--auto-approve", action="store_true",
                   help="approve every matching article without review")
    a.add_argument("--compulsory", action="store_true",
                   help="必学: readers may not unsubscribe (no unsubscribe link)")
    a.add_argument("--contact", default="",
                   help="whom readers of a 必学 column ask, e.g. '宣传部 张三 电话 1234'")
    a.add_argument("--reflection-names", action="store_true",
                   help="学习心得选登 show the author's name and department without asking")
    a = ss.add_parser("edit", help="change a column's fields (only those given)")
    a.add_argument("slug")
    a.add_argument("--name")
    a.add_argument("--description")
    a.add_argument("--include")
    a.add_argument("--exclude")
    a.add_argument("--title-terms")
    a.add_argument("--schedule")
    a.add_argument("--timezone")
    a.add_argument("--auto-approve-threshold", type=float)
    a.add_argument("--compulsory", action=argparse.BooleanOptionalAction,
                   help="必学 (--no-compulsory: readers may unsubscribe again)")
    a.add_argument("--contact")
    a.add_argument("--reflection-names", action=argparse.BooleanOptionalAction,
                   help="学习心得选登 show names without asking (--no-reflection-names: "
                   "ask each author first)")
    a = ss.add_parser("archive", help="归档: stop the column's schedule and deliveries; "
                      "its issues and statistics stay")
    a.add_argument("slug")
    a = ss.add_parser("unarchive", help="恢复 an archived column")
    a.add_argument("slug")
    ss.add_parser("list", help="list columns")
    a = ss.add_parser("note", help="set the editor's note for the next issue")
    a.add_argument("slug")
    a.add_argument("text")
    a = ss.add_parser("schedule", help="change a column's cron schedule")
    a.add_argument("slug")
    a.add_argument("cron")
    a.add_argument("--timezone")
    a = ss.add_parser("publish", help="publish the approved candidates as an issue now")
    a.add_argument("slug")
    a = ss.add_parser("deadline", help="the study deadline of each issue (days after "
                      "publishing) and an automatic 催学 reminder some hours before it")
    a.add_argument("slug")
    a.add_argument("--days", type=int, help="days after publishing (omit: no deadline)")
    a.add_argument("--remind-hours", type=int,
                   help="remind who has not studied this many hours before the deadline "
                   "(omit: no automatic reminder)")
    a = ss.add_parser("min-read", help="the minimum reading time per article below which "
                      "a 我已学习 does not count as studied (0: none)")
    a.add_argument("slug")
    a.add_argument("seconds", type=int)
    a = ss.add_parser("remind", help="remind the people who have not studied an issue yet "
                      "(through their app, else e-mail; once a day at most per person)")
    a.add_argument("slug")
    a.add_argument("number", type=int)
    a.add_argument("--department", help="only this department's subtree (a path such as "
                   "集团/一公司)")

    s = sub.add_parser("review", help="list a column's candidates")
    s.add_argument("slug")
    s.add_argument("--state", default="pending",
                   choices=["pending", "approved", "rejected", "published"])
    for action, text in (("approve", "approve candidates"), ("reject", "reject candidates"),
                         ("undo", "put decided candidates back in the queue")):
        s = sub.add_parser(action, help=text)
        s.add_argument("ids", nargs="+", type=int, metavar="CANDIDATE_ID")
        s.add_argument("--by", default="cli", help="who decides (for the record)")

    s = sub.add_parser("audit", help="show the audit log: who approved, published, changed what")
    s.add_argument("--limit", type=int, default=50)


@command("column")
def cmd_column(args: argparse.Namespace) -> int:
    zl = facade(args)
    if args.action == "add":
        zl.add_column(args.slug, args.name, include=args.include, exclude=args.exclude,
                      title_terms=args.title_terms, sources_filter=args.source,
                      max_age_days=args.max_age_days, min_length=args.min_length,
                      schedule=args.schedule, timezone_name=args.timezone,
                      editor_note=args.note, description=args.description,
                      auto_approve=args.auto_approve or args.auto_approve_threshold is not None,
                      auto_approve_threshold=args.auto_approve_threshold,
                      compulsory=args.compulsory, contact=args.contact,
                      reflection_names=args.reflection_names, by="cli")
        pending = zl.candidate_counts(args.slug).get("pending", 0)
        print(f"专栏已创建：{args.name}（{args.slug}）；近 30 天已收录的文章中 {pending} 篇待审")
    elif args.action == "edit":
        given = {k: v for k, v in (
            ("name", args.name), ("description", args.description), ("include", args.include),
            ("exclude", args.exclude), ("title_terms", args.title_terms),
            ("schedule", args.schedule), ("timezone", args.timezone),
            ("auto_approve_threshold", args.auto_approve_threshold),
            ("compulsory", args.compulsory), ("contact", args.contact),
            ("reflection_names", args.reflection_names)) if v is not None}
        changed = zl.columns.update(args.slug, zl.columns.fields(args.slug).changed(**given),
                                    by="cli")
        print("已修改：" + "、".join(FIELD_NAMES.get(k, k) for k in changed) if changed
              else "没有改动")
    elif args.action == "archive":
        zl.columns.archive(args.slug, by="cli")
        print(f"专栏 {args.slug} 已归档：不再定时发布和推送；往期和统计保留")
    elif args.action == "unarchive":
        zl.columns.unarchive(args.slug, by="cli")
        print(f"专栏 {args.slug} 已恢复")
    elif args.action == "list":
        for c in zl.list_columns():
            print(f"{c['slug']:20} {c['name']}  已出 {c['issue_count']} 期  "
                  f"待审 {c['pending_count']}  计划 {c['schedule']} {c['timezone']}"
                  f"{'  必学' if c['compulsory'] else ''}"
                  f"{'  已归档' if c['archived_at'] else ''}")
    elif args.action == "note":
        zl.set_editor_note(args.slug, args.text, by="cli")
        print("编者按已保存")
    elif args.action == "schedule":
        zl.set_schedule(args.slug, args.cron, args.timezone)
        print(f"推送计划已更新：{args.cron}")
    elif args.action == "deadline":
        zl.reminders.set_deadline(args.slug, args.days, args.remind_hours, by="cli")
        print(f"学习期限：{f'发布后 {args.days} 天' if args.days else '无'}；自动提醒："
              f"{f'截止前 {args.remind_hours} 小时' if args.remind_hours else '关闭'}")
    elif args.action == "min-read":
        zl.reading.set_min_read(args.slug, args.seconds, by="cli")
        print(f"每篇最短阅读时间：{f'{args.seconds} 秒' if args.seconds else '不限'}")
    elif args.action == "remind":
        done = zl.reminders.remind(zl.issue_id(args.slug, args.number),
                                   department=args.department, by="cli")
        print(f"已安排提醒 {done.count} 人" if done.count
              else "没有需要提醒的人：都已学习，或今天已提醒过")
    elif args.action == "publish":
        issue_id = zl.publish_now(args.slug, by="cli")
        if issue_id is None:
            print("没有已通过的稿件，未发布", file=sys.stderr)
            return 1
        latest = zl.issues_of(args.slug)[0]
        print(f"已发布：{latest['title']}  {zl.cfg.base_url}/c/{args.slug}/{latest['number']}")
    return 0


@command("review")
def cmd_review(args: argparse.Namespace) -> int:
    zl = facade(args)
    for c in zl.candidates(args.slug, args.state):
        terms = f"  命中：{'、'.join(c['terms'])}" if c["terms"] else ""
        print(f"{c['id']:>5}  [{c['state']}] {c['score']:6.1f}  {c['title']}  "
              f"({c['outlet'] or ''}){terms}")
    return 0


def _decide(action: str) -> Handler:
    def run(args: argparse.Namespace) -> int:
        zl = facade(args)
        failed = 0
        for cid in args.ids:
            try:
                state = zl.decide(cid, action, by=args.by)
                print(f"{cid}: {state}")
            except ZhuanlanError as exc:
                print(f"{cid}: 错误：{exc}", file=sys.stderr)
                failed += 1
        return 1 if failed else 0
    return run


for _action in ("approve", "reject", "undo"):
    COMMANDS[_action] = _decide(_action)


@command("audit")
def cmd_audit(args: argparse.Namespace) -> int:
    zl = facade(args)
    for e in reversed(zl.audit(args.limit)):
        print(f"{local(e['at'], zl.tz)}  {e['actor_name']:10} {e['action_name']:10} "
              f"{e['target_name']}  {e['detail_text'][:60]}")
    return 0
