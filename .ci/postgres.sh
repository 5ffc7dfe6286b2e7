#!/usr/bin/env bash
# Install (Debian package) and start a throwaway PostgreSQL server for the test suite.
# Prints the server URL on stdout; idempotent (an already running server is reused).
set -euo pipefail
PGPORT="${FUELBOT_PG_PORT:-55432}"
PGDATA="${FUELBOT_PG_DATA:-/tmp/fuelbot-pg}"
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  echo "installing PostgreSQL from Debian's packages" >&2
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
fi
BIN="$(dirname "$(ls -d /usr/lib/postgresql/*/bin/initdb | sort -V | tail -n1)")"
RUN_AS=()
if [ "$(id -u)" = "0" ]; then RUN_AS=(runuser -u postgres --); fi
if ! "${RUN_AS[@]}" "$BIN/pg_ctl" -D "$PGDATA" status >/dev/null 2>&1; then
  if [ ! -f "$PGDATA/PG_VERSION" ]; then
    mkdir -p "$PGDATA"
    [ "$(id -u)" = "0" ] && chown postgres:postgres "$PGDATA"
    "${RUN_AS[@]}" "$BIN/initdb" -D "$PGDATA" -U fuelbot --auth=trust -E UTF8 >&2
  fi
  "${RUN_AS[@]}" "$BIN/pg_ctl" -D "$PGDATA" -l "$PGDATA/server.log" -w \
    -o "-p $PGPORT -k /tmp -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=off" start >&2
fi
echo "postgresql+psycopg://fuelbot@127.0.0.1:$PGPORT/postgres"
