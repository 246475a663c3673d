#!/usr/bin/env bash
# kenshin restore check: restore a dump made by deploy/backup.sh into a scratch database,
# compare every table's row count with the counts taken in the dump's snapshot, and
# verify the audit chain there (manage.py verify_audit_chain). Exit 0 only if all agree.
#
#   deploy/restore-check.sh DIR/latest.dump
#
# KENSHIN_SCRATCH_URL: a URL whose role may create databases (e.g. the postgres superuser
# on a restore host, never the app's runtime role), database part ignored.
# RESTORE_DB_NAME: the scratch database (default kenshin_restore_check; dropped first,
# and again at the end unless KEEP_SCRATCH=1). KENSHIN_PYTHON: the virtualenv's python.
# The environment must hold the AUDIT_HMAC_KEY (and any old keys file) the chain was made with.
set -euo pipefail
dump=$(readlink -f "${1:?usage: restore-check.sh DUMP}")
counts="${dump%.dump}.counts"
[ -r "$dump" ] && [ -r "$counts" ] || { echo "restore-check: $dump or $counts missing" >&2; exit 2; }
here=$(cd "$(dirname "$0")/.." && pwd)
python=${KENSHIN_PYTHON:-$here/.venv/bin/python}
admin_url=${KENSHIN_SCRATCH_URL:?KENSHIN_SCRATCH_URL must be set}
name=${RESTORE_DB_NAME:-kenshin_restore_check}
case "$name" in *[!a-z0-9_]*) echo "restore-check: bad RESTORE_DB_NAME" >&2; exit 2 ;; esac
base=${admin_url%/*}
scratch_url="$base/$name"
maintenance_url="$base/postgres"

psql "$maintenance_url" -X -q -v ON_ERROR_STOP=1 -c "DROP DATABASE IF EXISTS $name" \
    -c "CREATE DATABASE $name"
cleanup() {
    [ "${KEEP_SCRATCH:-0}" = 1 ] || psql "$maintenance_url" -X -q -c "DROP DATABASE IF EXISTS $name" || true
}
trap cleanup EXIT
# --no-owner/--no-privileges: the scratch copy belongs to the restoring role; roles of the
# live cluster need not exist on the restore host.
pg_restore --no-owner --no-privileges --exit-on-error --dbname="$scratch_url" "$dump"

restored=$(mktemp)
psql "$scratch_url" -X -q -At -v ON_ERROR_STOP=1 > "$restored" <<'SQL'
SELECT format('SELECT %L || ''|'' || count(*) FROM %I.%I', tablename, schemaname, tablename)
  FROM pg_catalog.pg_tables WHERE schemaname = 'public' ORDER BY tablename \gexec
SQL
if ! diff -u "$counts" "$restored"; then
    echo "restore-check: FAILED: row counts differ (dump's snapshot above, restored below)" >&2
    rm -f "$restored"
    exit 1
fi
tables=$(wc -l < "$restored")
rows=$(awk -F'|' '{s += $2} END {print s + 0}' "$restored")
rm -f "$restored"
cd "$here"
if ! chain=$(DATABASE_URL="$scratch_url" "$python" manage.py verify_audit_chain 2>&1); then
    echo "restore-check: FAILED: audit chain of the restored copy: $chain" >&2
    exit 1
fi
echo "restore-check: OK: $tables tables, $rows rows as in the dump; $chain"
