#!/usr/bin/env bash
# pgcluster.sh: the project's local PostgreSQL cluster (embedded default and tests),
# no systemd needed, works as root.
#
# Usage:
#   pgcluster.sh start   DIR [PORT] [DBNAME]  create (if needed) + start; prints a libpq conninfo on stdout
#   pgcluster.sh stop    DIR                  fast shutdown (no error if not running)
#   pgcluster.sh status  DIR                  exit 0 if running and accepting connections
#   pgcluster.sh conninfo|url|env DIR [DBNAME] print conninfo / postgresql:// URI / shell exports
#   pgcluster.sh destroy DIR                  stop and delete DIR
#
# DIR is a scratch root the script owns: DIR/data (PGDATA), DIR/sock (unix socket),
# DIR/postgres.log, DIR/port. PORT defaults to 55432 (or $PGCLUSTER_PORT).
# The server listens on 127.0.0.1 only, with trust auth, superuser "postgres",
# Durability is switched off (fsync=off etc.) only when PGCLUSTER_FAST=1 (the tests).
# Only the conninfo goes to stdout; progress and errors go to stderr, so
#   CONN=$(pgcluster.sh start /tmp/pgt 55432 appdb)
# works. Running as root, initdb/pg_ctl run as the 'postgres' OS user via runuser
# (initdb and postgres refuse to run as root); DIR must then be reachable by that user
# (a path under /tmp is). Extra postgresql.conf lines may be passed in $PGCLUSTER_CONF.
# Needs: apt-get install -y postgresql   (postgresql-15 on Debian bookworm).
set -euo pipefail

die() { echo "pgcluster: $*" >&2; exit 1; }
log() { echo "pgcluster: $*" >&2; }

mode=${1:-}; dir=${2:-}
if [ -z "$mode" ] || [ -z "$dir" ]; then sed -n '2,20p' "$0" >&2; exit 2; fi
case "$dir" in /*) ;; *) dir="$PWD/$dir" ;; esac
dir=${dir%/}
data="$dir/data"; sock="$dir/sock"; logf="$dir/postgres.log"; portf="$dir/port"

# --- locate binaries: $PG_BIN, else the newest /usr/lib/postgresql/*/bin ---
if [ -z "${PG_BIN:-}" ]; then
  PG_BIN=$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -n1)
fi
[ -x "${PG_BIN:-}/pg_ctl" ] || die "PostgreSQL server binaries not found (apt-get install -y postgresql, or set PG_BIN)"

# --- run as the cluster owner ---
if [ "$(id -u)" -eq 0 ]; then
  owner=${PGCLUSTER_USER:-postgres}
  id "$owner" >/dev/null 2>&1 || die "user '$owner' missing (apt-get install -y postgresql creates it)"
  as_owner() { (cd / && runuser -u "$owner" -- "$@" 9>&-); }  # 9>&-: the server must not inherit the lock fd
else
  owner=$(id -un)
  as_owner() { (cd / && "$@" 9>&-); }
fi

port_of() { if [ -f "$portf" ]; then cat "$portf"; else echo "${PGCLUSTER_PORT:-55432}"; fi; }
conninfo() { echo "host=127.0.0.1 port=$(port_of) user=postgres dbname=${1:-postgres} sslmode=disable"; }
pm_pid() { local p; p=$(head -n1 "$data/postmaster.pid" 2>/dev/null) || return 1; [[ "$p" =~ ^[0-9]+$ ]] && echo "$p"; }
# running = postmaster.pid names a live, non-zombie process. (pg_ctl status only does kill(pid,0),
# which a killed postmaster passes while it waits as a zombie for PID 1 to reap it.)
is_running() {
  local p st; p=$(pm_pid) || return 1
  st=$(ps -o stat= -p "$p" 2>/dev/null) || return 1
  [[ "$st" != Z* ]]
}
wait_zombie_gone() { # a zombie postmaster also blocks a new postmaster (it sees the pid in postmaster.pid)
  local p; p=$(pm_pid) || return 0
  for _ in $(seq 1 40); do
    [[ "$(ps -o stat= -p "$p" 2>/dev/null || true)" == Z* ]] || return 0
    sleep 0.25
  done
}
is_ready() { "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$(port_of)" -U postgres -d postgres -t 2; }

stop_cluster() {
  if is_running; then
    as_owner "$PG_BIN/pg_ctl" -D "$data" -m fast -w -t 60 stop >/dev/null || die "stop failed; see $logf"
    log "stopped ($dir)"
  else
    log "not running ($dir)"
  fi
}

with_lock() { # serialise concurrent start/stop on the same DIR
  mkdir -p "$dir"
  exec 9>"$dir/.lock"
  flock -w 120 9 || die "timed out waiting for lock on $dir"
}

