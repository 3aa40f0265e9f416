"""Several web processes on one port (``zhuanlan serve --workers N``).

Python runs one request's code at a time per process, so one process uses one core: the
9:00 burst needs one process per core. The parent binds one listening socket per web
process on the port (``lifecycle.bind_each``: the kernel spreads new connections evenly
over them) and forks the web processes, each accepting on its own socket; the parent
serves nothing and starts no thread, so forking is safe, and it only watches:

- a web process that dies (killed, crashed) is started again on the same socket, which
  the parent kept open: the connections waiting in it are answered by the replacement,
  and what the dead one had answered is in its journal and is written by the others or
  by its replacement (``study.journal``); one that dies within ``QUICK_SECONDS`` of its
  start ``RESTART_LIMIT`` times in a row means it cannot start: the parent stops
  everything and exits 1;
- SIGTERM or SIGINT to the parent stops the web processes with SIGTERM (each finishes its
  requests in flight and flushes its study records), waits for them, then releases the
  port. Ctrl-C in a terminal signals the whole process group: the web processes ignore
  SIGINT and wait for the parent's SIGTERM, so they stop once, in order. Should the
  parent itself be killed, the kernel sends them SIGTERM (PR_SET_PDEATHSIG).

The study records need no coordination between the processes: every write is
idempotent, and SQLite's writers wait for each other (busy_timeout).
"""

from __future__ import annotations

import ctypes
import logging
import os
import signal
import time
from collections.abc import Callable

from zhuanlan.lifecycle import GRACE_SECONDS, Shutdown

log = logging.getLogger(__name__)

QUICK_SECONDS = 10.0
RESTART_LIMIT = 5
_PR_SET_PDEATHSIG = 1


def default_workers() -> int:
    """One web process per core this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def supervise(count: int, serve: Callable[[Shutdown, int], int], shutdown: Shutdown) -> int:
    """Run ``serve`` in ``count`` forked processes until ``shutdown``; each gets its own
    Shutdown (set by SIGTERM) and its slot (0 … count − 1; a replacement gets the slot of
    the process it replaces). Returns the exit status: 0, or 1 when they kept dying."""
    children: dict[int, tuple[float, int]] = {}    # pid → (when started, monotonic; slot)
    parent = os.getpid()

    def spawn(slot: int) -> None:
        pid = os.fork()
        if pid == 0:                         # the web process
            os._exit(_child(lambda own: serve(own, slot), parent))
        children[pid] = (time.monotonic(), slot)

    for slot in range(count):
        spawn(slot)
    failures, status = 0, 0
    while not shutdown.event.wait(0.2):
        for pid, code in _reap():
            child = children.pop(pid, None)
            if child is None:
                continue
            started, slot = child
            failures = failures + 1 if time.monotonic() - started < QUICK_SECONDS else 0
            if failures >= RESTART_LIMIT:
                log.error("网页进程启动后很快退出，已连续多次：停止服务",
                          extra={"pid": pid, "status": code, "times": failures})
                status = 1
                shutdown.stop()
                break
            log.warning("网页进程意外退出，正在重新启动", extra={"pid": pid, "status": code})
            spawn(slot)
    _stop(children)
    return status


def _child(serve: Callable[[Shutdown], int], parent: int) -> int:
    shutdown = Shutdown().install(signal.SIGTERM)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    die_with_parent(parent)
    try:
        return serve(shutdown)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 1
    except BaseException:
        log.exception("web process failed")
        return 1


def die_with_parent(parent: int) -> None:
    """Have the kernel send this (just forked) process SIGTERM when ``parent``, the
    process that forked it, dies. Also usable as a ``subprocess`` ``preexec_fn``."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    except (OSError, AttributeError):        # not Linux: the parent's SIGTERM still works
        return
    # The parent may have died between the fork and the prctl: nobody would signal us.
    if os.getppid() != parent:
        os.kill(os.getpid(), signal.SIGTERM)


def _reap() -> list[tuple[int, int]]:
    """The children that ended since the last call: (pid, exit status)."""
    ended: list[tuple[int, int]] = []
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return ended
        if pid == 0:
            return ended
        ended.append((pid, os.waitstatus_to_exitcode(status)))


def _stop(children: dict[int, tuple[float, int]]) -> None:
    for pid in children:
        _signal(pid, signal.SIGTERM)
    deadline = time.monotonic() + GRACE_SECONDS + 10
    while children and time.monotonic() < deadline:
        for pid, _ in _reap():
            children.pop(pid, None)
        time.sleep(0.05)
    for pid in children:
        log.warning("网页进程未在宽限期内退出：强制结束", extra={"pid": pid})
        _signal(pid, signal.SIGKILL)
        try:
            os.waitpid(pid, 0)
        except ChildProcessError:
            pass


def _signal(pid: int, sig: int) -> None:
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass
