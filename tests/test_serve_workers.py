"""`zhuanlan serve --workers 2` under load, one web process killed with SIGKILL in the
middle: the parent starts it again, and every open, heartbeat and 我已学习 that was
answered 2xx is in the store afterwards — on SQLite and on PostgreSQL. New connections are
spread over the processes, and those waiting at a killed one are answered by its
replacement."""

from __future__ import annotations

import http.client
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest
from sqlalchemy import select

from tests.support.smtp import free_port
from tests.support.study_seed import organisation, publish
from zhuanlan.store.schema import reading_views, readings

pytestmark = pytest.mark.slow

LOAD_SECONDS = 6.0
KILL_AT = 2.0
CLIENTS = 6


def _children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


class _Load:
    """Readers of the issue, each on a keep-alive connection: open an article, two
    heartbeats, then (every other reader) 我已学习 with the view's reading time. Only
    what was answered is remembered; a connection cut by the kill is opened again."""

    def __init__(self, port: int, issue_id: int, articles: list[int]) -> None:
        self.port, self.issue_id, self.articles = port, issue_id, articles
        self.opens: set[tuple[str, int]] = set()
        self.beats: dict[str, int] = {}
        self.studied: set[tuple[str, int]] = set()
        self.failed = 0
        self.stop = threading.Event()
        self._lock = threading.Lock()

    def run(self) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        n = 0
        while not self.stop.is_set():
            n += 1
            token = secrets.token_urlsafe(18)
            article = self.articles[n % len(self.articles)]
            view = secrets.token_hex(8)
            headers = {"Cookie": f"zhuanlan_anon={token}"}
            steps = [("GET", f"/a/{article}?i={self.issue_id}", None, {}, 200, "open", 0),
                     ("POST", "/read/beat", json.dumps({"v": view, "a": article, "s": 15}),
                      {"Content-Type": "application/json"}, 204, "beat", 15),
                     ("POST", "/read/beat", json.dumps({"v": view, "a": article, "s": 30}),
                      {"Content-Type": "application/json"}, 204, "beat", 30)]
            if n % 2:
                form = urlencode({"article_id": article, "issue_id": self.issue_id,
                                  "view": view, "seconds": 40})
                steps.append(("POST", "/read/studied", form,
                              {"Content-Type": "application/x-www-form-urlencoded"}, 303,
                              "studied", 40))
            for method, path, body, extra, expect, kind, seconds in steps:
                try:
                    conn.request(method, path, body=body, headers={**headers, **extra})
                    response = conn.getresponse()
                    response.read()
                except (OSError, http.client.HTTPException):
                    conn.close()
                    conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                    with self._lock:
                        self.failed += 1
                    break
                assert response.status == expect, (path, response.status)
                key = (f"a:{token}", article)
                with self._lock:
                    if kind == "open":
                        self.opens.add(key)
                    elif kind == "beat":
                        self.beats[view] = max(self.beats.get(view, 0), seconds)
                    else:
                        self.studied.add(key)
                        self.beats[view] = max(self.beats.get(view, 0), seconds)
        conn.close()


def test_a_killed_web_process_loses_nothing_it_answered(make_zl, database_url, tmp_path):
    zl = make_zl()
    organisation(zl)
    issue_id, articles = publish(zl, 3, "killed")
    data_dir = zl.cfg.data_dir
    server, port, log = _serve_two(zl, database_url, tmp_path)
    try:
        load = _Load(port, issue_id, articles)
        threads = [threading.Thread(target=load.run) for _ in range(CLIENTS)]
        for t in threads:
            t.start()
        time.sleep(KILL_AT)
        victim = _children(server.pid)[0]
        answered_before_kill = len(load.opens)
        os.kill(victim, signal.SIGKILL)
        time.sleep(LOAD_SECONDS - KILL_AT)
        load.stop.set()
        for t in threads:
            t.join(60)
        # The parent started a new web process in place of the killed one.
        replaced = _children(server.pid)
        assert len(replaced) == 2 and victim not in replaced, log.read_text()
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=60) == 0, log.read_text()
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGKILL)
    assert answered_before_kill > 0 and len(load.opens) > answered_before_kill
    assert "Traceback" not in log.read_text()
    with zl.db.read() as conn:
        rows = {(r.reader, r.article_id): r for r in conn.execute(
            select(readings.c.reader, readings.c.article_id, readings.c.studied_at))}
        views = dict(conn.execute(select(reading_views.c.view_id, reading_views.c.seconds)).all())
    missing_opens = load.opens - rows.keys()
    assert not missing_opens, f"{len(missing_opens)} of {len(load.opens)} opens lost"
    short = {v: s for v, s in load.beats.items() if views.get(v, -1) < s}
    assert not short, f"{len(short)} of {len(load.beats)} views lost or short"
    unstudied = {k for k in load.studied if rows.get(k) is None or rows[k].studied_at is None}
    assert not unstudied and load.studied
    assert not list((data_dir / "journal").glob("*.jsonl"))     # all adopted and written


