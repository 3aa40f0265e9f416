"""Starting and stopping the long-running commands (``run``, ``serve``, ``worker``).

- A port is bound before anything says "已启动"; a port in use is a ``PortInUse`` with a
  Chinese message (the CLI exits non-zero), not a traceback after the banner.
- SIGTERM (systemd, Docker, ``kill``) and SIGINT (Ctrl-C) ask for an orderly stop: the
  web server stops accepting and finishes the requests in flight, the worker finishes
  its round within a grace period (else its leases hand the rows back to the store), the
  study records are flushed, the extraction pool is shut down, the ports are released.
  A second signal stops at once.
- uvicorn's own signal handling is not used: after a graceful shutdown it re-raises the
  signal, which ended the process before the rest could be stopped and left the
  extraction pool's children running with the listening sockets.
"""

from __future__ import annotations

import contextlib
import errno
import gc
import logging
import multiprocessing
import os
import signal
import socket
import sys
import threading
from collections.abc import Callable, Iterator

from zhuanlan.errors import ConfigError

log = logging.getLogger(__name__)

GRACE_SECONDS = 20


class PortInUse(ConfigError):
    """The port a command is to listen on is taken."""


class Shutdown:
    """Turns SIGTERM and SIGINT into an orderly stop: the first runs the ``on_stop``
    callbacks and sets ``event``; a second one exits at once."""

    def __init__(self) -> None:
        self.event = threading.Event()
        self._callbacks: list[Callable[[], None]] = []
        self._signals = 0

    def install(self, *signals: int) -> Shutdown:
        for sig in signals or (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, self._handle)
        return self

    def on_stop(self, callback: Callable[[], None]) -> None:
        self._callbacks.append(callback)
        if self.event.is_set():
            callback()

    def stop(self) -> None:
        self.event.set()
        for callback in list(self._callbacks):
            try:
                callback()
            except Exception:
                log.exception("stop callback failed")

    def _handle(self, signum: int, _frame: object) -> None:
        self._signals += 1
        if self._signals > 1:
            log.warning("再次收到停止信号：立即退出", extra={"signal": signum})
            for child in multiprocessing.active_children():
                child.kill()
            os._exit(128 + signum)
        log.info("收到停止信号，正在停止", extra={"signal": signum})
        self.stop()


def bind(host: str, port: int, *, setting: str = "web.port",
         share: bool = False) -> socket.socket:
    """A listening TCP socket on (host, port), not inherited by child processes; with
    ``share``, one of a group on that port (SO_REUSEPORT, see ``bind_each``).
    Raises PortInUse when the port is taken, ConfigError when it cannot be bound."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if share:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        sock.bind((host, port))
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise port_in_use(host, port, setting) from None
        raise ConfigError(setting, f"无法在 {host}:{port} 上监听：{exc.strerror}") from None
    sock.set_inheritable(False)
    return sock


def bind_each(host: str, port: int, count: int, *, setting: str = "web.port") -> list[socket.socket]:
    """``count`` listening sockets on one (host, port), one for each web process: the
    kernel spreads new connections over them evenly (SO_REUSEPORT, by a hash of the
    client's address and port). One socket shared by all, each process took what it
    could when a crowd connected at once — the first to wake took most: 157 and 43 of
    200 keep-alive connections were measured on two processes, and a process's readers
    wait in proportion to the connections it holds (nginx's ``listen … reuseport``
    answers the same). The parent keeps every socket open: a web process's replacement
    takes over its socket and the connections waiting in it.

    Errors as ``bind``: the port is first bound alone, so a port in use — by zhuanlan
    too, which would otherwise join the group silently — is a PortInUse. Where the
    kernel cannot spread connections this way, the processes share one socket."""
    if count == 1 or not sys.platform.startswith("linux"):
        return [bind(host, port, setting=setting)] * count
    bind(host, port, setting=setting).close()
    sockets: list[socket.socket] = []
    try:
        for _ in range(count):      # a PortInUse here: taken in the instant between
            sockets.append(bind(host, port, setting=setting, share=True))
    except ConfigError:
        for sock in sockets:
            sock.close()
        raise
    return sockets


def port_in_use(host: str, port: int, setting: str) -> PortInUse:
    return PortInUse(setting, f"端口 {port} 已被占用（{host}）：另一个程序——也许是上次没有退出的 "
                              f"zhuanlan——正在使用它。请先停止它，或用设置 {setting} 换一个端口。")


# How long a thread may hold the GIL while another waits (Python's default: 5 ms). The
# record buffer's flusher releases it for every SQLite statement and then waited up to
# this long, behind the busy event loop, to go on: 我已学习, which waits for that flush,
# took seconds at p99 at the 9:00 burst (bench/reader.py, py-spy).
SWITCH_INTERVAL = 0.0005


def serve_app(app, sock: socket.socket, shutdown: Shutdown, **config) -> None:
    """Serve the ASGI app on the bound socket until ``shutdown`` stops it; the requests
    in flight are finished first."""
    import uvicorn

    sys.setswitchinterval(SWITCH_INTERVAL)

    class Server(uvicorn.Server):
        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:     # ours, not uvicorn's
            yield

    server = Server(uvicorn.Config(app, log_level="warning",
                                   timeout_graceful_shutdown=GRACE_SECONDS, **config))
    shutdown.on_stop(lambda: setattr(server, "should_exit", True))
    # What the app holds from its start (modules, tables, templates: ~170,000 objects)
    # is kept out of the cyclic collector's full passes, each of which stopped the
    # process for 200–270 ms with them in (measured; a p99 of the 9:00 burst).
    gc.collect()
    gc.freeze()
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()


def join(thread: threading.Thread | None, what: str) -> None:
    """Wait for a thread that was asked to stop, at most the grace period."""
    if thread is None:
        return
    thread.join(GRACE_SECONDS)
    if thread.is_alive():
        log.warning("未能在宽限期内结束，未完成的工作将在租约到期后由其他进程接手",
                    extra={"what": what, "grace_seconds": GRACE_SECONDS})


# -- files -------------------------------------------------------------------------------

UMASK = 0o027          # group may read what the operator allows, others nothing


def prepare_data_dir(cfg) -> None:
    """Files the process makes are not world-readable (the database holds robot and
    webhook secrets, password hashes and personal data): umask 027, the data directory
    700, an existing SQLite database and its WAL and SHM files 640 at most."""
    os.umask(UMASK)
    data_dir = cfg.data_dir
    data_dir.mkdir(parents=True, exist_ok=True)
    _restrict(data_dir, 0o700)
    url = cfg.database_url
    if url.startswith("sqlite:///"):
        db = url.removeprefix("sqlite:///").split("?", 1)[0]
        for suffix in ("", "-wal", "-shm", "-journal"):
            path = f"{db}{suffix}"
            if os.path.exists(path):
                _restrict(path, 0o640)


def _restrict(path, mode: int) -> None:
    """Take away the permissions beyond ``mode`` from a file of ours."""
    try:
        st = os.stat(path)
        if st.st_uid == os.geteuid() and st.st_mode & 0o777 & ~mode:
            os.chmod(path, st.st_mode & 0o777 & mode)
    except OSError as exc:
        log.warning("无法收紧文件权限", extra={"path": str(path), "error": exc.strerror})


def write_private(path, data: bytes) -> None:
    """Write a file only its owner can read (uploaded HR files: 600 whatever the umask)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
