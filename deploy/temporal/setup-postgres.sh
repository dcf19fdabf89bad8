#!/bin/sh
# One-shot (temporalio/admin-tools): creates Temporal's two PostgreSQL databases and brings their
# schemas to the image's version. Safe to run on every `docker compose up`: existing databases are
# kept and only upgraded.
set -eu
: "${POSTGRES_SEEDS:=postgresql}" "${DB_PORT:=5432}" "${POSTGRES_USER:=temporal}"
export SQL_PASSWORD="${POSTGRES_PWD:?POSTGRES_PWD must be set}"
tool() { temporal-sql-tool --plugin postgres12 --ep "$POSTGRES_SEEDS" -u "$POSTGRES_USER" -p "$DB_PORT" "$@"; }

echo "waiting for PostgreSQL at $POSTGRES_SEEDS:$DB_PORT ..."
tries=0
until nc -z -w 5 "$POSTGRES_SEEDS" "$DB_PORT"; do
  tries=$((tries + 1)); [ "$tries" -lt 60 ] || { echo "PostgreSQL did not answer"; exit 1; }
  sleep 2
done

for db in temporal temporal_visibility; do
  case "$db" in temporal) dir=temporal ;; *) dir=visibility ;; esac
  tool --db "$db" create || echo "database $db: not created (it exists already?)"
  # as Temporal's own auto-setup does on every start: harmless on a database already set up
  tool --db "$db" setup-schema -v 0.0
  tool --db "$db" update-schema -d "/etc/temporal/schema/postgresql/v12/$dir/versioned"
done
echo "PostgreSQL schema ready"
