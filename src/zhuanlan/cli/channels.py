"""``zhuanlan channel``: the chat targets (group robots of WeCom, DingTalk, Feishu and
webhook endpoints) the columns push to; ``zhuanlan report``: an issue's delivery report;
``zhuanlan deliver``: send the outbox's due rows now."""

from __future__ import annotations

import argparse
import getpass
import os
import sys

from zhuanlan.app.channels import app_config
from zhuanlan.channels.apps import APP_KINDS
from zhuanlan.channels.chat import KINDS
from zhuanlan.cli.base import command, facade, local


def add_parser(sub) -> None:
    add_deliver_parser(sub)
    s = sub.add_parser("channel", help="chat targets: group robots (企业微信, 钉钉, 飞书) and "
                       "webhooks that columns push their issues to")
    ss = s.add_subparsers(dest="action", required=True)
    a = ss.add_parser("add", help="add a target (its settings are checked before saving)")
    a.add_argument("name")
    a.add_argument("--kind", required=True, choices=KINDS)
    a.add_argument("--url", required=True, help="the robot's webhook address (with its "
                   "key / access_token) or the webhook endpoint")
    a.add_argument("--secret", help="signing secret (DingTalk 加签 SEC…, Feishu 签名校验, "
                   "the webhook's HMAC key — required for a webhook)")
    a.add_argument("--msgtype", help="wecom: markdown|news; dingtalk: markdown|actionCard; "
                   "feishu: interactive|post")
    a.add_argument("--column", action="append", default=[], metavar="SLUG",
                   help="a column that pushes to this target (repeatable)")
    a.add_argument("--disabled", action="store_true", help="add it disabled")
    # No abbreviations: "--secret …" must not pass for "--secret-env".
    a = ss.add_parser("add-app", allow_abbrev=False,
                      help="add an app (自建应用) that messages each person by "
                      "name: 企业微信 应用消息, 钉钉 工作通知, 飞书 应用 (docs/channels.md)")
    a.add_argument("name")
    a.add_argument("--kind", required=True, choices=APP_KINDS)
    a.add_argument("--app-id", required=True,
                   help="企业微信 corpid; 钉钉 AppKey (Client ID); 飞书 App ID")
    a.add_argument("--agent-id", help="企业微信 AgentId; 钉钉 AgentId")
    a.add_argument("--corpid", help="钉钉 CorpId")
    a.add_argument("--api-base", metavar="URL",
                   help="私有化部署 or a proxy: every API call and the login go to this "
                   "address instead of the platform's public ones")
    a.add_argument("--secret-env", default="ZHUANLAN_APP_SECRET", metavar="VAR",
                   help="the environment variable holding the app's secret (default "
                   "%(default)s); asked for when it is not set, never taken on the "
                   "command line where the shell history would keep it")
    a.add_argument("--column", action="append", default=[], metavar="SLUG",
                   help="a column whose people get its issues through this app (repeatable)")
    a.add_argument("--disabled", action="store_true", help="add it disabled")
    ss.add_parser("list", help="list the targets, their columns and health")
    a = ss.add_parser("test", help="send a small test message to a target now")
    a.add_argument("name")
    a = ss.add_parser("assign", help="make a column push to a target")
    a.add_argument("name")
    a.add_argument("column")
    a = ss.add_parser("unassign", help="stop a column pushing to a target")
    a.add_argument("name")
    a.add_argument("column")
    for action, text in (("enable", "enable a target"), ("disable", "disable a target"),
                         ("delete", "delete a target and its outbox rows")):
        a = ss.add_parser(action, help=text)
        a.add_argument("name")

    s = sub.add_parser("report", help="an issue's delivery report: sent, failed (why), "
                       "pending, per channel and chat target")
    s.add_argument("column", help="the column's slug")
    s.add_argument("number", type=int, help="the issue's number")
    s.add_argument("--retry-failed", action="store_true",
                   help="put the failed rows back in the outbox first")




