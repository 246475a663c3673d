#!/usr/bin/env bash
# kenshin backup: pg_dump (custom format) of the database, and the row count of every table
# read in the SAME snapshot, so that deploy/restore-check.sh can prove the dump complete.
#
#   deploy/backup.sh DIR          # writes DIR/kenshin-<UTC time>.dump and .counts,
#                                 # points DIR/latest.dump at it, drops dumps > KEEP_DAYS
#
# Connects with BACKUP_DATABASE_URL (the owner role: it can read every table), else
# DATABASE_URL. Schedule: nightly after the jobs (systemd kenshin-backup.timer 02:00, or
# cron), then deploy/restore-check.sh on the new dump. See deploy/README.md, "Backups".
set -euo pipefail
dir=${1:?usage: backup.sh DIR}
url=${BACKUP_DATABASE_URL:-${DATABASE_URL:?BACKUP_DATABASE_URL or DATABASE_URL must be set}}
keep_days=${KEEP_DAYS:-14}
mkdir -p "$dir"
umask 077  # a dump holds personal data
stamp=$(date -u +%Y%m%dT%H%M%SZ)
dump="$dir/kenshin-$stamp.dump"
counts="$dir/kenshin-$stamp.counts"

# One REPEATABLE READ transaction holds a snapshot; pg_dump and the counts both read it.
coproc PSQL { psql "$url" -X -q -At -v ON_ERROR_STOP=1 2>&1; }
# Bash unsets PSQL_PID as soon as the coprocess has exited (after COMMIT it may be gone
# before `wait`): keep the pid in a variable of our own.
psql_pid=$PSQL_PID
trap 'kill "$psql_pid" 2>/dev/null || true' EXIT
echo "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SELECT pg_export_snapshot();" >&"${PSQL[1]}"
read -r -t 30 snapshot <&"${PSQL[0]}"
case "$snapshot" in
    [0-9A-F]*-*) ;;
    *) echo "backup: could not open a snapshot: $snapshot" >&2; exit 1 ;;
esac
cat >&"${PSQL[1]}" <<'SQL'
SELECT format('SELECT %L || ''|'' || count(*) FROM %I.%I', tablename, schemaname, tablename)
  FROM pg_catalog.pg_tables WHERE schemaname = 'public' ORDER BY tablename \gexec
SELECT '--end--';
SQL
: > "$counts.tmp"
while read -r -t 120 line <&"${PSQL[0]}"; do
    [ "$line" = "--end--" ] && break
    echo "$line" >> "$counts.tmp"
done
pg_dump --format=custom --snapshot="$snapshot" --file="$dump.tmp" "$url"
echo "COMMIT;" >&"${PSQL[1]}"
exec {PSQL[1]}>&-
wait "$psql_pid" 2>/dev/null || true
mv "$counts.tmp" "$counts"
mv "$dump.tmp" "$dump"
ln -sfn "$(basename "$dump")" "$dir/latest.dump"
find "$dir" -maxdepth 1 -name 'kenshin-*.dump' -mtime +"$keep_days" -print -delete \
    | sed 's/\.dump$/.counts/' | xargs -r rm -f
echo "backup: $dump ($(wc -l < "$counts") tables, $(du -h "$dump" | cut -f1))"