def _serve_two(zl, database_url: str, tmp_path: Path) -> tuple[subprocess.Popen, int, Path]:
    """``zhuanlan serve --workers 2`` on the test's store, once both processes answer."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZHUANLAN_")}
    env.update({"ZHUANLAN_DATA_DIR": str(zl.cfg.data_dir), "ZHUANLAN_DATABASE_URL": database_url,
                "ZHUANLAN_WEB_PORT": str(port), "ZHUANLAN_LOG_LEVEL": "WARNING",
                "ZHUANLAN_SAMPLE_ENABLED": "false", "ZHUANLAN_PRESETS_ENABLED": "false",
                "PYTHONUNBUFFERED": "1"})
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        server = subprocess.Popen([sys.executable, "-m", "zhuanlan", "serve", "--workers", "2"],
                                  env=env, stdout=out, stderr=subprocess.STDOUT,
                                  start_new_session=True)
    deadline = time.monotonic() + 60
    while len(_children(server.pid)) < 2 or not _healthy(port):
        if server.poll() is not None or time.monotonic() > deadline:
            if server.poll() is None:
                os.killpg(server.pid, signal.SIGKILL)
            pytest.fail(log.read_text())
        time.sleep(0.2)
    return server, port, log


def _healthy(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def _sockets(pid: int, port: int, state: str) -> set[int]:
    """The inodes of ``pid``'s TCP sockets on local ``port`` in ``state`` (/proc/net/tcp:
    0A listening, 01 established)."""
    owned = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            owned.add(int(target[8:-1]))
    found = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if int(fields[1].split(":")[1], 16) == port and fields[3] == state:
            if int(fields[9]) in owned:
                found.add(int(fields[9]))
    return found


def _ask(port: int) -> socket.socket:
    conn = socket.create_connection(("127.0.0.1", port), timeout=30)
    conn.sendall(b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
    return conn


def _answered(conn: socket.socket, wait: float) -> bool:
    conn.settimeout(wait)
    try:
        return conn.recv(64).startswith(b"HTTP/1.1 200")
    except TimeoutError:
        return False


def test_connections_are_spread_over_the_web_processes_and_wait_for_a_replacement(
        make_zl, database_url, tmp_path):
    zl = make_zl()
    conns: list[socket.socket] = []
    server, port, log = _serve_two(zl, database_url, tmp_path)
    try:
        a, b = _children(server.pid)
        # each web process listens on its own socket, which the parent holds too
        listening = {pid: _sockets(pid, port, "0A") for pid in (a, b, server.pid)}
        assert len(listening[a]) == len(listening[b]) == 1 and listening[a] != listening[b]
        assert listening[server.pid] == listening[a] | listening[b]

        # a crowd connecting at once is shared out: 100 keep-alive connections
        conns = [_ask(port) for _ in range(100)]
        assert all(_answered(c, 10) for c in conns)
        held = [len(_sockets(pid, port, "01")) for pid in (a, b)]
        assert sum(held) == 100 and min(held) >= 25, held      # 50 ± 5 by the hash

        # connections that arrive at a process that is stopped, then killed, wait for
        # its replacement on the same socket: none is refused or lost
        os.kill(a, signal.SIGSTOP)
        waiting = [_ask(port) for _ in range(40)]
        unanswered = [c for c in waiting if not _answered(c, 0.05)]
        time.sleep(1)
        unanswered = [c for c in unanswered if not _answered(c, 0.05)]
        assert unanswered, "no connection reached the stopped process"
        os.kill(a, signal.SIGKILL)
        assert all(_answered(c, 30) for c in unanswered), log.read_text()
        replacement = set(_children(server.pid)) - {b}
        assert len(replacement) == 1 and a not in replacement
        assert _sockets(replacement.pop(), port, "0A") == listening[a]
        conns += waiting
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=60) == 0, log.read_text()
    finally:
        for c in conns:
            c.close()
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGKILL)
