"""The configured database as shell variables, for scripts/backup.sh and restore.sh:

    eval "$(python -m zhuanlan.store.shellenv [--revision])"

``KIND`` (sqlite, postgresql), ``DATA_DIR``, ``TARGET`` (the URL without its password),
then ``SQLITE_PATH`` or the libpq ``PG*`` variables — the password travels in
``PGPASSWORD``, never on a command line — and with ``--revision`` the schema revision
(``REVISION``, "none" for an empty database). The configuration is read as zhuanlan
reads it: $ZHUANLAN_CONFIG (or ./zhuanlan.toml), then ZHUANLAN_* variables.
"""

from __future__ import annotations

import shlex
import sys

from sqlalchemy.engine import make_url

from zhuanlan.config import load_config

# URL query parameters libpq also takes from the environment.
_PG_QUERY = ("sslmode", "sslrootcert", "sslcert", "sslkey", "application_name")


def shell_variables(*, revision: bool = False) -> dict[str, str]:
    cfg = load_config()
    url = make_url(cfg.database_url)
    out = {"DATA_DIR": str(cfg.data_dir.resolve()), "KIND": url.get_backend_name(),
           "TARGET": url.render_as_string(hide_password=True)}
    if out["KIND"] == "sqlite":
        out["SQLITE_PATH"] = url.database or ""
    elif out["KIND"] == "postgresql":
        out.update(PGHOST=url.host or "", PGPORT=str(url.port or ""),
                   PGUSER=url.username or "", PGPASSWORD=url.password or "",
                   PGDATABASE=url.database or "")
        for key, value in url.query.items():      # e.g. options=-csearch_path=…, sslmode
            value = value if isinstance(value, str) else value[-1]
            if key == "options":
                out["PGOPTIONS"] = value
            elif key in _PG_QUERY:
                out["PG" + key.upper()] = value
    if revision:
        from zhuanlan.store.db import Database
        from zhuanlan.store.migrate import current_revision

        db = Database(cfg.database_url)
        try:
            out["REVISION"] = current_revision(db) or "none"
        finally:
            db.engine.dispose()
    return out


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    for key, value in shell_variables(revision="--revision" in args).items():
        print(f"{key}={shlex.quote(value)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
