"""The command line. Each command parses its arguments, calls the facade, prints.

``zhuanlan --help`` lists every command; ``zhuanlan COMMAND --help`` documents one.
"""

from __future__ import annotations

import argparse
import errno
import logging
import sys
from datetime import timedelta
from typing import Callable

from zhuanlan import __version__
from zhuanlan.config import SETTINGS, env_name, load_config
from zhuanlan.errors import ZhuanlanError
from zhuanlan.lifecycle import prepare_data_dir
from zhuanlan.redact import redact_url

log = logging.getLogger("zhuanlan.cli")

Handler = Callable[[argparse.Namespace], int]
COMMANDS: dict[str, Handler] = {}


def command(name: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        COMMANDS[name] = fn
        return fn
    return register


def _facade(args: argparse.Namespace, **overrides):  # noqa: ANN202
    from zhuanlan.core import Zhuanlan
    from zhuanlan.log import setup_logging

    cfg = load_config(args.config)
    if overrides:
        cfg = cfg.with_overrides(**overrides)
    setup_logging(cfg["log.level"], cfg["log.format"])
    return Zhuanlan(cfg)


# -- setup and running ----------------------------------------------------------------

@command("init")
def cmd_init(args: argparse.Namespace) -> int:
    from zhuanlan.bootstrap import install_presets, install_sample

    zl = _facade(args)
    prepare_data_dir(zl.cfg)
    zl.migrate()
    zl.cfg.secret_key             # made now (when not set), not by whichever process is first
    print(f"数据库已就绪：{redact_url(zl.cfg.database_url)}")
    if zl.cfg["presets.enabled"] and not args.no_presets:
        print(f"已添加预置信息源 {install_presets(zl)} 个（人民网、人民日报、新华网、央视网、"
              "中国政府网、求是网、学习强国；部分默认停用）")
    if zl.cfg["sample.enabled"] and not args.no_sample:
        install_sample(zl, f"http://127.0.0.1:{zl.cfg['sample.port']}/feed.xml")
        print("示例专栏「学习二十大」已配置（示例站点在 `zhuanlan run` 时启动）")
    if zl.staff.count_users() == 0:
        print("还没有工作人员账号：运行 `zhuanlan user add admin --role admin` 创建第一位管理员，"
              "然后在 /login 登录编辑台")
    return 0


@command("migrate")
def cmd_migrate(args: argparse.Namespace) -> int:
    zl = _facade(args)
    zl.migrate()
    print("数据库结构已是最新")
    return 0


@command("run")
def cmd_run(args: argparse.Namespace) -> int:
    """Web app + worker loop (+ the sample site) in one process."""
    from zhuanlan.bootstrap import install_sample
    from zhuanlan.core import Zhuanlan
    from zhuanlan.lifecycle import Shutdown, bind, join, port_in_use, serve_app
    from zhuanlan.log import setup_logging
    from zhuanlan.web.app import create_app
    from zhuanlan.worker import Worker

    shutdown = Shutdown().install()
    cfg = load_config(args.config)
    setup_logging(cfg["log.level"], cfg["log.format"])
    prepare_data_dir(cfg)
    web_socket = bind(cfg["web.host"], cfg["web.port"])
    site = zl = thread = None
    try:
        if cfg["sample.enabled"]:
            from zhuanlan.sample import SampleSite
            site = SampleSite("127.0.0.1", cfg["sample.port"])
            try:
                site.start()
            except OSError as exc:
                if exc.errno == errno.EADDRINUSE:
                    raise port_in_use("127.0.0.1", cfg["sample.port"], "sample.port") from None
                raise
            # The sample site is on loopback, which the SSRF guard refuses: allow exactly it.
            cfg = cfg.with_overrides(fetch__allow_private=[*cfg["fetch.allow_private"],
                                                           f"127.0.0.1:{site.port}"])
        zl = Zhuanlan(cfg)
        zl.migrate()
        if site is not None:
            install_sample(zl, site.feed_url, first_issue_in=timedelta(seconds=15))
        if cfg["worker.enabled"]:
            worker = Worker(zl, stop=shutdown.event)
            thread = worker.start_thread()
        print(f"zhuanlan 已启动：{cfg.base_url}/", flush=True)
        if not shutdown.event.is_set():
            serve_app(create_app(zl), web_socket, shutdown)
    finally:
        shutdown.stop()
        join(thread, "worker")
        if zl is not None:
            zl.close()               # flushes the study records, stops the extraction pool
        if site is not None:
            site.stop()
        web_socket.close()
    print("zhuanlan 已停止", flush=True)
    return 0


@command("serve")
def cmd_serve(args: argparse.Namespace) -> int:
    from zhuanlan.lifecycle import Shutdown, bind, serve_app
    from zhuanlan.web.app import create_app

    shutdown = Shutdown().install()
    zl = _facade(args)
    prepare_data_dir(zl.cfg)
    host, port = args.host or zl.cfg["web.host"], args.port or zl.cfg["web.port"]
    web_socket = bind(host, port)
    try:
        print(f"zhuanlan 网页服务已启动：http://{host}:{port}/", flush=True)
        if not shutdown.event.is_set():
            serve_app(create_app(zl), web_socket, shutdown)
    finally:
        zl.close()
        web_socket.close()
    return 0


@command("worker")
def cmd_worker(args: argparse.Namespace) -> int:
    from zhuanlan.lifecycle import Shutdown
    from zhuanlan.worker import Worker

    zl = _facade(args)
    prepare_data_dir(zl.cfg)
    if args.once:
        try:
            done = zl.run_until_idle()
        finally:
            zl.close()
        print(f"抓取信息源 {done.polled} 次，处理页面 {done.pages} 个，"
              f"发布 {done.published} 期，投递 {done.delivered} 封，"
              f"群推送 {done.chat_delivered} 条")
        return 0
    shutdown = Shutdown().install()
    worker = Worker(zl, stop=shutdown.event)
    print(f"zhuanlan 后台任务已启动（{zl.worker_id}）", flush=True)
    try:
        worker.run()              # returns after its round once a signal came
    finally:
        zl.close()
    return 0


@command("config")
def cmd_config(args: argparse.Namespace) -> int:
    cfg = load_config(args.config)
    if args.action == "show":
        for name, value, origin in cfg.show():
            print(f"{name:24} = {value:40} # {origin}")
    else:
        for s in SETTINGS:
            print(f"{s.name} ({s.type}, {env_name(s.name)}; default {s.default!r})\n    {s.help}")
    return 0


# -- sources -----------------------------------------------------------------------

@command("source")
def cmd_source(args: argparse.Namespace) -> int:
    from zhuanlan.web.status import source_status

    zl = _facade(args)
    if args.action == "add":
        spec = _read_spec(args.spec) if args.spec else None
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
        fmt = lambda dt: _local(dt, tz)  # noqa: E731
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


# -- columns and review -----------------------------------------------------------------

@command("column")
def cmd_column(args: argparse.Namespace) -> int:
    zl = _facade(args)
    if args.action == "add":
        zl.add_column(args.slug, args.name, include=args.include, exclude=args.exclude,
                      title_terms=args.title_terms, sources_filter=args.source,
                      max_age_days=args.max_age_days, min_length=args.min_length,
                      schedule=args.schedule, timezone_name=args.timezone,
                      editor_note=args.note, description=args.description,
                      auto_approve=args.auto_approve or args.auto_approve_threshold is not None,
                      auto_approve_threshold=args.auto_approve_threshold)
        print(f"专栏已创建：{args.name}（{args.slug}）")
    elif args.action == "list":
        for c in zl.list_columns():
            print(f"{c['slug']:20} {c['name']}  已出 {c['issue_count']} 期  "
                  f"待审 {c['pending_count']}  计划 {c['schedule']} {c['timezone']}")
    elif args.action == "note":
        zl.set_editor_note(args.slug, args.text, by="cli")
        print("编者按已保存")
    elif args.action == "schedule":
        zl.set_schedule(args.slug, args.cron, args.timezone)
        print(f"推送计划已更新：{args.cron}")
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
    zl = _facade(args)
    for c in zl.candidates(args.slug, args.state):
        terms = f"  命中：{'、'.join(c['terms'])}" if c["terms"] else ""
        print(f"{c['id']:>5}  [{c['state']}] {c['score']:6.1f}  {c['title']}  "
              f"({c['outlet'] or ''}){terms}")
    return 0


def _decide(action: str) -> Handler:
    def run(args: argparse.Namespace) -> int:
        zl = _facade(args)
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


# -- subscribers and delivery -----------------------------------------------------------

@command("subscriber")
def cmd_subscriber(args: argparse.Namespace) -> int:
    zl = _facade(args)
    if args.action == "add":
        sid = zl.add_subscriber(args.email, args.name, department=args.department)
        for slug in args.column or []:
            zl.subscribe(slug, sid)
        print(f"订阅者 {sid}：{args.email}")
    else:
        for s in zl.list_subscribers(args.column_filter):
            print(f"{s['id']:>5}  {s['email']}  {s['name']}  {s['department']}")
    return 0


@command("audit")
def cmd_audit(args: argparse.Namespace) -> int:
    zl = _facade(args)
    for e in reversed(zl.audit(args.limit)):
        print(f"{_local(e['at'], zl.tz)}  {e['actor']:10} {e['action']:14} {e['target']}  "
              f"{e['detail'][:60]}")
    return 0


@command("deliver")
def cmd_deliver(args: argparse.Namespace) -> int:
    zl = _facade(args)
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


@command("reextract")
def cmd_reextract(args: argparse.Namespace) -> int:
    zl = _facade(args)

    def progress(updated: int, failed: int) -> None:
        print(f"\r已重新提取 {updated} 篇，失败 {failed} 篇", end="", file=sys.stderr, flush=True)

    updated, failed = zl.reextract(args.source, progress=progress)
    print(f"\n完成：更新 {updated} 篇文章，{failed} 个页面未能提取")
    return 0


@command("dedup")
def cmd_dedup(args: argparse.Namespace) -> int:
    from zhuanlan.cli_dedup import run_dedup
    return run_dedup(args.input)


@command("user")
def cmd_user(args: argparse.Namespace) -> int:
    from zhuanlan.cli_users import run
    return run(_facade(args), args)


@command("people")
def cmd_people(args: argparse.Namespace) -> int:
    from zhuanlan.cli_people import run
    return run(_facade(args), args)


@command("channel")
def cmd_channel(args: argparse.Namespace) -> int:
    from zhuanlan.cli_channels import run
    return run(_facade(args), args)


@command("report")
def cmd_report(args: argparse.Namespace) -> int:
    from zhuanlan.cli_channels import run_report
    return run_report(_facade(args), args)


@command("extract")
def cmd_extract(args: argparse.Namespace) -> int:
    from zhuanlan.extract_cli import run_extract
    return run_extract(args, load_config(args.config))


def _read_spec(path: str) -> dict:
    import json
    import tomllib
    from pathlib import Path

    from zhuanlan.errors import ConfigError
    text = Path(path).read_text(encoding="utf-8")
    try:
        return json.loads(text) if path.endswith(".json") else tomllib.loads(text)
    except (ValueError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(path, f"cannot read the spec: {exc}") from exc


def _local(dt, tz: str) -> str:  # noqa: ANN001
    from zoneinfo import ZoneInfo
    return dt.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M") if dt else "—"


# -- the parser -------------------------------------------------------------------------

def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="zhuanlan",
        description="专栏 zhuanlan: gather articles from authoritative sources, review them, "
                    "and push each column's issues to employees.")
    p.add_argument("--version", action="version", version=f"zhuanlan {__version__}")
    p.add_argument("-c", "--config", help="path of zhuanlan.toml (default: $ZHUANLAN_CONFIG "
                   "or ./zhuanlan.toml if present)")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", required=True)

    s = sub.add_parser("init", help="create the database and the presets and sample column")
    s.add_argument("--no-sample", action="store_true", help="skip the sample column")
    s.add_argument("--no-presets", action="store_true", help="skip the real outlets' presets")
    sub.add_parser("migrate", help="upgrade the database schema to the newest revision")
    sub.add_parser("run", help="serve the web app and run the worker (and the sample site) "
                   "in one process")
    s = sub.add_parser("serve", help="serve the web app only (workers run elsewhere)")
    s.add_argument("--host")
    s.add_argument("--port", type=int)
    s = sub.add_parser("worker", help="run the worker loop only")
    s.add_argument("--once", action="store_true", help="work until nothing is due, then exit")
    s = sub.add_parser("config", help="show the settings or document them")
    s.add_argument("action", choices=["show", "help"], help="show: values and where they come "
                   "from (secrets hidden); help: every setting with its help")

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

    s = sub.add_parser("review", help="list a column's candidates")
    s.add_argument("slug")
    s.add_argument("--state", default="pending",
                   choices=["pending", "approved", "rejected", "published"])
    for action, text in (("approve", "approve candidates"), ("reject", "reject candidates"),
                         ("undo", "put decided candidates back in the queue")):
        s = sub.add_parser(action, help=text)
        s.add_argument("ids", nargs="+", type=int, metavar="CANDIDATE_ID")
        s.add_argument("--by", default="cli", help="who decides (for the record)")

    s = sub.add_parser("subscriber", help="add or list subscribers")
    ss = s.add_subparsers(dest="action", required=True)
    a = ss.add_parser("add", help="add a subscriber and subscribe them to columns")
    a.add_argument("email")
    a.add_argument("--name", default="")
    a.add_argument("--department", default="")
    a.add_argument("--column", action="append", help="column slug (repeatable)")
    a = ss.add_parser("list", help="list subscribers")
    a.add_argument("--column", dest="column_filter")
    sub.add_parser("deliver", help="send the outbox's due e-mails now")
    s = sub.add_parser("audit", help="show the audit log: who approved, published, changed what")
    s.add_argument("--limit", type=int, default=50)

    s = sub.add_parser("reextract", help="extract the kept pages again (after an extractor "
                       "upgrade) and update their articles")
    s.add_argument("--source", type=int, help="only the pages of this source id")

    s = sub.add_parser("dedup", help="cluster a JSONL of {id, title, text, url, source} into "
                       "stories, printed as JSONL {story, ids}")
    s.add_argument("input", nargs="?", default="-", help="the JSONL file, or - for stdin")

    from zhuanlan.cli_users import add_parser as add_user_parser
    add_user_parser(sub)
    from zhuanlan.cli_people import add_parser as add_people_parser
    add_people_parser(sub)
    from zhuanlan.cli_channels import add_parser as add_channel_parser
    add_channel_parser(sub)

    s = sub.add_parser("extract", help="extract articles from files or URLs, one JSON line each")
    s.add_argument("inputs", nargs="+", metavar="FILE_OR_URL")
    s.add_argument("--url", help="the page's URL when extracting a single file")
    s.add_argument("--json", action="store_true", help="JSON lines (the default output)")
    return p


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except ZhuanlanError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        position = getattr(exc, "position", None)
        if position is not None:
            print(f"（位置：第 {position + 1} 个字符）", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
