"""Setting up and running: ``init``, ``migrate``, ``run`` (web + worker + sample site in
one process), ``serve``, ``worker`` and ``config``."""

from __future__ import annotations

import argparse
import errno
from datetime import timedelta

from zhuanlan.cli.base import command, facade
from zhuanlan.config import SETTINGS, env_name, load_config
from zhuanlan.lifecycle import prepare_data_dir
from zhuanlan.redact import redact_url


def add_parser(sub) -> None:
    s = sub.add_parser("init", help="create the database and the presets and sample column")
    s.add_argument("--no-sample", action="store_true", help="skip the sample column")
    s.add_argument("--no-presets", action="store_true", help="skip the real outlets' presets")
    sub.add_parser("migrate", help="upgrade the database schema to the newest revision")
    sub.add_parser("run", help="serve the web app and run the worker (and the sample site) "
                   "in one process")
    s = sub.add_parser("serve", help="serve the web app only (workers run elsewhere)")
    s.add_argument("--host")
    s.add_argument("--port", type=int)
    s.add_argument("--workers", type=_positive, help="web processes sharing the port "
                   "(default: one per core); one that dies is started again")
    s = sub.add_parser("worker", help="run the worker loop only")
    s.add_argument("--once", action="store_true", help="work until nothing is due, then exit")
    s = sub.add_parser("config", help="show the settings or document them")
    s.add_argument("action", choices=["show", "help"], help="show: values and where they come "
                   "from (secrets hidden); help: every setting with its help")


@command("init")
def cmd_init(args: argparse.Namespace) -> int:
    from zhuanlan.app.bootstrap import install_presets, install_sample

    zl = facade(args)
    prepare_data_dir(zl.cfg)
    zl.migrate()
    _ = zl.cfg.secret_key         # made now (when not set), not by whichever process is first
    print(f"数据库已就绪：{redact_url(zl.cfg.database_url)}")
    if zl.cfg["presets.enabled"] and not args.no_presets:
        print(f"已添加预置信息源 {install_presets(zl.sources)} 个（人民网、人民日报、新华网、央视网、"
              "中国政府网、求是网、学习强国；部分默认停用）")
    if zl.cfg["sample.enabled"] and not args.no_sample:
        install_sample(zl.sources, zl.columns, f"http://127.0.0.1:{zl.cfg['sample.port']}/feed.xml")
        print("示例专栏「学习二十大」已配置（示例站点在 `zhuanlan run` 时启动）")
    if zl.staff.count_users() == 0:
        print("还没有工作人员账号：运行 `zhuanlan user add admin --role admin` 创建第一位管理员，"
              "然后在 /login 登录编辑台")
    return 0


@command("migrate")
def cmd_migrate(args: argparse.Namespace) -> int:
    zl = facade(args)
    zl.migrate()
    print("数据库结构已是最新")
    return 0


@command("run")
def cmd_run(args: argparse.Namespace) -> int:
    """Web app + worker loop (+ the sample site) in one process."""
    from zhuanlan.app.bootstrap import install_sample
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
            install_sample(zl.sources, zl.columns, site.feed_url, first_issue_in=timedelta(seconds=15))
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
    from zhuanlan.lifecycle import Shutdown, bind_each
    from zhuanlan.log import setup_logging
    from zhuanlan.supervisor import default_workers, supervise

    shutdown = Shutdown().install()
    cfg = load_config(args.config)
    setup_logging(cfg["log.level"], cfg["log.format"])
    prepare_data_dir(cfg)
    _ = cfg.secret_key      # made here (when not set), not raced for by the web processes
    host, port = args.host or cfg["web.host"], args.port or cfg["web.port"]
    workers = args.workers or default_workers()
    sockets = bind_each(host, port, workers)
    try:
        print(f"zhuanlan 网页服务已启动：http://{host}:{port}/（{workers} 个进程）", flush=True)
        if workers == 1:
            return _serve_one(cfg, sockets[0], shutdown)
        # Imported before forking: each web process starts at once and shares the pages.
        import zhuanlan.web.app  # noqa: F401

        def serve(own, slot: int) -> int:
            for other in {*sockets} - {sockets[slot]}:
                other.close()                # the parent keeps them; this process needs one
            return _serve_one(cfg, sockets[slot], own)
        return supervise(workers, serve, shutdown)
    finally:
        for sock in {*sockets}:
            sock.close()


def _serve_one(cfg, web_socket, shutdown) -> int:
    from zhuanlan.core import Zhuanlan
    from zhuanlan.lifecycle import serve_app
    from zhuanlan.web.app import create_app

    zl = Zhuanlan(cfg)
    try:
        if not shutdown.event.is_set():
            serve_app(create_app(zl), web_socket, shutdown)
    finally:
        zl.close()
    return 0


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("应为正整数")
    return value


@command("worker")
def cmd_worker(args: argparse.Namespace) -> int:
    from zhuanlan.lifecycle import Shutdown
    from zhuanlan.worker import Worker

    zl = facade(args)
    prepare_data_dir(zl.cfg)
    if args.once:
        try:
            done = zl.run_until_idle()
        finally:
            zl.close()
        print(f"抓取信息源 {done.polled} 次，处理页面 {done.pages} 个，"
              f"发布 {done.published} 期，投递 {done.delivered} 封，"
              f"群推送 {done.chat_delivered} 条，应用消息 {done.app_delivered} 人")
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
