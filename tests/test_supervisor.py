"""A process started by zhuanlan (a web process of `serve --workers`, the benchmark's
server) dies with the process that started it, even when that one is killed outright."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

from tests.support.procs import gone

START_CHILD = """
import functools, os, subprocess, sys, time
from zhuanlan.supervisor import die_with_parent
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"],
                         preexec_fn=functools.partial(die_with_parent, os.getpid()))
print(child.pid, flush=True)
time.sleep(60)
"""


def test_the_child_gets_sigterm_when_its_parent_is_killed():
    parent = subprocess.Popen([sys.executable, "-c", START_CHILD], stdout=subprocess.PIPE,
                              text=True)
    child = int(parent.stdout.readline())
    try:
        time.sleep(0.2)
        assert not gone(child)
        parent.send_signal(signal.SIGKILL)
        parent.wait()
        deadline = time.monotonic() + 10
        while not gone(child) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert gone(child)
    finally:
        if not gone(child):
            subprocess.run(["kill", "-9", str(child)])


def test_a_child_whose_parent_died_before_it_asked_stops_at_once():
    # The parent given is not this process's parent: as if it had died between the fork
    # and the prctl, when the kernel would never send the signal.
    run = subprocess.run([sys.executable, "-c", "from zhuanlan.supervisor import "
                          "die_with_parent; import time; die_with_parent(1); time.sleep(30)"],
                         timeout=20)
    assert run.returncode == -signal.SIGTERM


def test_a_child_whose_parent_lives_goes_on():
    run = subprocess.run([sys.executable, "-c", "import os; from zhuanlan.supervisor import "
                          "die_with_parent; die_with_parent(os.getppid()); print('on')"],
                         capture_output=True, text=True, timeout=20)
    assert run.returncode == 0 and run.stdout == "on\n"
