#!/bin/sh
# Run by docker-compose.yml's temporal-schema service (temporalio/admin-tools):
# creates Temporal's two databases on temporal-db and brings their schemas up
# to the server's version. Safe to run again: existing databases are kept and
# update-schema only applies what is missing. This is what the deprecated
# temporalio/auto-setup image did at every start.
set -eu
: "${POSTGRES_SEEDS:=temporal-db}" "${POSTGRES_USER:=temporal}" "${DB_PORT:=5432}"
export SQL_PASSWORD="${POSTGRES_PWD:?}"
tool() { temporal-sql-tool --plugin postgres12 --ep "$POSTGRES_SEEDS" -u "$POSTGRES_USER" -p "$DB_PORT" "$@"; }
schema=/etc/temporal/schema/postgresql/v12

for db in temporal:temporal temporal_visibility:visibility; do
  name=${db%%:*} dir=${db#*:}
  tool --db "$name" create 2>/dev/null || echo "database $name exists"
  tool --db "$name" setup-schema -v 0.0
  tool --db "$name" update-schema -d "$schema/$dir/versioned"
done
echo "Temporal schemas are up to date"
