"""The web processes as deployed: ``uvicorn --factory zhuanlan.web.asgi:app --workers 2
--proxy-headers --forwarded-allow-ips=127.0.0.1`` as a real subprocess on PostgreSQL,
configured by a zhuanlan.toml named in $ZHUANLAN_CONFIG (docs/deploy.md, "Web
processes" and "Upgrades")."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time

import httpx
from sqlalchemy import select

from tests.deploy.conftest import VENV, clean_env, make_facade, write_config
from zhuanlan.store import migrate
from zhuanlan.store.schema import login_failures


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "the login page has no CSRF field"
    return found.group(1)


def _fresh_connections(**kw) -> httpx.Client:
    # A new TCP connection per request, so that the kernel hands each one to either
    # uvicorn process (a kept-alive connection stays with one).
    return httpx.Client(limits=httpx.Limits(max_keepalive_connections=0), timeout=10, **kw)


def test_two_processes_share_sessions_and_believe_the_proxy(tmp_path, pg_schema_url,
                                                             uvicorn_factory):
    config = write_config(tmp_path, pg_schema_url)
    zl = make_facade(config)
    try:
        zl.migrate()                          # the migrate step; asgi itself never migrates
        zl.add_column("xuexi", "学习二十大", include="二十大")
        zl.staff.add_user("chief", "chief-password", role="admin")
        web = uvicorn_factory(config, workers=2)
        pids = web.wait_serving(workers=2)
        assert len(pids) == 2

        # /healthz from both processes, over many fresh connections.
        answered: dict[str, int] = {}
        with _fresh_connections() as client:
            for _ in range(40):
                r = client.get(web.url("/healthz"))
                assert r.status_code == 200 and r.json()["ok"] is True
                pid = r.headers["x-zhuanlan-process"]
                answered[pid] = answered.get(pid, 0) + 1
        assert set(answered) <= pids and answered

        # Log in through one process (the address is the proxy's X-Forwarded-For) ...
        with _fresh_connections(base_url=web.url("")) as client:
            page = client.get("/login")
            r = client.post("/login", data={"username": "chief", "password": "chief-password",
                                            "csrf_token": _csrf(page.text), "next": "/admin"},
                            headers={"X-Forwarded-For": "203.0.113.7"})
            assert r.status_code == 303, r.text
            login_pid = r.headers["x-zhuanlan-process"]
            # ... and the session cookie is good on every process (one secret key).
            served: dict[str, list[int]] = {}
            deadline = time.monotonic() + 30
            while len(served) < 2 and time.monotonic() < deadline:
                r = client.get("/admin/sources")
                served.setdefault(r.headers["x-zhuanlan-process"], []).append(r.status_code)
        assert len(served) == 2, f"only {set(served)} answered"
        assert {s for codes in served.values() for s in codes} == {200}, served
        assert login_pid in served

        # request.client.host was the forwarded address: the audit log records it.
        logins = [e for e in zl.audit() if e["action"] == "login"]
        assert logins and logins[0]["detail"] == "203.0.113.7"

        # A client that is not the trusted proxy cannot claim an address: its own counts.
        spoofer = _fresh_connections(base_url=web.url(""),
                                     transport=httpx.HTTPTransport(local_address="127.0.0.2"))
        with spoofer:
            page = spoofer.get("/login")
            r = spoofer.post("/login", data={"username": "chief", "password": "wrong-password",
                                             "csrf_token": _csrf(page.text)},
                             headers={"X-Forwarded-For": "198.51.100.1"})
            assert r.status_code == 401
        with zl.db.read() as conn:
            keys = set(conn.execute(select(login_failures.c.key)).scalars())
        assert "addr:127.0.0.2" in keys and "addr:198.51.100.1" not in keys
    finally:
        zl.close()


def test_reload_replaces_processes_without_dropping_requests(tmp_path, pg_schema_url,
                                                             uvicorn_factory):
    """`systemctl reload zhuanlan-web` (SIGHUP): uvicorn brings each new process up before
    stopping an old one — how a new release's code is picked up after migrating."""
    config = write_config(tmp_path, pg_schema_url)
    zl = make_facade(config)
    try:
        zl.migrate()
    finally:
        zl.close()
    web = uvicorn_factory(config, workers=2)
    before = web.wait_serving(workers=2)
    failures: list[str] = []
    seen: set[str] = set()
    stop = threading.Event()

    def hammer() -> None:
        with _fresh_connections() as client:
            while not stop.is_set():
                try:
                    r = client.get(web.url("/healthz"))
                    if r.status_code != 200:
                        failures.append(f"status {r.status_code}")
                    else:
                        seen.add(r.headers["x-zhuanlan-process"])
                except httpx.TransportError as exc:
                    failures.append(repr(exc))

    thread = threading.Thread(target=hammer)
    thread.start()
    try:
        time.sleep(0.5)
        os.kill(web.proc.pid, signal.SIGHUP)
        deadline = time.monotonic() + 60
        after: set[str] = set()
        while time.monotonic() < deadline and len(after) < 2:
            r = httpx.get(web.url("/healthz"), timeout=5)
            pid = r.headers["x-zhuanlan-process"]
            if pid not in before:
                after.add(pid)
            time.sleep(0.05)
    finally:
        stop.set()
        thread.join(30)
    assert len(after) == 2, f"the processes were not replaced:\n{web.output()}"
    assert not failures, failures[:5]


