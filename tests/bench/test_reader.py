"""bench/reader.py at a tiny size, on SQLite and PostgreSQL, so that it cannot rot: the
store is built, the server started, every phase and the open loop run, the statistics and
the export timed, the records found in the store, and the RESULT line is the one the
README's figures come from."""

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.procs import gone

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))

from reader import tree  # noqa: E402

RESULT = re.compile(r"RESULT rps=(\d+) p50_ms=([\d.]+) p99_ms=([\d.]+) "
                    r"open_loop_rps_at_p99_100=(\d+) stats_ms=(\d+) static_ratio=([\d.]+)"
                    r"(?: \w+=[\d.]+)+")
RECORDS = re.compile(r"records sent → stored: opens ([\d,]+) → ([\d,]+) .*views ([\d,]+) → "
                     r"([\d,]+) .*我已学习 ([\d,]+) → ([\d,]+);.* — OK, nothing lost")


def _number(s: str) -> int:
    return int(s.replace(",", ""))


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite", "pg"])
def test_reader_benchmark_runs_at_a_tiny_size(tmp_path, backend):
    cmd = [sys.executable, str(ROOT / "bench" / "reader.py"), "--employees", "300",
           "--issues", "3", "--seconds", "1", "--clients", "20", "--rates", "30,60"]
    # two server processes where `zhuanlan serve` has --workers, else one (it says so)
    cmd += ["--pg"] if backend == "pg" else ["--workers", "2"]
    # no corpus beside the repository needed: the texts are synthesized
    env = dict(os.environ, ZHUANLAN_CORPUS=str(tmp_path / "no-corpus"))
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=120, env=env)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    lines = run.stdout.strip().splitlines()
    m = RESULT.fullmatch(lines[-1])
    assert m, lines[-1]
    rps, _, p99, _, stats_ms, ratio = (float(x) for x in m.groups())
    assert rps > 0 and p99 > 0 and stats_ms > 0 and ratio > 0
    if backend == "sqlite":
        assert ("server --workers 2" in lines[0]
                or "zhuanlan serve has no --workers: one server process" in run.stdout)
    for phase in ("static", "article", "beat", "mix", "study"):
        assert any(line.startswith(f"{phase} ") for line in lines), phase
    assert any(re.match(r"\s+30/s offered", line) for line in lines), run.stdout
    records = RECORDS.search(run.stdout)
    assert records, run.stdout
    sent = [_number(records.group(i)) for i in (1, 3, 5)]
    stored = [_number(records.group(i)) for i in (2, 4, 6)]
    assert min(sent) > 0 and stored == sent
    if backend == "pg":
        import psycopg
        name = re.search(r"PostgreSQL database (\w+)", run.stdout).group(1)
        with psycopg.connect(f"host=127.0.0.1 port=5432 dbname=postgres "
                             f"user={os.environ.get('USER') or 'root'}") as con:
            left = con.execute("SELECT 1 FROM pg_database WHERE datname = %s",
                               (name,)).fetchall()
        assert not left, f"{name} was not dropped"


def _descendants(pid: int) -> dict[int, str]:
    """The processes below ``pid``: pid → command line."""
    found = {}
    for p in tree(pid)[1:]:
        try:
            found[p] = (Path(f"/proc/{p}/cmdline").read_bytes().replace(b"\0", b" ")
                        .decode(errors="replace"))
        except OSError:
            continue
    return found


@pytest.mark.slow
def test_a_killed_benchmark_takes_its_server_and_load_generator_with_it(tmp_path):
    cmd = [sys.executable, str(ROOT / "bench" / "reader.py"), "--employees", "300",
           "--issues", "3", "--seconds", "30", "--clients", "5", "--workers", "2"]
    env = dict(os.environ, ZHUANLAN_CORPUS=str(tmp_path / "no-corpus"))
    driver = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              env=env, start_new_session=True)
    below: dict[int, str] = {}
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            below = _descendants(driver.pid)
            if (any(" serve" in c for c in below.values())
                    and any("--child-load" in c for c in below.values())):
                break
            assert driver.poll() is None, "the benchmark ended before its first phase"
            time.sleep(0.2)
        else:
            pytest.fail("the benchmark's server and load generator did not both start")
        # the server's parent, its web processes and the load generator
        assert len(below) >= 4, below
        driver.send_signal(signal.SIGKILL)
        driver.wait()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not all(gone(p) for p in below):
            time.sleep(0.2)
        assert all(gone(p) for p in below), {p: c for p, c in below.items() if not gone(p)}
    finally:
        if driver.poll() is None:
            driver.kill()
            driver.wait()
        for p in below:
            if not gone(p):
                os.kill(p, signal.SIGKILL)
