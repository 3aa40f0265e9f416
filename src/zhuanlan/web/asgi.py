"""The web app for multi-process serving behind a reverse proxy::

    ZHUANLAN_CONFIG=/etc/zhuanlan/zhuanlan.toml \\
    uvicorn --factory zhuanlan.web.asgi:app --host 127.0.0.1 --port 8000 --workers 4 \\
            --proxy-headers --forwarded-allow-ips=127.0.0.1

Each uvicorn worker process calls :func:`app`, which reads the settings exactly as the
CLI does (``$ZHUANLAN_CONFIG`` or ``./zhuanlan.toml``, then ``ZHUANLAN_*``) and builds
the app. It never migrates: migrating is a separate step (``zhuanlan migrate``, the
``zhuanlan-migrate`` unit) run once per upgrade. It refuses to start when the database is
not at the schema revision of this release — behind (not migrated yet) or ahead (a
newer release migrated it) — so a process never runs against a schema it was not
written for. ``python -m zhuanlan.web.asgi --check`` makes the same check and exits 1
with the reason (the systemd units run it as ``ExecStartPre``, because uvicorn's
supervisor exits 0 when a worker fails to start).

Every response carries ``X-Zhuanlan-Process: <pid>`` (which process answered; the nginx
configuration hides it from the outside).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys

from zhuanlan.config import Config, load_config
from zhuanlan.errors import StorageError, ZhuanlanError

log = logging.getLogger("zhuanlan.web.asgi")

# uvicorn's exit status for "failed before serving": its supervisor then stops instead of
# starting the worker again and again (uvicorn.config.STARTUP_FAILURE).
STARTUP_FAILURE = 3


class _ProcessHeader:
    """Pure ASGI middleware: adds ``X-Zhuanlan-Process: <pid>`` to every HTTP response."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.value = str(os.getpid()).encode()

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.inner(scope, receive, send)
            return

        async def send_with_header(message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []),
                                                  (b"x-zhuanlan-process", self.value)]}
            await send(message)

        await self.inner(scope, receive, send_with_header)


def build(cfg: Config):
    """The app over ``cfg``'s store, after checking its schema (ConfigError if not head)."""
    from zhuanlan.core import Zhuanlan
    from zhuanlan.web.app import create_app

    zl = Zhuanlan(cfg)
    try:
        revision = zl.check_schema()
    except StorageError as exc:
        # Unreachable is not a wrong schema: uvicorn starts a crashed worker again, and
        # refusing then would stop the whole server while the database is away. Serve
        # (errors until it is back); the units' ExecStartPre check gates a fresh start.
        log.warning("schema not checked: the database cannot be reached",
                    extra={"error": str(exc)})
        revision = "unchecked"
    except BaseException:
        zl.close()
        raise
    if not cfg["web.secret_key"]:
        log.warning("web.secret_key is not set: sessions are signed with the key in "
                    "%s/secret.key, valid only for web processes that share that directory",
                    cfg.data_dir)
    log.info("web process ready", extra={"pid": os.getpid(), "schema": revision})
    return _ProcessHeader(create_app(zl))


def app():
    """The factory uvicorn calls in each worker process (``--factory``)."""
    from zhuanlan.log import setup_logging

    try:
        cfg = load_config()
        setup_logging(cfg["log.level"], cfg["log.format"])
        return build(cfg)
    except ZhuanlanError as exc:
        # A clear line, then an exit status that makes uvicorn's supervisor give up
        # instead of starting the failing worker again every half second.
        print(f"zhuanlan: refusing to start: {exc}", file=sys.stderr, flush=True)
        raise SystemExit(STARTUP_FAILURE) from None


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m zhuanlan.web.asgi",
        description="Check that the configured database is at this release's schema "
                    "revision (what the ASGI factory checks before serving).")
    p.add_argument("--check", action="store_true", required=True,
                   help="exit 0 when the schema is current, 1 with the reason otherwise")
    p.add_argument("-c", "--config", help="path of zhuanlan.toml (default: $ZHUANLAN_CONFIG "
                   "or ./zhuanlan.toml if present)")
    args = p.parse_args(argv)
    from zhuanlan.core import Zhuanlan
    try:
        zl = Zhuanlan(load_config(args.config))
        try:
            revision = zl.check_schema()
        finally:
            zl.close()
    except ZhuanlanError as exc:
        print(f"zhuanlan: {exc}", file=sys.stderr)
        return 1
    print(f"schema is current: revision {revision}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
