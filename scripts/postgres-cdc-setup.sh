#!/usr/bin/env bash
# Prepares the local PostgreSQL for MyBank's log-based CDC source (adapters/cdc/PostgresChangeSource.ts),
# idempotently: run it as often as you like.
#   1. wal_level = logical (logical replication needs it; changing it needs a server restart, done
#      only when the level is not logical yet);
#   2. the database `kastor_bank` with the SPEC §3 table
#      `transactions(id, user_id, amount_cents, currency, merchant, created_at)`, REPLICA IDENTITY
#      FULL so that updates and deletes carry the whole old row (its user_id is the record key);
#   3. the publication `kastor_bank` FOR TABLE transactions (what pgoutput decodes).
# The replication slot is created by the connector itself on its first start.
#
# Environment: PGHOST (127.0.0.1), PGPORT (5432), PG_SUPERUSER (postgres), KASTOR_BANK_DB
# (kastor_bank). Needs psql; the restart needs pg_ctlcluster (Debian's postgresql-common) and root.
set -euo pipefail

HOST="${PGHOST:-127.0.0.1}"
PORT="${PGPORT:-5432}"
SUPERUSER="${PG_SUPERUSER:-postgres}"
DB="${KASTOR_BANK_DB:-kastor_bank}"

sql() { # sql <database> <statement>: one value per line, no decoration, no notices, stop on error
  PGOPTIONS="-c client_min_messages=warning" psql -h "$HOST" -p "$PORT" -U "$SUPERUSER" -d "$1" -v ON_ERROR_STOP=1 -qtAX -c "$2"
}

wait_ready() {
  for _ in $(seq 1 60); do
    pg_isready -h "$HOST" -p "$PORT" -q && return 0
    sleep 0.5
  done
  echo "postgres-cdc-setup: PostgreSQL on $HOST:$PORT did not come back within 30 s" >&2
  return 1
}

wait_ready
level="$(sql postgres 'SHOW wal_level')"
if [ "$level" != "logical" ]; then
  echo "postgres-cdc-setup: wal_level is '$level'; setting it to 'logical' and restarting PostgreSQL"
  sql postgres "ALTER SYSTEM SET wal_level = logical"
  # The cluster serving $PORT: `pg_lsclusters -h` prints "version name port status ...".
  read -r version cluster < <(pg_lsclusters -h | awk -v port="$PORT" '$3 == port { print $1, $2; exit }')
  if [ -z "${version:-}" ]; then
    echo "postgres-cdc-setup: no local cluster on port $PORT; restart PostgreSQL yourself" >&2
    exit 1
  fi
  pg_ctlcluster --skip-systemctl-redirect "$version" "$cluster" restart
  wait_ready
  level="$(sql postgres 'SHOW wal_level')"
  [ "$level" = "logical" ] || { echo "postgres-cdc-setup: wal_level is still '$level'" >&2; exit 1; }
fi

if [ "$(sql postgres "SELECT count(*) FROM pg_database WHERE datname = '$DB'")" = "0" ]; then
  sql postgres "CREATE DATABASE \"$DB\""
fi

sql "$DB" "CREATE TABLE IF NOT EXISTS transactions (
  id BIGSERIAL PRIMARY KEY,
  user_id TEXT,
  amount_cents BIGINT,
  currency TEXT,
  merchant TEXT,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now())"
sql "$DB" "ALTER TABLE transactions REPLICA IDENTITY FULL"
if [ "$(sql "$DB" "SELECT count(*) FROM pg_publication WHERE pubname = 'kastor_bank'")" = "0" ]; then
  sql "$DB" "CREATE PUBLICATION kastor_bank FOR TABLE transactions"
fi
echo "postgres-cdc-setup: wal_level=logical, database $DB, table transactions, publication kastor_bank ready on $HOST:$PORT"
