"""scripts/upgrade.sh: install, migrate, then restart — in that order, stopping at the
first failure; --dry-run prints the steps only. systemctl and the venv's python are
stand-ins that record their calls (the real units are verified by test_units.py)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests.deploy.conftest import SCRIPTS

UPGRADE = SCRIPTS / "upgrade.sh"


def _fake_tools(tmp_path: Path, *, fail_on: str = "") -> tuple[dict, Path]:
    calls = tmp_path / "calls.log"
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    recorder = (f'#!/bin/sh\necho "$(basename "$0") $*" >> {calls}\n'
                f'case "$*" in *"{fail_on or "never-fails"}"*) exit 1;; esac\n')
    for tool in ("python", "zhuanlan"):
        (venv / "bin" / tool).write_text(recorder)
        (venv / "bin" / tool).chmod(0o755)
    systemctl = tmp_path / "systemctl"
    systemctl.write_text(recorder)
    systemctl.chmod(0o755)
    env = dict(os.environ, ZHUANLAN_VENV=str(venv), SYSTEMCTL=str(systemctl))
    return env, calls


def _run(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", str(UPGRADE), *args], env=env, capture_output=True,
                          text=True, timeout=60)


def test_dry_run_prints_the_steps_and_runs_nothing(tmp_path):
    env, calls = _fake_tools(tmp_path)
    r = _run(env, "--dry-run", "--backup", "zhuanlan==0.2.0")
    assert r.returncode == 0, r.stderr
    steps = [line for line in r.stdout.splitlines() if line.startswith("[")]
    assert [s.split("] ", 1)[1].split()[-2:] for s in steps] == [
        ["start", "zhuanlan-backup.service"],
        ["--quiet", "zhuanlan==0.2.0"],
        ["start", "zhuanlan-migrate.service"],
        ["reload-or-restart", "zhuanlan-web.service"],
        ["restart", "zhuanlan-worker@*.service"]]
    assert "pip install --upgrade" in steps[1]
    assert not calls.exists()


def test_migrates_before_restarting(tmp_path):
    env, calls = _fake_tools(tmp_path)
    r = _run(env, str(tmp_path / "zhuanlan-0.2.0-py3-none-any.whl"))
    assert r.returncode == 0, r.stderr
    assert calls.read_text().splitlines() == [
        f"python -m pip install --upgrade --quiet {tmp_path}/zhuanlan-0.2.0-py3-none-any.whl",
        "systemctl start zhuanlan-migrate.service",
        "systemctl reload-or-restart zhuanlan-web.service",
        "systemctl restart zhuanlan-worker@*.service",
        "zhuanlan --version"]


def test_a_failed_migration_restarts_nothing(tmp_path):
    env, calls = _fake_tools(tmp_path, fail_on="zhuanlan-migrate")
    r = _run(env, "zhuanlan==0.2.0")
    assert r.returncode == 1
    assert "step 2 failed" in r.stderr
    assert not any("restart" in line for line in calls.read_text().splitlines())


def test_other_machines_of_a_rolling_upgrade(tmp_path):
    env, calls = _fake_tools(tmp_path)
    r = _run(env, "--no-migrate", "--workers-only", "zhuanlan==0.2.0")
    assert r.returncode == 0, r.stderr
    assert [c.split()[1] for c in calls.read_text().splitlines() if c.startswith("systemctl")] \
        == ["restart"]
