"""``zhuanlan source``: add, list, enable, disable and poll sources; ``reextract``."""

from __future__ import annotations

import argparse
import sys

from zhuanlan.cli.base import command, facade, local, read_spec


def add_parser(sub) -> None:
    s = sub.add_parser("source", help="add, list or poll sources")
    ss = s.add_subparsers(dest="action", required=True)
    a = ss.add_parser("add", help="add a source: a feed, an html list page, a JSON list or a "
                      "sitemap")
    a.add_argument("name")
    a.add_argument("url", help="the list's URL (may hold {date:%%Y%%m/%%d} and {param})")
    a.add_argument("--kind", default="feed", choices=["feed", "html", "json", "sitemap"])
    a.add_argument("--spec", help="TOML or JSON file with the list's selectors or JSON paths "
                   "(fields of sources/spec.py, as in the preset files)")
    a.add_argument("--param", action="append", metavar="NAME=VALUE",
                   help="value of a {NAME} placeholder in the URL (repeatable)")
    a.add_argument("--poll-minutes", type=int)
    a.add_argument("--authority", type=int, default=50, help="rank among outlets (0–100)")
    ss.add_parser("list", help="list sources with their health")
    ss.add_parser("presets", help="list the presets of the real outlets")
    for action, text in (("enable", "enable a source"), ("disable", "disable a source")):
        a = ss.add_parser(action, help=text)
        a.add_argument("id", type=int)
    a = ss.add_parser("param", help="set a source's URL parameters, e.g. a 学习强国 channel id")
    a.add_argument("id", type=int)
    a.add_argument("values", nargs="+", metavar="NAME=VALUE")
    a = ss.add_parser("poll", help="poll sources now and process what they bring")
    a.add_argument("ids", nargs="*", type=int)

    s = sub.add_parser("reextract", help="extract the kept pages again (after an extractor "
                       "upgrade) and update their articles")
    s.add_argument("--source", type=int, help="only the pages of this source id")


@command("source")
def cmd_source(args: argparse.Namespace) -> int:
    from zhuanlan.sources.health import source_status

    zl = facade(args)
    if args.action == "add":
        spec = read_spec(args.spec) if args.spec else None
        params = dict(p.split("=", 1) for p in args.param) if args.param else None
        sid = zl.add_source(args.name, args.url, kind=args.kind, spec=spec, params=params,
                            poll_minutes=args.poll_minutes, authority=args.authority)
        print(f"信息源 {sid}：{args.name} <{args.url}>")
    elif args.action in ("enable", "disable", "param"):
        params = dict(p.split("=", 1) for p in args.values) if args.action == "param" else None
        enabled = {"enable": True, "disable": False}.get(args.action)
        src = zl.update_source(args.id, enabled=enabled, params=params)
        print(f"信息源 {src['id']}：{src['name']} <{src['url']}> "
              f"{'已启用' if src['enabled'] else '已停用'}")
    elif args.action == "presets":
        from zhuanlan.sources.presets import load_presets
        for p in load_presets():
            state = "" if p.enabled else "（默认停用）"
            print(f"{p.id:28} {p.outlet}  {p.name}  [{p.kind}]{state}")
            if p.description:
                print(f"      {p.description}")
    elif args.action == "list":
        tz = zl.tz
        fmt = lambda dt: local(dt, tz)  # noqa: E731
        for s in zl.list_sources():
            st = source_status(s)
            print(f"{s['id']:>4}  {s['name']}  [{st.label}]  {s['url']}")
            if st.detail:
                print(f"      {st.detail}")
            print(f"      最近成功 {fmt(s['last_success_at'])} · 连续失败 {s['consecutive_failures']} 次"
                  f" · 下次抓取 {fmt(s['next_poll_at']) if s['enabled'] else '—'}"
                  f"（间隔约 {s['poll_minutes']} 分钟）· 文章 {s['article_count']}")
    elif args.action == "poll":
        ids = args.ids or [s["id"] for s in zl.list_sources() if s["enabled"]]
        for sid in ids:
            zl.poll_now(sid)
        done = zl.run_until_idle()
        print(f"抓取信息源 {done.polled} 次，处理页面 {done.pages} 个")
    return 0


@command("reextract")
def cmd_reextract(args: argparse.Namespace) -> int:
    zl = facade(args)

    def progress(updated: int, failed: int) -> None:
        print(f"\r已重新提取 {updated} 篇，失败 {failed} 篇", end="", file=sys.stderr, flush=True)

    updated, failed = zl.reextract(args.source, progress=progress)
    print(f"\n完成：更新 {updated} 篇文章，{failed} 个页面未能提取")
    return 0
