# shellcheck shell=bash
# Starts a throwaway PostgreSQL 15 cluster in a temp dir as a non-root user
# on a loopback port, and exports IGMON_TEST_POSTGRES_DSN and the control
# variables the tests use to stop and restart it.

pg_bin() {
  local d
  for d in /usr/lib/postgresql/*/bin; do
    [ -x "$d/pg_ctl" ] && { echo "$d"; return; }
  done
}

start_postgres() {
  local bin
  bin=$(pg_bin || true)
  if [ -z "$bin" ]; then
    echo "== installing postgresql"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-15 >/dev/null
    bin=$(pg_bin)
  fi
  local user=postgres
  id "$user" >/dev/null 2>&1 || useradd --system --no-create-home "$user"
  PGDIR=$(mktemp -d /tmp/igmon-pg.XXXXXX)
  chown "$user" "$PGDIR"
  PGPORT=$(( 20000 + RANDOM % 20000 ))
  local as=()
  [ "$(id -u)" = 0 ] && as=(runuser -u "$user" --)
  "${as[@]}" "$bin/initdb" -D "$PGDIR/data" -U igmon --auth=trust >/dev/null
  "${as[@]}" "$bin/pg_ctl" -D "$PGDIR/data" -l "$PGDIR/log" -w \
    -o "-h 127.0.0.1 -p $PGPORT -k $PGDIR -c fsync=off -c max_connections=200" start >/dev/null
  export IGMON_TEST_POSTGRES_DSN="postgres://igmon@127.0.0.1:$PGPORT/postgres?sslmode=disable"
  # Tests stop and restart the server to show checks failing and recovering.
  export IGMON_TEST_POSTGRES_CTL="${as[*]} $bin/pg_ctl -D $PGDIR/data -l $PGDIR/log -w -o '-h 127.0.0.1 -p $PGPORT -k $PGDIR -c fsync=off -c max_connections=200'"
  echo "== postgres on 127.0.0.1:$PGPORT"
}

stop_postgres() {
  [ -n "${PGDIR:-}" ] || return 0
  local bin; bin=$(pg_bin)
  local as=()
  [ "$(id -u)" = 0 ] && as=(runuser -u postgres --)
  "${as[@]}" "$bin/pg_ctl" -D "$PGDIR/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$PGDIR"
}
