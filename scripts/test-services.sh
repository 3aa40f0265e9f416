#!/usr/bin/env bash
# Make sure what the test suite needs outside Python is installed and running:
# PostgreSQL on 127.0.0.1:5432 with trust auth and a database `test` for the current
# user (installs Debian's postgresql when missing, starts a stopped cluster), and
# headless Chromium with its driver and CJK fonts for the browser tests, nginx and
# systemd-analyze for the deployment tests.
set -euo pipefail

PGHOST=127.0.0.1
PGPORT=5432
ME=$(id -un)

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo -n "$@"; fi; }

missing=()
command -v pg_ctlcluster >/dev/null 2>&1 || missing+=(postgresql)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v chromedriver >/dev/null 2>&1 || missing+=(chromium-driver)
[ -d /usr/share/fonts/opentype/noto ] || missing+=(fonts-noto-cjk)
# The deployment tests: nginx in front of the app, systemd-analyze to verify the units.
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx)
command -v systemd-analyze >/dev/null 2>&1 || missing+=(systemd)
if [ ${#missing[@]} -gt 0 ]; then
  echo "test-services: installing Debian packages: ${missing[*]}"
  as_root apt-get update -qq
  # Installing must not start services (nginx would take port 80): policy-rc.d says no.
  blocker=/usr/sbin/policy-rc.d
  made_blocker=0
  if [ ! -e "$blocker" ]; then
    printf '#!/bin/sh\nexit 101\n' | as_root tee "$blocker" >/dev/null
    as_root chmod +x "$blocker"
    made_blocker=1
  fi
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${missing[@]}" >/dev/null
  [ "$made_blocker" = 1 ] && as_root rm -f "$blocker"
fi

if ! pg_isready -h "$PGHOST" -p "$PGPORT" -q 2>/dev/null; then
  ver=$(ls /etc/postgresql | sort -V | tail -n 1)
  echo "test-services: starting PostgreSQL $ver"
  as_root pg_ctlcluster --skip-systemctl-redirect "$ver" main start || true
  for _ in $(seq 1 30); do
    pg_isready -h "$PGHOST" -p "$PGPORT" -q 2>/dev/null && break
    sleep 1
  done
fi
pg_isready -h "$PGHOST" -p "$PGPORT" -q || { echo "test-services: PostgreSQL did not start" >&2; exit 1; }

if ! psql -h "$PGHOST" -p "$PGPORT" -U "$ME" -d test -Atqc 'select 1' >/dev/null 2>&1; then
  echo "test-services: preparing role $ME and database test"
  ver=$(ls /etc/postgresql | sort -V | tail -n 1)
  hba=/etc/postgresql/$ver/main/pg_hba.conf
  if ! as_root grep -q '^host all all 127.0.0.1/32 trust' "$hba"; then
    as_root sed -i '1i host all all 127.0.0.1/32 trust' "$hba"
    as_root pg_ctlcluster --skip-systemctl-redirect "$ver" main reload
  fi
  as_root su postgres -c "psql -qc \"DO \\\$\\\$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname='$ME') THEN CREATE ROLE \\\"$ME\\\" SUPERUSER LOGIN; END IF; END\\\$\\\$\"" >/dev/null
  as_root su postgres -c "psql -Atqc \"SELECT 1 FROM pg_database WHERE datname='test'\" | grep -q 1 || createdb -O \"$ME\" test"
fi
psql -h "$PGHOST" -p "$PGPORT" -U "$ME" -d test -Atqc 'select 1' >/dev/null
echo "test-services: PostgreSQL ready on $PGHOST:$PGPORT (database test, user $ME)"
