"""``zhuanlan user``: staff accounts from the command line (the first administrator is
made here), and personal API tokens."""

from __future__ import annotations

import argparse
import getpass
import sys

from zhuanlan.app.staff import ROLE_NAMES, ROLES, StaffUser
from zhuanlan.cli.base import command, facade


def add_parser(sub) -> None:
    s = sub.add_parser("user", help="staff accounts: add, list, change, passwords, API tokens")
    ss = s.add_subparsers(dest="action", required=True)
    a = ss.add_parser("add", help="add a staff user (the first one should be an admin)")
    a.add_argument("username")
    a.add_argument("--role", choices=ROLES, default="editor")
    a.add_argument("--name", default="", help="display name")
    a.add_argument("--column", action="append", default=[],
                   help="column slug the editor may edit (repeatable)")
    a.add_argument("--department", action="append", default=[],
                   help="limit the statistics to this department's subtree (repeatable)")
    a.add_argument("--password-stdin", action="store_true",
                   help="read the password from the first line of stdin (for scripts)")
    ss.add_parser("list", help="list staff users, their roles and columns")
    a = ss.add_parser("set", help="change a user's role, columns or whether they may log in")
    a.add_argument("username")
    a.add_argument("--role", choices=ROLES)
    a.add_argument("--column", action="append", help="replace the columns (repeatable)")
    d = a.add_mutually_exclusive_group()
    d.add_argument("--department", action="append",
                   help="replace the departments the statistics are limited to (repeatable)")
    d.add_argument("--all-departments", action="store_true",
                   help="lift the department limit: the whole organisation")
    g = a.add_mutually_exclusive_group()
    g.add_argument("--disable", action="store_true")
    g.add_argument("--enable", action="store_true")
    a = ss.add_parser("passwd", help="set a user's password (ends their sessions)")
    a.add_argument("username")
    a.add_argument("--password-stdin", action="store_true")
    a = ss.add_parser("token", help="make a personal API token (printed once)")
    a.add_argument("username")
    a.add_argument("--name", default="cli")
    a = ss.add_parser("tokens", help="list a user's API tokens")
    a.add_argument("username")
    a = ss.add_parser("revoke-token", help="revoke an API token by its id")
    a.add_argument("token_id", type=int)


def _password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("密码：")
    if getpass.getpass("再次输入密码：") != first:
        raise SystemExit("两次输入的密码不一致")
    return first


@command("user")
def cmd_user(args: argparse.Namespace) -> int:
    zl = facade(args)
    staff = zl.staff
    if args.action == "add":
        staff.add_user(args.username, _password(args), role=args.role, display_name=args.name,
                       columns_=args.column, departments=args.department, by="cli")
        print(f"已添加用户 {args.username}（{ROLE_NAMES[args.role]}）")
    elif args.action == "list":
        for u in staff.list_users():
            state = "" if u["active"] else "（已停用）"
            cols = ",".join(u["columns"]) or "-"
            scope = f" 管辖单位：{'，'.join(u['departments'])}" if u["departments"] else ""
            print(f"{u['username']:<20} {ROLE_NAMES[u['role']]:<4} 专栏：{cols}{scope}{state}")
    elif args.action == "set":
        active = True if args.enable else (False if args.disable else None)
        departments = [] if args.all_departments else args.department
        staff.update_user(args.username, role=args.role, active=active, columns_=args.column,
                          departments=departments, by="cli")
        print(f"已更新用户 {args.username}")
    elif args.action == "passwd":
        staff.set_password(args.username, _password(args), by="cli")
        print(f"已设置 {args.username} 的密码")
    elif args.action == "token":
        token_id, token = staff.create_token(args.username, args.name, by="cli")
        print(f"令牌 #{token_id}（只显示这一次，请妥善保存）：")
        print(token)
    elif args.action == "tokens":
        for t in staff.list_tokens(args.username):
            state = f"已吊销 {t['revoked_at']:%Y-%m-%d}" if t["revoked_at"] else "有效"
            print(f"#{t['id']:<5} {t['prefix']}…  {t['name']:<20} {state}")
    elif args.action == "revoke-token":
        # Whoever runs the CLI has the store itself: they act as an administrator.
        staff.revoke_token(args.token_id, user=StaffUser(0, "cli", "", "admin"))
        print(f"令牌 #{args.token_id} 已吊销")
    return 0
