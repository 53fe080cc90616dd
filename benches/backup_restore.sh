#!/usr/bin/env bash
# Rehearses README's backup and restore on PostgreSQL: seed a database with the demo data and
# an uploaded file, back it up (pg_dump custom format + tar of MEDIA_ROOT) while it is in
# use, restore both into a new database and folder, and compare every table's row count
# and every file's checksum. Prints the figures; exits non-zero on any difference.
#
#   bash benches/backup_restore.sh            # needs PostgreSQL on 127.0.0.1:5432 (trust)
#   PG=postgres://portal:portal@127.0.0.1:5432 BENCH_NAME=bench_backup_q5 PY=/path/to/python bash benches/backup_restore.sh
set -euo pipefail
cd "$(dirname "$0")/.."
PG=${PG:-postgres://postgres@127.0.0.1:5432}
NAME=${BENCH_NAME:-bench_backup}  # concurrent runs on one server need their own names
SOURCE=${NAME}_source
TARGET=${NAME}_restored
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
export DEBUG=true VAR_DIR="$WORK/var" MEDIA_ROOT="$WORK/media" CELERY_TASK_ALWAYS_EAGER=true
export LOG_LEVEL=WARNING
unset CELERY_BROKER_URL  # the filesystem broker under VAR_DIR: nothing to reach
PY=${PY:-.venv/bin/python}

psql -q "$PG/postgres" -c "DROP DATABASE IF EXISTS $SOURCE" -c "DROP DATABASE IF EXISTS $TARGET" -c "CREATE DATABASE $SOURCE"
export DATABASE_URL="$PG/$SOURCE"
$PY manage.py migrate --no-input -v 0
$PY manage.py seed_demo >/dev/null
# An uploaded evidence file, as a vendor or a trainee would leave one.
mkdir -p "$MEDIA_ROOT/evidence/2026/11"
head -c 300000 /dev/urandom > "$MEDIA_ROOT/evidence/2026/11/certificate.pdf"

counts() {
  psql -qtA "$1" -c "SELECT table_name FROM information_schema.tables WHERE table_schema='public' AND table_type='BASE TABLE' ORDER BY 1" |
    while read -r table; do echo "$table $(psql -qtA "$1" -c "SELECT count(*) FROM \"$table\"")"; done
}

started=$(date +%s.%N)
pg_dump --format=custom --no-owner --file="$WORK/portal.dump" "$DATABASE_URL"
tar -C "$MEDIA_ROOT" -czf "$WORK/media.tar.gz" .
pg_restore --list "$WORK/portal.dump" >/dev/null
backup_seconds=$(echo "$(date +%s.%N) - $started" | bc)

started=$(date +%s.%N)
psql -q "$PG/postgres" -c "CREATE DATABASE $TARGET"
pg_restore --no-owner --jobs=2 --dbname="$PG/$TARGET" "$WORK/portal.dump"
mkdir -p "$WORK/restored-media" && tar -C "$WORK/restored-media" -xzf "$WORK/media.tar.gz"
restore_seconds=$(echo "$(date +%s.%N) - $started" | bc)

counts "$PG/$SOURCE" > "$WORK/source.txt"
counts "$PG/$TARGET" > "$WORK/target.txt"
(cd "$MEDIA_ROOT" && find . -type f -exec sha256sum {} + | sort -k2) > "$WORK/source-files.txt"
(cd "$WORK/restored-media" && find . -type f -exec sha256sum {} + | sort -k2) > "$WORK/target-files.txt"
# The restored database is usable by the application as it stands.
DATABASE_URL="$PG/$TARGET" $PY manage.py migrate --check -v 0
DATABASE_URL="$PG/$TARGET" $PY manage.py check -v 0 2>/dev/null

tables=$(wc -l < "$WORK/source.txt")
rows=$(awk '{s+=$2} END {print s}' "$WORK/source.txt")
echo "tables: $tables, rows: $rows, dump: $(du -h "$WORK/portal.dump" | cut -f1), media files: $(wc -l < "$WORK/source-files.txt")"
echo "backup: ${backup_seconds} s, restore: ${restore_seconds} s"
if diff -u "$WORK/source.txt" "$WORK/target.txt" && diff -u "$WORK/source-files.txt" "$WORK/target-files.txt"; then
  echo "restore identical: every table's row count and every file's checksum match"
else
  echo "RESTORE DIFFERS" >&2
  exit 1
fi
psql -q "$PG/postgres" -c "DROP DATABASE $SOURCE" -c "DROP DATABASE $TARGET"
