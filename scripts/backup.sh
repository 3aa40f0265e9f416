#!/usr/bin/env bash
# Back up zhuanlan: the database and the kept files, into one dated directory; keep the
# newest N. Exercised by tests/deploy/test_backup.py; docs/deploy.md, "Backups".
#
#   scripts/backup.sh [--dest DIR] [--keep N]
#
# The database and data_dir are read the way zhuanlan reads them: $ZHUANLAN_CONFIG (or
# ./zhuanlan.toml), then ZHUANLAN_* variables (ZHUANLAN_DATABASE_URL, ZHUANLAN_DATA_DIR).
#   PostgreSQL: pg_dump -Fc (a consistent snapshot, taken while everything runs)
#               -> DIR/zhuanlan-<UTC time>/database.dump
#   SQLite:     SQLite's online backup API (consistent with WAL and running writers)
#               -> DIR/zhuanlan-<UTC time>/zhuanlan.db
#   files:      data_dir/images and data_dir/secret.key (when present) -> files.tar.gz
#   MANIFEST:   kind, schema revision, time, sha256 of each file
# The directory is written as .partial and renamed when complete, so an interrupted run
# never counts among the N kept.
#
# Environment: ZHUANLAN_VENV (default /opt/zhuanlan/venv; its python reads the settings),
# BACKUP_DIR (default /var/backups/zhuanlan), BACKUP_KEEP (default 14).
set -euo pipefail
umask 077

VENV=${ZHUANLAN_VENV:-/opt/zhuanlan/venv}
DEST=${BACKUP_DIR:-/var/backups/zhuanlan}
KEEP=${BACKUP_KEEP:-14}

while [ $# -gt 0 ]; do
    case "$1" in
        --dest) DEST=$2; shift 2 ;;
        --keep) KEEP=$2; shift 2 ;;
        -h|--help) sed -n '2,22p' "$0"; exit 0 ;;
        *) echo "backup.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done
case "$KEEP" in ''|*[!0-9]*|0) echo "backup.sh: --keep must be a whole number ≥ 1" >&2; exit 2 ;; esac
PY="$VENV/bin/python"
[ -x "$PY" ] || { echo "backup.sh: no python at $PY (set ZHUANLAN_VENV)" >&2; exit 2; }

# kind, data_dir, the SQLite path or the libpq connection as PG* variables (the password
# travels in PGPASSWORD, never on a command line), and the schema revision.
db_vars=$("$PY" -m zhuanlan.store.shellenv --revision)   # fails the script if it fails
eval "$db_vars"
for v in PGHOST PGPORT PGUSER PGPASSWORD PGDATABASE PGOPTIONS PGSSLMODE PGSSLROOTCERT \
         PGSSLCERT PGSSLKEY PGAPPLICATION_NAME; do
    if [ -n "${!v:-}" ]; then export "$v"; else unset "$v"; fi
done

mkdir -p "$DEST"
stamp=$(date -u +%Y%m%dT%H%M%SZ)
name="zhuanlan-$stamp"
n=0
while [ -e "$DEST/$name" ] || [ -e "$DEST/$name.partial" ]; do
    n=$((n + 1)); name="zhuanlan-$stamp.$n"
done
work="$DEST/$name.partial"
mkdir "$work"
trap 'rm -rf "$work"' EXIT

case "$KIND" in
    postgresql)
        pg_dump --format=custom --no-owner --file="$work/database.dump"
        ;;
    sqlite)
        [ -f "$SQLITE_PATH" ] || { echo "backup.sh: no SQLite database at $SQLITE_PATH" >&2; exit 1; }
        "$PY" - "$SQLITE_PATH" "$work/zhuanlan.db" <<'PYEOF'
import sqlite3, sys
src = sqlite3.connect(sys.argv[1], timeout=60)
dst = sqlite3.connect(sys.argv[2])
with dst:
    src.backup(dst)          # page by page, consistent, while others keep writing
ok = dst.execute("PRAGMA integrity_check").fetchone()[0]
dst.close(); src.close()
sys.exit(0 if ok == "ok" else f"integrity_check of the copy: {ok}")
PYEOF
        ;;
    *) echo "backup.sh: unsupported database kind $KIND" >&2; exit 1 ;;
esac

members=()
[ -d "$DATA_DIR/images" ] && members+=(images)
[ -f "$DATA_DIR/secret.key" ] && members+=(secret.key)
tar -czf "$work/files.tar.gz" -C "$DATA_DIR" --files-from /dev/null "${members[@]}"

{
    echo "kind=$KIND"
    echo "revision=$REVISION"
    echo "created=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "files=${members[*]:-}"
    (cd "$work" && sha256sum -- database.dump zhuanlan.db files.tar.gz 2>/dev/null \
         | sed 's/^/sha256 /') || true
} > "$work/MANIFEST"
grep -q '^sha256 .* files.tar.gz$' "$work/MANIFEST" \
    || { echo "backup.sh: could not checksum the backup" >&2; exit 1; }

mv "$work" "$DEST/$name"
trap - EXIT
echo "$DEST/$name"

# Keep the newest $KEEP complete backups (names sort by time).
mapfile -t all < <(find "$DEST" -mindepth 1 -maxdepth 1 -type d -name 'zhuanlan-*' \
                       ! -name '*.partial' -printf '%f\n' | sort)
excess=$(( ${#all[@]} - KEEP ))
for (( i = 0; i < excess; i++ )); do
    rm -rf -- "${DEST:?}/${all[$i]}"
    echo "removed old backup $DEST/${all[$i]}" >&2
done
