#!/usr/bin/env bash
# Restore a zhuanlan backup made by scripts/backup.sh, then bring the schema to this
# release (`zhuanlan migrate`). Exercised by tests/deploy/test_backup.py;
# docs/deploy.md, "Backups and restore drills".
#
#   scripts/restore.sh BACKUP_DIR --yes [--database URL] [--data-dir DIR]
#
# Target: the database and data_dir zhuanlan is configured with ($ZHUANLAN_CONFIG or
# ./zhuanlan.toml, then ZHUANLAN_*), or --database / --data-dir (a restore drill into a
# scratch database: --database postgresql+psycopg://zhuanlan@db/zhuanlan_drill).
#   PostgreSQL: pg_restore --clean --if-exists into the (existing) database, in one
#               transaction: every object of the dump is dropped and made again.
#   SQLite:     the copy replaces the database file (its -wal and -shm files removed).
#   files:      images/ and secret.key unpacked into data_dir.
# Stop the web processes and workers first (systemctl stop zhuanlan-web
# 'zhuanlan-worker@*'); start them after. The checksums in MANIFEST are verified first.
#
# Environment: ZHUANLAN_VENV (default /opt/zhuanlan/venv).
set -euo pipefail
umask 027

VENV=${ZHUANLAN_VENV:-/opt/zhuanlan/venv}
BACKUP=""
YES=0
while [ $# -gt 0 ]; do
    case "$1" in
        --database) export ZHUANLAN_DATABASE_URL=$2; shift 2 ;;
        --data-dir) export ZHUANLAN_DATA_DIR=$2; shift 2 ;;
        --yes) YES=1; shift ;;
        -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
        -*) echo "restore.sh: unknown option $1" >&2; exit 2 ;;
        *) [ -z "$BACKUP" ] || { echo "restore.sh: one backup directory only" >&2; exit 2; }
           BACKUP=$1; shift ;;
    esac
done
[ -n "$BACKUP" ] || { echo "usage: restore.sh BACKUP_DIR --yes [--database URL] [--data-dir DIR]" >&2; exit 2; }
[ -f "$BACKUP/MANIFEST" ] || { echo "restore.sh: $BACKUP has no MANIFEST: not a complete backup" >&2; exit 1; }
PY="$VENV/bin/python"
[ -x "$PY" ] || { echo "restore.sh: no python at $PY (set ZHUANLAN_VENV)" >&2; exit 2; }

# Checksums first: a damaged backup must not get as far as dropping anything.
(cd "$BACKUP" && sed -n 's/^sha256 //p' MANIFEST | sha256sum --check --quiet --strict) \
    || { echo "restore.sh: checksum mismatch in $BACKUP" >&2; exit 1; }
backup_kind=$(sed -n 's/^kind=//p' "$BACKUP/MANIFEST")

db_vars=$("$PY" -m zhuanlan.store.shellenv)   # fails the script if it fails
eval "$db_vars"
for v in PGHOST PGPORT PGUSER PGPASSWORD PGDATABASE PGOPTIONS PGSSLMODE PGSSLROOTCERT \
         PGSSLCERT PGSSLKEY PGAPPLICATION_NAME; do
    if [ -n "${!v:-}" ]; then export "$v"; else unset "$v"; fi
done

[ "$backup_kind" = "$KIND" ] || {
    echo "restore.sh: the backup is of a $backup_kind database, the target is $KIND" >&2; exit 1; }
echo "restore $BACKUP ($(sed -n 's/^created=//p' "$BACKUP/MANIFEST"), schema" \
     "$(sed -n 's/^revision=//p' "$BACKUP/MANIFEST")) into $TARGET and $DATA_DIR"
if [ "$YES" != 1 ]; then
    echo "restore.sh: this replaces what is there; run again with --yes" >&2
    exit 2
fi

case "$KIND" in
    postgresql)
        # pg_dump (PostgreSQL ≥ 15) leaves the public schema out of the dump, as every
        # database has one; after a DROP SCHEMA public it must be made again.
        psql --no-psqlrc --quiet -v ON_ERROR_STOP=1 --dbname="$PGDATABASE" \
             -c 'SET client_min_messages = warning' -c 'CREATE SCHEMA IF NOT EXISTS public'
        pg_restore --clean --if-exists --no-owner --exit-on-error --single-transaction \
                   --dbname="$PGDATABASE" "$BACKUP/database.dump"
        ;;
    sqlite)
        mkdir -p "$(dirname "$SQLITE_PATH")"
        tmp="$SQLITE_PATH.restoring"
        cp -- "$BACKUP/zhuanlan.db" "$tmp"
        rm -f -- "$SQLITE_PATH-wal" "$SQLITE_PATH-shm"
        mv -- "$tmp" "$SQLITE_PATH"
        ;;
    *) echo "restore.sh: unsupported database kind $KIND" >&2; exit 1 ;;
esac

mkdir -p "$DATA_DIR"
tar -xzf "$BACKUP/files.tar.gz" -C "$DATA_DIR"

# A backup of an older release is brought to this release's schema.
"$VENV/bin/zhuanlan" migrate
echo "restored; start the units again (systemctl start zhuanlan-web 'zhuanlan-worker@*')"
