"""`zhuanlan run`, `serve` and `worker` as real processes: SIGTERM and SIGINT stop every
process they started and free their ports; "已启动" comes only once the port is bound;
a busy port is a clear Chinese error with a non-zero exit."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.support.smtp import free_port

pytestmark = pytest.mark.slow


def _env(tmp_path: Path, **settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZHUANLAN_")}
    env.update({
        "ZHUANLAN_DATA_DIR": str(tmp_path / "data"),
        "ZHUANLAN_PRESETS_ENABLED": "false",
        "ZHUANLAN_WORKER_IDLE_SECONDS": "0.2",
        "ZHUANLAN_LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
    })
    env.update({f"ZHUANLAN_{k.upper()}": v for k, v in settings.items()})
    return env


def _start(args: list[str], env: dict[str, str], tmp_path: Path) -> subprocess.Popen:
    log = open(tmp_path / f"{args[0]}.log", "wb")
    return subprocess.Popen([sys.executable, "-m", "zhuanlan", *args], env=env,
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def _output(proc: subprocess.Popen, tmp_path: Path, name: str) -> str:
    return (tmp_path / f"{name}.log").read_text(encoding="utf-8", errors="replace")


def _wait_for(what, timeout: float = 60.0, step: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = what()
        if value:
            return value
        time.sleep(step)
    raise AssertionError(f"timed out waiting for {what}")


def _group(pgid: int) -> list[int]:
    """The live (not zombie) processes of the process group."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        if int(fields[2]) == pgid and fields[0] != "Z":
            found.append(int(entry.name))
    return found


def _port_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def _stop(proc: subprocess.Popen, sig: int) -> int:
    """Send ``sig``; the exit status. Fails when a process of the group outlives it by
    more than a few seconds (and kills what is left)."""
    pgid = proc.pid
    proc.send_signal(sig)
    try:
        code = proc.wait(timeout=60)
        deadline = time.monotonic() + 10
        while _group(pgid) and time.monotonic() < deadline:
            time.sleep(0.2)
        leftover = _group(pgid)
    finally:
        if _group(pgid):
            os.killpg(pgid, signal.SIGKILL)
    assert not leftover, f"processes left running after the signal: {leftover}"
    return code


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_run_stops_every_process_it_started(tmp_path, sig):
    web, sample = free_port(), free_port()
    env = _env(tmp_path, web_port=str(web), sample_port=str(sample), worker_processes="2")
    proc = _start(["run"], env, tmp_path)
    try:
        _wait_for(lambda: "已启动" in _output(proc, tmp_path, "run"))
        assert not _port_free(web)                      # bound before "已启动" was said
        assert httpx.get(f"http://127.0.0.1:{web}/healthz", timeout=10).status_code == 200
        # Let it extract the sample's pages, so that the extraction pool exists: the
        # fork server and its resource tracker, and two workers.
        _wait_for(lambda: len(_group(proc.pid)) >= 5, timeout=90)
        code = _stop(proc, sig)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert code == 0, _output(proc, tmp_path, "run")
    assert not _group(proc.pid)
    assert _wait_for(lambda: _port_free(web) and _port_free(sample), timeout=10)
    # And it starts again on the same ports.
    again = _start(["run"], env, tmp_path)
    try:
        _wait_for(lambda: "已启动" in _output(again, tmp_path, "run"))
        assert httpx.get(f"http://127.0.0.1:{web}/healthz", timeout=10).status_code == 200
        assert _stop(again, signal.SIGTERM) == 0
    finally:
        if again.poll() is None:
            os.killpg(again.pid, signal.SIGKILL)


def test_serve_and_worker_stop_on_sigterm(tmp_path):
    from zhuanlan.sample import SampleSite

    web = free_port()
    with SampleSite("127.0.0.1", 0) as site:            # work for the worker, from here
        env = _env(tmp_path, web_port=str(web), worker_processes="2",
                   sample_port=str(site.port), fetch_allow_private=f"127.0.0.1:{site.port}")
        subprocess.run([sys.executable, "-m", "zhuanlan", "init"], env=env, check=True,
                       capture_output=True)
        serve = _start(["serve"], env, tmp_path)
        worker = _start(["worker"], env, tmp_path)
        _run_both(serve, worker, web, tmp_path)
    assert not _group(serve.pid) and not _group(worker.pid)
    assert _wait_for(lambda: _port_free(web), timeout=10)


def _run_both(serve: subprocess.Popen, worker: subprocess.Popen, web: int,
              tmp_path: Path) -> None:
    try:
        _wait_for(lambda: "已启动" in _output(serve, tmp_path, "serve"))
        assert httpx.get(f"http://127.0.0.1:{web}/healthz", timeout=10).status_code == 200
        _wait_for(lambda: "已启动" in _output(worker, tmp_path, "worker"))
        _wait_for(lambda: len(_group(worker.pid)) >= 5, timeout=90)    # the pool exists
        assert _stop(serve, signal.SIGTERM) == 0, _output(serve, tmp_path, "serve")
        assert _stop(worker, signal.SIGTERM) == 0, _output(worker, tmp_path, "worker")
    finally:
        for p in (serve, worker):
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGKILL)


@pytest.mark.parametrize("command", ["run", "serve"])
def test_a_busy_port_is_a_clear_error(tmp_path, command):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = _env(tmp_path, web_port=str(port), sample_port=str(free_port()))
        proc = _start([command], env, tmp_path)
        try:
            code = proc.wait(timeout=60)
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
        out = _output(proc, tmp_path, command)
    assert code != 0
    assert f"端口 {port} 已被占用" in out and "已启动" not in out
    assert "Traceback" not in out
    assert not _group(proc.pid)


def test_the_data_directory_and_its_files_are_private(tmp_path):
    """The database holds robot and webhook secrets, password hashes and personal data:
    not readable by other users of the machine (umask 027, data directory 700)."""
    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    os.chmod(data, 0o755)                               # as an older version left it
    env = _env(tmp_path, sample_enabled="false")
    done = subprocess.run([sys.executable, "-m", "zhuanlan", "init"], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    added = subprocess.run([sys.executable, "-m", "zhuanlan", "user", "add", "chief",
                            "--role", "admin", "--password-stdin"], env=env, text=True,
                           input="chief-password\n", capture_output=True, timeout=120)
    assert added.returncode == 0, added.stderr
    assert data.stat().st_mode & 0o777 == 0o700
    made = [p for p in data.iterdir() if p.is_file()]
    assert any(p.name == "zhuanlan.db" for p in made)
    for path in made:
        assert path.stat().st_mode & 0o007 == 0, f"{path.name} is readable by others"
    assert (data / "secret.key").stat().st_mode & 0o777 == 0o600
