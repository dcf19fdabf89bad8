#!/bin/sh
# Creates Temporal's two PostgreSQL databases and brings their schemas to the server's version.
# Safe to run on every start: existing databases are kept and only upgraded. The one source of
# these steps: docker compose runs it in temporalio/admin-tools (service temporal-schema), and the
# plain-process cluster (src/devstack/cluster, `npm run cluster`) runs this very file with
# TEMPORAL_SCHEMA_DIR pointing at the schema files of the server module it built.
set -eu
: "${POSTGRES_SEEDS:=postgresql}" "${DB_PORT:=5432}" "${POSTGRES_USER:=temporal}"
: "${TEMPORAL_SCHEMA_DIR:=/etc/temporal/schema}"
export SQL_PASSWORD="${POSTGRES_PWD:?POSTGRES_PWD must be set}"
tool() { temporal-sql-tool --plugin postgres12 --ep "$POSTGRES_SEEDS" -u "$POSTGRES_USER" -p "$DB_PORT" "$@"; }

# pg_isready asks the server itself (accepting connections, not merely listening); images
# without PostgreSQL's client tools fall back to a TCP probe
postgres_ready() {
  if command -v pg_isready >/dev/null 2>&1; then
    pg_isready -q -h "$POSTGRES_SEEDS" -p "$DB_PORT" -U "$POSTGRES_USER"
  else
    nc -z -w 5 "$POSTGRES_SEEDS" "$DB_PORT"
  fi
}
echo "waiting for PostgreSQL at $POSTGRES_SEEDS:$DB_PORT ..."
tries=0
until postgres_ready; do
  tries=$((tries + 1)); [ "$tries" -lt 60 ] || { echo "PostgreSQL did not answer"; exit 1; }
  sleep 2
done

for db in temporal temporal_visibility; do
  case "$db" in temporal) dir=temporal ;; *) dir=visibility ;; esac
  tool --db "$db" create || echo "database $db: not created (it exists already?)"
  # as Temporal's own auto-setup does on every start: harmless on a database already set up
  tool --db "$db" setup-schema -v 0.0
  tool --db "$db" update-schema -d "$TEMPORAL_SCHEMA_DIR/postgresql/v12/$dir/versioned"
done
echo "PostgreSQL schema ready"