case "$mode" in
start)
  port=${3:-${PGCLUSTER_PORT:-55432}}; db=${4:-postgres}
  [[ "$port" =~ ^[0-9]+$ ]] || die "bad port '$port'"
  [[ "$db" =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || die "bad database name '$db'"
  if [ -e "$dir" ] && [ ! -f "$data/PG_VERSION" ]; then
    for f in "$dir"/* "$dir"/.[!.]*; do
      [ -e "$f" ] || continue
      case "${f##*/}" in .lock|port|data|sock|initdb.log|postgres.log|scratch.conf.tmp) ;;
        *) die "$dir exists and is not a pgcluster root (no data/PG_VERSION); give a new or empty directory" ;;
      esac
    done
  fi
  with_lock
  if [ "$(id -u)" -eq 0 ]; then
    chown "$owner": "$dir" "$dir/.lock"
    runuser -u "$owner" -- test -w "$dir" -a -x "$dir" \
      || die "user '$owner' cannot write $dir (a parent directory is not traversable?); use a directory under /tmp"
  fi
  if is_running; then
    running_port=$(port_of)
    [ "$running_port" = "$port" ] || die "already running on port $running_port; stop it first to change port"
    log "already running ($dir, port $port)"
  else
    if [ ! -f "$data/PG_VERSION" ]; then
      rm -rf "$data"
      t0=$(date +%s%N)
      as_owner "$PG_BIN/initdb" -D "$data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 -N \
        >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; die "initdb failed"; }
      log "initdb done in $(( ($(date +%s%N) - t0) / 1000000 )) ms"
    fi
    # (re)write the scratch settings on every start, so a new port takes effect
    sockdir="$sock"
    if [ ${#sock} -gt 90 ]; then sockdir=""; log "path too long for a unix socket; TCP only"; fi
    mkdir -p "$sock"
    if [ "$(id -u)" -eq 0 ]; then chown "$owner": "$sock"; fi
    {
      echo "# written by scripts/pgcluster.sh on every start"
      echo "port = $port"
      echo "listen_addresses = '127.0.0.1'"
      echo "unix_socket_directories = '$sockdir'"
      if [ "${PGCLUSTER_FAST:-0}" = 1 ]; then
        echo "fsync = off"
        echo "synchronous_commit = off"
        echo "full_page_writes = off"
      fi
      echo "max_connections = 200"
      echo "shared_buffers = 128MB"
      echo "log_min_messages = warning"
      echo "log_statement = 'none'"
      if [ -n "${PGCLUSTER_CONF:-}" ]; then printf '%s\n' "$PGCLUSTER_CONF"; fi
    } > "$dir/scratch.conf.tmp"
    if [ "$(id -u)" -eq 0 ]; then chown "$owner": "$dir/scratch.conf.tmp"; fi
    mv "$dir/scratch.conf.tmp" "$data/scratch.conf"
    grep -q "^include_if_exists = 'scratch.conf'" "$data/postgresql.conf" \
      || echo "include_if_exists = 'scratch.conf'" >> "$data/postgresql.conf"
    echo "$port" > "$portf"
    touch "$logf"
    if [ "$(id -u)" -eq 0 ]; then chown "$owner": "$logf" "$portf"; fi
    wait_zombie_gone
    if "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$port" -t 1; then
      die "port $port already has a PostgreSQL server that is not this cluster ($dir); pick another port or stop it"
    fi
    ok=0
    for attempt in 1 2 3; do # retry: children of a killed postmaster may still hold its shared memory
      if as_owner "$PG_BIN/pg_ctl" -D "$data" -l "$logf" -w -t 60 start >/dev/null; then ok=1; break; fi
      log "start attempt $attempt failed"; sleep 1
    done
    [ "$ok" = 1 ] || { tail -n 20 "$logf" >&2; die "start failed (port $port in use?)"; }
    log "started ($dir, port $port)"
  fi
  for _ in $(seq 1 60); do is_ready && break; sleep 0.5; done
  is_ready || { tail -n 20 "$logf" >&2; die "server not accepting connections on 127.0.0.1:$port"; }
  if [ "$db" != postgres ]; then
    if [ "$("$PG_BIN/psql" "$(conninfo postgres)" -XAtqc "select 1 from pg_database where datname='$db'")" != 1 ]; then
      "$PG_BIN/psql" "$(conninfo postgres)" -Xqc "create database \"$db\"" >&2 || die "create database $db failed"
      log "created database $db"
    fi
  fi
  conninfo "$db"
  ;;
stop)
  [ -d "$dir" ] || { log "no such scratch root ($dir)"; exit 0; }
  with_lock
  stop_cluster
  ;;
status)
  if is_running && is_ready; then log "running, port $(port_of)"; exit 0; else log "not running"; exit 3; fi
  ;;
conninfo) conninfo "${3:-postgres}" ;;
url) echo "postgresql://postgres@127.0.0.1:$(port_of)/${3:-postgres}?sslmode=disable" ;;
env)
  printf 'export PGHOST=127.0.0.1 PGPORT=%s PGUSER=postgres PGDATABASE=%s PGSSLMODE=disable\n' "$(port_of)" "${3:-postgres}"
  ;;
destroy)
  [ -d "$dir" ] || exit 0
  [ -f "$data/PG_VERSION" ] || [ ! -e "$data" ] || die "$dir does not look like a pgcluster root; not deleting"
  with_lock
  stop_cluster
  rm -rf "$dir"
  log "removed $dir"
  ;;
*) die "unknown mode '$mode' (start|stop|status|conninfo|url|env|destroy)" ;;
esac
