"""The systemd units in deploy/systemd: `systemd-analyze verify` accepts them (with the
venv's and scripts' paths pointed at this checkout, so every Exec line names a real
executable) and each carries the hardening and restart policy docs/deploy.md describes."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from tests.deploy.conftest import DEPLOY, SCRIPTS, VENV

UNITS = DEPLOY / "systemd"
SERVICES = ["zhuanlan-web.service", "zhuanlan-worker@.service", "zhuanlan-migrate.service",
            "zhuanlan-backup.service"]
LONG_RUNNING = ["zhuanlan-web.service", "zhuanlan-worker@.service"]


def _keys(name: str) -> dict[str, list[str]]:
    """Key -> values of a unit file (keys repeat; continuation lines joined)."""
    out: dict[str, list[str]] = {}
    text = (UNITS / name).read_text().replace("\\\n", " ")
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";", "[")):
            continue
        key, _, value = line.partition("=")
        out.setdefault(key.strip(), []).append(" ".join(value.split()))
    return out


def _systemd_analyze() -> str:
    found = shutil.which("systemd-analyze")
    if found is None:
        pytest.fail("systemd-analyze is not installed: install systemd "
                    "(apt-get install systemd) to verify the units in deploy/systemd")
    return found


def test_units_pass_systemd_analyze_verify(tmp_path):
    analyze = _systemd_analyze()
    names = sorted(p.name for p in UNITS.iterdir())
    assert set(SERVICES) <= set(names) and "zhuanlan-backup.timer" in names
    for name in names:
        text = (UNITS / name).read_text()
        text = text.replace("/opt/zhuanlan/venv", str(VENV))
        text = text.replace("/opt/zhuanlan/scripts", str(SCRIPTS))
        (tmp_path / name).write_text(text)
    for name in SERVICES:
        for values in (_keys(name).get(k, []) for k in ("ExecStart", "ExecStartPre")):
            for value in values:
                exe = value.lstrip("-@:+!").split()[0].replace("/opt/zhuanlan/venv", str(VENV))
                exe = exe.replace("/opt/zhuanlan/scripts", str(SCRIPTS))
                assert shutil.os.access(exe, shutil.os.X_OK), f"{name}: {exe} is not executable"
    r = subprocess.run([analyze, "verify", "--man=no", *(str(tmp_path / n) for n in names)],
                       capture_output=True, text=True, timeout=120)
    ours = [line for line in (r.stdout + r.stderr).splitlines()
            if "zhuanlan" in line]
    assert r.returncode == 0 and not ours, r.stdout + r.stderr


@pytest.mark.parametrize("name", SERVICES)
def test_units_are_hardened(name):
    keys = _keys(name)
    first = {k: v[0] for k, v in keys.items()}
    assert first["User"] == "zhuanlan"
    assert first["NoNewPrivileges"] == "yes"
    assert first["ProtectSystem"] == "strict"
    assert "/var/lib/zhuanlan" in first["ReadWritePaths"].split()
    assert first["PrivateTmp"] == "yes"
    assert "/etc/zhuanlan/env" in keys["EnvironmentFile"]
    assert "ZHUANLAN_CONFIG=/etc/zhuanlan/zhuanlan.toml" in keys["Environment"]
    assert first["CapabilityBoundingSet"] == ""
    if name in LONG_RUNNING:
        assert first["Restart"] == "on-failure"
        # The same schema gate as the ASGI factory, where a failure fails the unit.
        assert keys["ExecStartPre"] == [
            "/opt/zhuanlan/venv/bin/python -m zhuanlan.web.asgi --check"]
    else:
        assert first["Type"] == "oneshot"


def test_web_unit_runs_the_documented_command():
    [start] = _keys("zhuanlan-web.service")["ExecStart"]
    assert start.startswith("/opt/zhuanlan/venv/bin/uvicorn --factory zhuanlan.web.asgi:app ")
    for flag in ("--host 127.0.0.1", "--port 8000", "--workers 4", "--proxy-headers",
                 "--forwarded-allow-ips=127.0.0.1"):
        assert flag in start
    assert _keys("zhuanlan-web.service")["ExecReload"] == ["/bin/kill -HUP $MAINPID"]


def test_worker_template_and_migrate_order():
    worker = _keys("zhuanlan-worker@.service")
    assert worker["ExecStart"] == ["/opt/zhuanlan/venv/bin/zhuanlan worker"]
    assert "-/etc/zhuanlan/worker-%i.env" in worker["EnvironmentFile"]
    assert "zhuanlan-migrate.service" in worker["After"][0].split()
    assert "zhuanlan-migrate.service" in _keys("zhuanlan-web.service")["After"][0].split()
    migrate = _keys("zhuanlan-migrate.service")
    assert migrate["ExecStart"] == ["/opt/zhuanlan/venv/bin/zhuanlan migrate"]
    assert "Restart" not in migrate         # a failed migration stops the upgrade
