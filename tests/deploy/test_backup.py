"""scripts/backup.sh and scripts/restore.sh, for real: data made through the facade (a
column, a subscriber, a published issue, a kept image, the secret key), a backup, the
loss (DROP SCHEMA public CASCADE on a database of its own; the SQLite file deleted), the
restore, and the data back (docs/deploy.md, "Backups and restore drills")."""

from __future__ import annotations

import hashlib
import os
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.conftest import FIXTURES, make_config
from tests.deploy.conftest import SCRIPTS, VENV, clean_env
from zhuanlan.store import migrate


def _rss(base: str, paths: list[str]) -> bytes:
    items = "".join(f"<item><title>t{i}</title><link>{base}{p}</link></item>"
                    for i, p in enumerate(paths))
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>源</title>'
            f"<link>{base}/</link>{items}</channel></rss>").encode()


def _make_data(tmp_path: Path, database_url: str, http_server) -> dict:
    """A column with a published issue, a subscriber, an image file and the secret key."""
    from zhuanlan.core import Zhuanlan

    http_server.route("/x.html", (FIXTURES / "pages" / "xinhua_utf8.html").read_bytes(),
                      headers={"Content-Type": "text/html"})
    http_server.route("/feed.xml", _rss(http_server.url("").rstrip("/"), ["/x.html"]))
    zl = Zhuanlan(make_config(tmp_path, database_url, images__enabled=False))
    try:
        zl.migrate()
        zl.add_source("源", http_server.url("/feed.xml"))
        zl.add_column("xuexi", "学习专栏", include="二十大, 党纪学习教育",
                      editor_note="本期编者按")
        sid = zl.add_subscriber("zhang@example.com", "张三", department="党群工作部")
        zl.subscribe("xuexi", sid)
        zl.run_until_idle()
        [candidate] = zl.candidates("xuexi")
        zl.decide(candidate["id"], "approve")
        assert zl.publish_now("xuexi") is not None
        images = zl.cfg.data_dir / "images"
        images.mkdir(parents=True, exist_ok=True)
        blob = b"\x89PNG\r\n\x1a\n" + os.urandom(256)
        (images / hashlib.sha256(blob).hexdigest()).write_bytes(blob)
        return {"secret": zl.cfg.secret_key, "blob": blob, "data_dir": zl.cfg.data_dir,
                "issue": zl.issue_view("xuexi", 1).title}
    finally:
        zl.close()


def _assert_data_back(tmp_path: Path, database_url: str, made: dict) -> None:
    from zhuanlan.core import Zhuanlan

    zl = Zhuanlan(make_config(tmp_path, database_url))
    try:
        assert migrate.current_revision(zl.db) == migrate.head_revision()
        assert zl.get_column("xuexi")["name"] == "学习专栏"
        [sub] = zl.list_subscribers("xuexi")
        assert (sub["email"], sub["name"]) == ("zhang@example.com", "张三")
        [issue] = zl.issues_of("xuexi")
        view = zl.issue_view("xuexi", issue["number"])
        assert view.title == made["issue"] and len(view.items) == 1
        assert view.editor_note == "本期编者按"          # the note went with the issue
        assert zl.cfg.secret_key == made["secret"]
    finally:
        zl.close()
    blob = made["blob"]
    assert (made["data_dir"] / "images" / hashlib.sha256(blob).hexdigest()).read_bytes() == blob


def _script(name: str, *args: str, env: dict, cwd: Path) -> subprocess.CompletedProcess:
    r = subprocess.run(["bash", str(SCRIPTS / name), *args], env=env, cwd=cwd,
                       capture_output=True, text=True, timeout=300)
    return r


def _env(database_url: str, data_dir: Path, **extra: str) -> dict:
    # As the backup unit runs it: the database URL and data_dir from the environment.
    return clean_env(ZHUANLAN_DATABASE_URL=database_url, ZHUANLAN_DATA_DIR=str(data_dir),
                     ZHUANLAN_VENV=str(VENV), **extra)


