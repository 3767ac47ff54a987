# shellcheck shell=bash
# Starts two throwaway PostgreSQL clusters in temp dirs on loopback ports, as
# the current user (as a "postgres" system user when run as root):
#   IGMON_TEST_POSTGRES_DSN          shared by every test package;
#   IGMON_TEST_POSTGRES_RESTART_DSN  for the test that stops and restarts its
#                                    server (IGMON_TEST_POSTGRES_CTL stop|start),
#                                    so packages testing in parallel never see
#                                    that outage.

pg_bin() {
  local d
  for d in /usr/lib/postgresql/*/bin; do
    [ -x "$d/pg_ctl" ] && { echo "$d"; return; }
  done
}

PG_DIRS=()

# start_cluster NAME: starts a cluster and sets PG_DSN and PG_CTL.
start_cluster() {
  local bin user=postgres
  bin=$(pg_bin)
  local dir port
  dir=$(mktemp -d "/tmp/igmon-pg-$1.XXXXXX")
  PG_DIRS+=("$dir")
  local as=()
  if [ "$(id -u)" = 0 ]; then
    # initdb refuses to run as root: run the cluster as a system user.
    id "$user" >/dev/null 2>&1 || useradd --system --no-create-home "$user"
    chown "$user" "$dir"
    as=(runuser -u "$user" --)
  fi
  "${as[@]}" "$bin/initdb" -D "$dir/data" -U igmon --auth=trust >/dev/null
  for _ in 1 2 3 4 5; do
    port=$(( 20000 + RANDOM % 20000 ))
    local opts="-h 127.0.0.1 -p $port -k $dir -c fsync=off -c max_connections=200"
    if "${as[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/log" -w -o "$opts" start >/dev/null; then
      PG_DSN="postgres://igmon@127.0.0.1:$port/postgres?sslmode=disable"
      PG_CTL="${as[*]} $bin/pg_ctl -D $dir/data -l $dir/log -w -o '$opts'"
      echo "== postgres ($1) on 127.0.0.1:$port"
      return 0
    fi
  done
  echo "could not start postgres ($1)"; cat "$dir/log"; return 1
}

start_postgres() {
  if [ -z "$(pg_bin)" ]; then
    echo "== installing postgresql"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-15 >/dev/null
  fi
  start_cluster shared
  export IGMON_TEST_POSTGRES_DSN="$PG_DSN"
  start_cluster restart
  export IGMON_TEST_POSTGRES_RESTART_DSN="$PG_DSN"
  export IGMON_TEST_POSTGRES_CTL="$PG_CTL"
}

stop_postgres() {
  local bin dir as=()
  bin=$(pg_bin)
  [ "$(id -u)" = 0 ] && as=(runuser -u postgres --)
  for dir in "${PG_DIRS[@]}"; do
    "${as[@]}" "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$dir"
  done
  PG_DIRS=()
}
