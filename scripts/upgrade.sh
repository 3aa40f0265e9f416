#!/usr/bin/env bash
# Upgrade zhuanlan on this machine: install the new release into the venv, migrate the
# database, then restart the units. Exercised by tests/deploy/test_upgrade.py;
# docs/deploy.md, "Upgrades".
#
#   scripts/upgrade.sh [--dry-run] [--backup] [--no-migrate] [--workers-only] RELEASE
#
# RELEASE is what pip installs: a wheel, a directory, or zhuanlan==X.Y.Z. Steps, each
# stopping the upgrade when it fails:
#   1. (--backup) systemctl start zhuanlan-backup.service (scripts/backup.sh)
#   2. pip install --upgrade RELEASE into $ZHUANLAN_VENV
#   3. systemctl start zhuanlan-migrate.service (zhuanlan migrate; returns when done)
#      -- only on the first machine of a rolling upgrade; --no-migrate on the others
#   4. systemctl reload zhuanlan-web.service: uvicorn replaces its processes one at a
#      time, each new one serving (schema checked) before an old one stops
#   5. systemctl restart 'zhuanlan-worker@*.service': each worker finishes its round;
#      leases of unfinished rows run out and other workers take them
# --dry-run prints the steps without running them. --workers-only: a worker machine
# (no web unit).
#
# Environment: ZHUANLAN_VENV (default /opt/zhuanlan/venv), SYSTEMCTL (default systemctl).
set -euo pipefail

VENV=${ZHUANLAN_VENV:-/opt/zhuanlan/venv}
SYSTEMCTL=${SYSTEMCTL:-systemctl}
DRY=0 BACKUP=0 MIGRATE=1 WEB=1 RELEASE=""
while [ $# -gt 0 ]; do
    case "$1" in
        --dry-run) DRY=1; shift ;;
        --backup) BACKUP=1; shift ;;
        --no-migrate) MIGRATE=0; shift ;;
        --workers-only) WEB=0; shift ;;
        -h|--help) sed -n '2,22p' "$0"; exit 0 ;;
        -*) echo "upgrade.sh: unknown option $1" >&2; exit 2 ;;
        *) [ -z "$RELEASE" ] || { echo "upgrade.sh: one release only" >&2; exit 2; }
           RELEASE=$1; shift ;;
    esac
done
[ -n "$RELEASE" ] || { echo "usage: upgrade.sh [--dry-run] [--backup] [--no-migrate] [--workers-only] RELEASE" >&2; exit 2; }

step=0
run() {
    step=$((step + 1))
    echo "[$step] $*"
    [ "$DRY" = 1 ] && return 0
    "$@" || { echo "upgrade.sh: step $step failed: $*; nothing after it was done" >&2; exit 1; }
}

[ "$BACKUP" = 1 ] && run "$SYSTEMCTL" start zhuanlan-backup.service
run "$VENV/bin/python" -m pip install --upgrade --quiet "$RELEASE"
[ "$MIGRATE" = 1 ] && run "$SYSTEMCTL" start zhuanlan-migrate.service
[ "$WEB" = 1 ] && run "$SYSTEMCTL" reload-or-restart zhuanlan-web.service
run "$SYSTEMCTL" restart 'zhuanlan-worker@*.service'
if [ "$DRY" = 1 ]; then
    echo "dry run: nothing was changed"
else
    echo "upgraded to $("$VENV/bin/zhuanlan" --version)"
fi