def test_postgresql_backup_restore_after_the_schema_is_dropped(tmp_path, pg_database,
                                                               http_server):
    made = _make_data(tmp_path, pg_database, http_server)
    env = _env(pg_database, made["data_dir"])
    dest = tmp_path / "backups"
    r = _script("backup.sh", "--dest", str(dest), "--keep", "2", env=env, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    backup = Path(r.stdout.strip().splitlines()[-1])
    assert sorted(p.name for p in backup.iterdir()) == ["MANIFEST", "database.dump",
                                                         "files.tar.gz"]
    manifest = (backup / "MANIFEST").read_text()
    assert "kind=postgresql" in manifest and f"revision={migrate.head_revision()}" in manifest
    assert "files=images secret.key" in manifest

    # The loss: the whole schema and the data directory.
    engine = create_engine(pg_database, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
    engine.dispose()
    subprocess.run(["rm", "-rf", str(made["data_dir"])], check=True)

    r = _script("restore.sh", str(backup), env=env, cwd=tmp_path)
    assert r.returncode == 2 and "--yes" in r.stderr          # asks before replacing
    r = _script("restore.sh", str(backup), "--yes", env=env, cwd=tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
    _assert_data_back(tmp_path, pg_database, made)

    # Restoring over a live database (the drill's normal case): --clean replaces it.
    r = _script("restore.sh", str(backup), "--yes", env=env, cwd=tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
    _assert_data_back(tmp_path, pg_database, made)


def test_backups_are_rotated_and_checked(tmp_path, pg_database, http_server):
    made = _make_data(tmp_path, pg_database, http_server)
    env = _env(pg_database, made["data_dir"])
    dest = tmp_path / "backups"
    made_dirs = []
    for _ in range(3):
        r = _script("backup.sh", "--dest", str(dest), "--keep", "2", env=env, cwd=tmp_path)
        assert r.returncode == 0, r.stderr
        made_dirs.append(Path(r.stdout.strip().splitlines()[-1]))
    assert sorted(dest.iterdir()) == made_dirs[1:]              # the two newest kept
    assert "removed old backup" in r.stderr

    # A damaged backup is refused before anything is dropped.
    dump = made_dirs[-1] / "database.dump"
    data = bytearray(dump.read_bytes())
    data[len(data) // 2] ^= 0xFF
    dump.write_bytes(bytes(data))
    r = _script("restore.sh", str(made_dirs[-1]), "--yes", env=env, cwd=tmp_path)
    assert r.returncode == 1 and "checksum mismatch" in r.stderr
    _assert_data_back(tmp_path, pg_database, made)


def test_sqlite_backup_while_open_and_restore(tmp_path, http_server):
    db_path = tmp_path / "data" / "zhuanlan.db"
    url = f"sqlite:///{db_path}"
    made = _make_data(tmp_path, url, http_server)
    env = _env(url, made["data_dir"])
    # A reader holds the database open in WAL mode during the backup, as a running
    # web process would; the online backup API copies a consistent state regardless.
    import sqlite3
    holder = sqlite3.connect(db_path)
    holder.execute("BEGIN")
    holder.execute("SELECT count(*) FROM columns").fetchone()
    try:
        r = _script("backup.sh", "--dest", str(tmp_path / "backups"), env=env, cwd=tmp_path)
    finally:
        holder.rollback()
        holder.close()
    assert r.returncode == 0, r.stderr
    backup = Path(r.stdout.strip().splitlines()[-1])
    assert sorted(p.name for p in backup.iterdir()) == ["MANIFEST", "files.tar.gz",
                                                         "zhuanlan.db"]
    assert "kind=sqlite" in (backup / "MANIFEST").read_text()

    for p in made["data_dir"].iterdir():                       # db, -wal, -shm, images …
        subprocess.run(["rm", "-rf", str(p)], check=True)
    r = _script("restore.sh", str(backup), "--yes", env=env, cwd=tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
    _assert_data_back(tmp_path, url, made)


def test_restore_refuses_a_backup_of_another_kind(tmp_path, pg_database, http_server):
    made = _make_data(tmp_path, pg_database, http_server)
    r = _script("backup.sh", "--dest", str(tmp_path / "backups"),
                env=_env(pg_database, made["data_dir"]), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    backup = r.stdout.strip().splitlines()[-1]
    sqlite_env = _env(f"sqlite:///{tmp_path / 'other' / 'zhuanlan.db'}", tmp_path / "other")
    r = _script("restore.sh", backup, "--yes", env=sqlite_env, cwd=tmp_path)
    assert r.returncode == 1 and "postgresql database, the target is sqlite" in r.stderr


@pytest.mark.parametrize("tool", ["pg_dump", "pg_restore", "psql", "tar", "sha256sum"])
def test_the_tools_the_scripts_need_are_installed(tool):
    import shutil
    assert shutil.which(tool), f"{tool} is missing: install postgresql-client / coreutils"
