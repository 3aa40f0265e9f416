"""Fixtures for the deployment tests: dedicated PostgreSQL databases and schemas, a
config file as an operator writes it, and uvicorn started the way the web unit starts it
(``uvicorn --factory zhuanlan.web.asgi:app --workers N --proxy-headers``) as a real
subprocess."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.conftest import PG_URL, _pg_schema_url
from tests.support.smtp import free_port

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = ROOT / "scripts"
DEPLOY = ROOT / "deploy"
VENV = Path(sys.prefix)


def _admin_engine():
    return create_engine(PG_URL, isolation_level="AUTOCOMMIT")


@pytest.fixture
def pg_database():
    """A PostgreSQL database of its own (pg_dump dumps databases, not schemas): its
    SQLAlchemy URL; dropped at the end."""
    name = f"zl_backup_{uuid.uuid4().hex[:10]}"
    admin = _admin_engine()
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def pg_schema_url():
    """A schema of its own in the test database (search_path in the URL)."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = _admin_engine()
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield _pg_schema_url(schema)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def write_config(tmp_path: Path, database_url: str, **web) -> Path:
    """zhuanlan.toml as an operator writes it for a PostgreSQL deployment."""
    lines = [f'data_dir = "{tmp_path / "data"}"', "",
             "[database]", f'url = "{database_url}"', "",
             "[web]", 'secret_key = "deploy-test-secret-key-shared-by-every-process"',
             *(f"{k} = {v!r}" if isinstance(v, str) else f"{k} = {str(v).lower()}"
               for k, v in web.items()), "",
             "[sample]", "enabled = false", "",
             "[presets]", "enabled = false", "",
             "[log]", 'level = "INFO"']
    path = tmp_path / "zhuanlan.toml"
    path.write_text("\n".join(lines).replace("'", '"') + "\n", encoding="utf-8")
    return path


def clean_env(config: Path | None = None, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZHUANLAN_")}
    if config is not None:
        env["ZHUANLAN_CONFIG"] = str(config)
    env.update(extra)
    return env


class Uvicorn:
    """``uvicorn --factory zhuanlan.web.asgi:app`` as the web unit runs it."""

    def __init__(self, config: Path, cwd: Path, *, workers: int = 2) -> None:
        self.port = free_port()
        self.log = cwd / f"uvicorn-{self.port}.log"
        self.args = [str(VENV / "bin" / "uvicorn"), "--factory", "zhuanlan.web.asgi:app",
                     "--host", "127.0.0.1", "--port", str(self.port),
                     *(["--workers", str(workers)] if workers > 1 else []),
                     "--proxy-headers", "--forwarded-allow-ips=127.0.0.1",
                     # as in the unit: importing the app takes seconds on a busy machine
                     "--timeout-worker-healthcheck", "30"]
        self.proc = subprocess.Popen(self.args, env=clean_env(config), cwd=cwd,
                                     stdout=subprocess.DEVNULL,
                                     stderr=self.log.open("wb"), start_new_session=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_serving(self, workers: int, timeout: float = 60) -> set[str]:
        """Until /healthz answered from ``workers`` different processes: their pids."""
        seen: set[str] = set()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"uvicorn exited ({self.proc.returncode}):\n{self.output()}")
            try:
                r = httpx.get(self.url("/healthz"), timeout=5)
                if r.status_code == 200:
                    seen.add(r.headers["x-zhuanlan-process"])
                    if len(seen) >= workers:
                        return seen
            except httpx.TransportError:
                time.sleep(0.2)
        raise AssertionError(f"not served by {workers} processes in {timeout}s "
                             f"(saw {seen}):\n{self.output()}")

    def wait_exit(self, timeout: float = 60) -> int:
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"uvicorn still running after {timeout}s:\n"
                                 f"{self.output()}") from None

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)


@pytest.fixture
def uvicorn_factory(tmp_path: Path):
    started: list[Uvicorn] = []

    def start(config: Path, *, workers: int = 2) -> Uvicorn:
        server = Uvicorn(config, tmp_path, workers=workers)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


def make_facade(config: Path):
    """The facade over the same settings file the processes read."""
    from zhuanlan.config import load_config
    from zhuanlan.core import Zhuanlan

    return Zhuanlan(load_config(config, environ={}))