def _previous_revision() -> str:
    from alembic.script import ScriptDirectory
    script = ScriptDirectory.from_config(migrate.alembic_config())
    previous = script.get_revision(migrate.head_revision()).down_revision
    assert isinstance(previous, str)
    return previous


def test_refuses_to_start_one_migration_behind(tmp_path, pg_schema_url, uvicorn_factory):
    config = write_config(tmp_path, pg_schema_url)
    zl = make_facade(config)
    try:
        zl.migrate()
        migrate.downgrade(zl.db, _previous_revision())
    finally:
        zl.close()
    head = migrate.head_revision()

    # The multi-process server: every worker refuses, the supervisor stops.
    web = uvicorn_factory(config, workers=2)
    web.wait_exit(timeout=120)
    out = web.output()
    assert "refusing to start" in out and f"behind this release's {head}" in out, out
    assert "zhuanlan migrate" in out
    # No restart loop: each of the two processes refused once (or the second was stopped).
    assert 1 <= out.count("refusing to start") <= 2, out

    # One process: uvicorn's startup-failure status.
    single = uvicorn_factory(config, workers=1)
    assert single.wait_exit(timeout=120) == 3, single.output()

    # The units' ExecStartPre gate says the same and fails.
    check = [sys.executable, "-m", "zhuanlan.web.asgi", "--check"]
    r = subprocess.run(check, env=clean_env(config), cwd=tmp_path, capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 1 and f"behind this release's {head}" in r.stderr, r.stderr

    # The migrate step (zhuanlan-migrate.service), then it starts.
    r = subprocess.run([str(VENV / "bin" / "zhuanlan"), "migrate"], env=clean_env(config),
                       cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    r = subprocess.run(check, env=clean_env(config), cwd=tmp_path, capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0 and head in r.stdout, r.stderr
    web = uvicorn_factory(config, workers=2)
    assert len(web.wait_serving(workers=2)) == 2


def test_refuses_a_schema_from_a_newer_release(tmp_path, pg_schema_url):
    """A rolled-back release on a database that a newer one migrated: refused, with what
    to do instead of `zhuanlan migrate`."""
    from sqlalchemy import text

    config = write_config(tmp_path, pg_schema_url)
    zl = make_facade(config)
    try:
        zl.migrate()
        with zl.db.write() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = '9999_from_the_future'"))
    finally:
        zl.close()
    r = subprocess.run([sys.executable, "-m", "zhuanlan.web.asgi", "--check"],
                       env=clean_env(config), cwd=tmp_path, capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 1
    assert "9999_from_the_future, which this release does not know" in r.stderr, r.stderr