@command("channel")
def cmd_channel(args: argparse.Namespace) -> int:
    zl = facade(args)
    targets = zl.targets
    if args.action == "add":
        config = {"url": args.url, "secret": args.secret}
        if args.msgtype:
            config["msg_type" if args.kind == "feishu" else "msgtype"] = args.msgtype
        target_id = targets.add(args.name, args.kind, config, enabled=not args.disabled,
                                columns_=args.column, by="cli")
        t = targets.get(target_id)
        print(f"已添加推送渠道 {t['name']}（{t['kind_name']}，{t['endpoint']}）"
              + (f"，专栏：{'、'.join(c['slug'] for c in t['columns'])}" if t["columns"] else ""))
        return 0
    if args.action == "add-app":
        secret = os.environ.get(args.secret_env)
        if not secret:
            if not sys.stdin.isatty():
                print(f"请在环境变量 {args.secret_env} 中提供应用的 Secret", file=sys.stderr)
                return 2
            secret = getpass.getpass("应用 Secret：")
        config = app_config(args.kind, app_id=args.app_id, app_secret=secret,
                            agent_id=args.agent_id, corpid=args.corpid,
                            api_base=args.api_base)
        target_id = targets.add(args.name, args.kind, config, enabled=not args.disabled,
                                columns_=args.column, by="cli")
        t = targets.get(target_id)
        print(f"已添加应用 {t['name']}（{t['kind_name']}，{t['endpoint']}）"
              + (f"，专栏：{'、'.join(c['slug'] for c in t['columns'])}" if t["columns"] else "")
              + f"。检查凭据：zhuanlan channel test {t['name']}")
        return 0
    if args.action == "list":
        rows = targets.all()
        if not rows:
            print("还没有推送渠道：zhuanlan channel add NAME --kind dingtalk --url …")
        for t in rows:
            state = "启用" if t["enabled"] else "停用"
            health = (f"最近错误：{t['last_error']}" if t["last_error"] else
                      f"最近成功：{local(t['last_success_at'], zl.tz)}")
            cols = "、".join(c["slug"] for c in t["columns"]) or "（未分配专栏）"
            print(f"{t['id']}\t{t['name']}\t{t['kind']}\t{state}\t{t['endpoint']}\t{cols}\t{health}")
        return 0
    if args.action == "test":
        result = targets.test(args.name, by="cli")
        print(result.message)
        return 0 if result.ok else 1
    if args.action == "assign":
        changed = targets.assign(args.name, args.column, by="cli")
        print(f"专栏 {args.column} 将推送到 {args.name}" if changed
              else f"专栏 {args.column} 已经推送到 {args.name}")
        return 0
    if args.action == "unassign":
        changed = targets.unassign(args.name, args.column, by="cli")
        print(f"专栏 {args.column} 不再推送到 {args.name}" if changed
              else f"专栏 {args.column} 本来就不推送到 {args.name}")
        return 0
    if args.action in ("enable", "disable"):
        targets.set_enabled(args.name, args.action == "enable", by="cli")
        print(f"已{'启用' if args.action == 'enable' else '停用'} {args.name}")
        return 0
    if args.action == "delete":
        targets.delete(args.name, by="cli")
        print(f"已删除 {args.name}")
        return 0
    return 2


@command("report")
def cmd_report(args: argparse.Namespace) -> int:
    zl = facade(args)
    issue_id = zl.issue_id(args.column, args.number)
    if args.retry_failed:
        n = zl.retry_failed_deliveries(issue_id, by="cli")
        print(f"已将 {n} 条失败的推送重新排队")
    report = zl.delivery_report(issue_id)
    issue = report["issue"]
    t = report["totals"]
    print(f"{issue['column_name']} 第{issue['number']}期（{issue['title']}）"
          f"发布于 {local(issue['published_at'], zl.tz)}")
    print(f"合计 {t['total']}：已发送 {t['sent']}，失败 {t['failed']}，待发送 {t['pending']}")
    for c in report["channels"]:
        line = (f"\n[{c['name']}] 共 {c['total']}：已发送 {c['sent']}，失败 {c['failed']}，"
                f"待发送 {c['pending']}")
        if c["pending"]:
            line += f"（下次尝试 {local(c['next_attempt_at'], zl.tz)}）"
        print(line)
        for r in c["reasons"]:
            more = "…" if r["count"] > len(r["examples"]) else ""
            print(f"  失败 {r['count']}：{r['reason']}")
            print(f"    如：{'、'.join(r['examples'])}{more}")
        for r in c["notes"]:
            more = "…" if r["count"] > len(r["examples"]) else ""
            print(f"  说明 {r['count']} 人：{r['note']}")
            print(f"    如：{'、'.join(r['examples'])}{more}")
        if c["repeats"]:
            print(f"  可能重复：{c['repeats']} 人可能收到了两次（发送进程在平台接收后、记录前中断）")
    for r in report["reminders"]:
        who = "自动" if r["automatic"] else r["created_by"]
        print(f"\n催学提醒 {local(r['created_at'], zl.tz)}（{r['department'] or '全部'}，{who}）："
              f"{r['recipients']} 人，已发送 {r['sent']}，失败 {r['failed']}，待发送 {r['pending']}")
    if report["targets"]:
        print("\n推送渠道：")
        for r in report["targets"]:
            state = {"sent": "已发送", "failed": "失败", "pending": "待发送"}.get(r["state"],
                                                                             r["state"])
            extra = ""
            if r["state"] == "pending":
                extra = f"，下次尝试 {local(r['next_attempt_at'], zl.tz)}"
            elif r["state"] == "sent":
                extra = f"，{local(r['sent_at'], zl.tz)}"
            print(f"  {r['name']}（{r['kind']}）：{state}，已发 {r['progress']} 条消息，"
                  f"尝试 {r['attempts']} 次{extra}"
                  + (f"；原因：{r['last_error']}" if r["last_error"] else ""))
    return 0


def add_deliver_parser(sub) -> None:
    sub.add_parser("deliver", help="send the outbox's due e-mails now")


@command("deliver")
def cmd_deliver(args: argparse.Namespace) -> int:
    zl = facade(args)
    total = 0
    while True:
        n = zl.deliver_due()
        if n == 0:
            break
        total += n
        print(f"\r已处理 {total} 封", end="", file=sys.stderr, flush=True)
    chat = 0
    while (n := zl.deliver_chat_due()) > 0:
        chat += n
    print(f"\n投递完成：处理 {total} 封" + (f"，群推送 {chat} 条" if chat else ""))
    return 0
