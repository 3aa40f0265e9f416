"""Push benchmark: publish an issue to N subscribers and deliver it over SMTP.

    .venv/bin/python bench/push.py                 # 2,000 and 10,000 subscribers + baseline
    .venv/bin/python bench/push.py --sizes 10000 --baseline 2000

A local aiosmtpd sink that accepts and discards runs in a separate process (so it does
not compete for the sender's GIL). Each measured run is a fresh process of its own, so
its peak RSS (ru_maxrss) is its own: the real facade (zhuanlan.core.Zhuanlan) on a
temporary SQLite database, a column with 8 approved items, N subscribers, publish_now,
then deliver_due until the outbox is empty.

The baseline, in the same run: plain smtplib over one connection, each message rendered
and built naively per recipient (render_email + email.message.EmailMessage) and sent
with send_message.

The last line is ``RESULT msgs_per_s=… peak_rss_mb=… publish_to_last_s=…
baseline_msgs_per_s=…`` (figures of the largest size).
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import multiprocessing
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from _proc import cpu_s, peak_rss_mb  # noqa: E402

ITEMS = 8


# ---------------------------------------------------------------- the sink (own process)

def _sink_main(port_queue, ready) -> None:
    """aiosmtpd server that counts and discards."""
    import socket

    from aiosmtpd.controller import Controller

    class Discard:
        count = 0

        async def handle_DATA(self, server, session, envelope):
            Discard.count += 1
            return "250 OK"

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    try:
        # The sink stands for the company's relay on another host: the faster its loop,
        # the more of the 2 cores is left for the sender being measured.
        import uvloop
        loop = uvloop.new_event_loop()
    except ImportError:
        import asyncio
        loop = asyncio.new_event_loop()
    controller = Controller(Discard(), hostname="127.0.0.1", port=port, loop=loop)
    controller.start()
    port_queue.put(port)
    ready.wait()            # parent sets it when done
    controller.stop()


class Sink:
    def __enter__(self) -> Sink:
        ctx = multiprocessing.get_context("spawn")
        q = ctx.Queue()
        self.done = ctx.Event()
        self.proc = ctx.Process(target=_sink_main, args=(q, self.done), daemon=True)
        self.proc.start()
        self.port = q.get(timeout=30)
        return self

    def __exit__(self, *exc) -> None:
        self.done.set()
        self.proc.join(timeout=10)
        if self.proc.is_alive():
            self.proc.terminate()


# ---------------------------------------------------------------- one measured run





def _setup(n: int, port: int, tmp: Path, connections: int, *, person=None, **settings):
    """The facade on a fresh SQLite store: a column with 8 approved items and ``n``
    subscribers (``person(i)``: more fields of the i-th, e.g. an app id); ``settings``
    override the configuration (dotted names)."""
    from zhuanlan.config import load_config
    from zhuanlan.core import Zhuanlan
    from zhuanlan.store.schema import articles, candidates, subscribers, subscriptions

    cfg = load_config(path=None, environ={}, **{
        "data_dir": str(tmp / "data"), "database.url": f"sqlite:///{tmp / 'bench.db'}",
        "sample.enabled": False, "presets.enabled": False,
        "smtp.host": "127.0.0.1", "smtp.port": port, "smtp.sender": "学习专栏 <zl@example.com>",
        "smtp.connections": connections, "worker.batch": 200,
        "web.base_url": "https://zl.example.com", **settings})
    zl = Zhuanlan(cfg)
    zl.migrate()
    zl.add_column("bench", "学习二十大", include="学习",
                  editor_note="编者按：请各部门认真组织学习，结合实际抓好贯彻落实。")
    column = zl.get_column("bench")
    now = datetime.now(UTC)
    with zl.db.write() as conn:
        for i in range(ITEMS):
            text = ("深入学习贯彻党的二十大精神，推动企业高质量发展。" * 20 + "\n") * 3
            aid = conn.execute(articles.insert().values(
                url=f"https://news.example.com/{i}", canonical_url=f"https://news.example.com/{i}",
                content_hash=f"{i:064d}", title=f"学习贯彻二十大精神 第{i + 1}篇学习材料",
                text=text, title_orig="", text_orig=text, flags="", source_name="新华社",
                published_at=now, created_at=now)).inserted_primary_key[0]
            conn.execute(candidates.insert().values(
                column_id=column["id"], article_id=aid, state="approved", score=1.0 - i / 100,
                terms="学习", created_at=now, decided_at=now))
        conn.execute(subscribers.insert(), [
            {"email": f"employee{i:05d}@corp.example.com", "name": f"员工{i}", "department": "",
             "active": True, "created_at": now, **(person(i) if person else {})}
            for i in range(n)])
        ids = conn.execute(__import__("sqlalchemy").select(subscribers.c.id)).scalars().all()
        conn.execute(subscriptions.insert(), [
            {"column_id": column["id"], "subscriber_id": s, "created_at": now} for s in ids])
    return zl


def run_push(n: int, port: int, connections: int) -> dict:
    with tempfile.TemporaryDirectory() as d:
        zl = _setup(n, port, Path(d), connections)
        rss_before = peak_rss_mb()
        key = os.urandom(32)

        def unsubscribe(r):
            # A signed one-click link per recipient (HMAC-SHA256 of subscriber and column).
            # (itsdangerous' dumps() costs ~0.2 ms a link, most of it zlib.compress trying
            # to shorten a tiny payload; see the report.)
            payload = f"{r.id}.{r.column_slug}"
            sig = hmac.new(key, payload.encode(), hashlib.sha256).hexdigest()[:32]
            return f"https://zl.example.com/unsubscribe/{payload}.{sig}"

        t_publish = time.perf_counter()
        cpu0 = cpu_s()
        issue_id = zl.publish_now("bench")
        t_deliver = time.perf_counter()
        from zhuanlan.jobs import delivery
        handled = 0
        while True:
            done = delivery.deliver_due(zl, zl.cfg["worker.batch"], unsubscribe_url=unsubscribe,
                                        greeting=lambda r: f"{r.name}，您好：")
            handled += done
            if done == 0:
                break
        t_last = time.perf_counter()
        cpu = cpu_s() - cpu0
        counts = zl.delivery_counts(issue_id)
        zl.close()
    assert counts == {"sent": n}, counts
    return {"n": n, "msgs_per_s": n / (t_last - t_deliver), "deliver_s": t_last - t_deliver,
            "publish_s": t_deliver - t_publish, "publish_to_last_s": t_last - t_publish,
            "peak_rss_mb": peak_rss_mb(), "rss_before_publish_mb": rss_before,
            "cpu_ms_per_msg": cpu * 1000 / n}


def run_baseline(n: int, port: int) -> dict:
    """Plain smtplib over one connection; every message rendered and built from scratch."""
    import smtplib
    from email.message import EmailMessage
    from email.utils import formataddr, formatdate

    from zhuanlan.publish.render import render_email
    from zhuanlan.store.issues import issue_view

    with tempfile.TemporaryDirectory() as d:
        zl = _setup(n, port, Path(d), 1)
        issue_id = zl.publish_now("bench")
        with zl.db.read() as conn:
            view = issue_view(conn, issue_id, zl.cfg.base_url)
        people = [(s["id"], s["email"], s["name"]) for s in zl.list_subscribers("bench")]
        zl.close()
    t0 = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port) as smtp:
        for sid, addr, name in people:
            rendered = render_email(view, unsubscribe_url=f"https://zl.example.com/u/{sid}")
            msg = EmailMessage()
            msg["Subject"] = rendered.subject
            msg["From"] = "学习专栏 <zl@example.com>"
            msg["To"] = formataddr((name, addr))
            msg["Date"] = formatdate(localtime=True)
            msg["Message-ID"] = f"<zl.issue-{issue_id}.r-{sid}@example.com>"
            msg["List-Unsubscribe"] = f"<https://zl.example.com/u/{sid}>"
            msg.set_content(rendered.text)
            msg.add_alternative(rendered.html, subtype="html")
            smtp.send_message(msg)
    elapsed = time.perf_counter() - t0
    return {"n": len(people), "msgs_per_s": len(people) / elapsed, "seconds": elapsed,
            "peak_rss_mb": peak_rss_mb()}


# ---------------------------------------------------------------- driver

def _child(args: list[str]) -> dict:
    out = subprocess.run([sys.executable, __file__, *args], check=True, capture_output=True,
                         text=True, env=dict(os.environ, PYTHONPATH=str(ROOT / "src")))
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--sizes", default="2000,10000")
    p.add_argument("--baseline", type=int, default=2000)
    p.add_argument("--connections", type=int, default=4)
    p.add_argument("--child", choices=["push", "baseline"])
    p.add_argument("--n", type=int)
    p.add_argument("--port", type=int)
    args = p.parse_args()
    if args.child == "push":
        print(json.dumps(run_push(args.n, args.port, args.connections)))
        return
    if args.child == "baseline":
        print(json.dumps(run_baseline(args.n, args.port)))
        return

    sizes = [int(s) for s in args.sizes.split(",")]
    print(f"push benchmark: {ITEMS} items per issue, {args.connections} SMTP connections, "
          f"aiosmtpd sink in its own process, {os.cpu_count()} CPUs")
    with Sink() as sink:
        base = _child(["--child", "baseline", "--n", str(args.baseline),
                       "--port", str(sink.port)])
        print(f"baseline   n={base['n']:>6}  {base['msgs_per_s']:8.0f} msgs/s  "
              f"(smtplib, one connection, message rendered and built per recipient)")
        results = []
        for n in sizes:
            sink_cpu = cpu_s(sink.proc.pid)
            r = _child(["--child", "push", "--n", str(n), "--port", str(sink.port),
                        "--connections", str(args.connections)])
            r["sink_cpu_ms_per_msg"] = (cpu_s(sink.proc.pid) - sink_cpu) * 1000 / n
            results.append(r)
            print(f"zhuanlan   n={n:>6}  {r['msgs_per_s']:8.0f} msgs/s  "
                  f"publish {r['publish_s']:.2f} s, publish→last {r['publish_to_last_s']:.2f} s, "
                  f"peak RSS {r['peak_rss_mb']:.1f} MB (before publish "
                  f"{r['rss_before_publish_mb']:.1f} MB), "
                  f"{r['msgs_per_s'] / base['msgs_per_s']:.1f}× baseline; CPU per message: "
                  f"sender {r['cpu_ms_per_msg']:.2f} ms, sink {r['sink_cpu_ms_per_msg']:.2f} ms")
    if len(results) > 1:
        print("peak RSS by recipients: " + ", ".join(
            f"{r['n']}: {r['peak_rss_mb']:.1f} MB" for r in results))
    last = results[-1]
    print(f"RESULT msgs_per_s={last['msgs_per_s']:.0f} peak_rss_mb={last['peak_rss_mb']:.1f} "
          f"publish_to_last_s={last['publish_to_last_s']:.2f} "
          f"baseline_msgs_per_s={base['msgs_per_s']:.0f}")


if __name__ == "__main__":
    main()
