#!/usr/bin/env bash
# bench/api.sh: throughput and latency of platform-api (not part of the test suite).
# Builds build/ if needed, starts a private PostgreSQL cluster and the api (2 workers by
# default), creates a user, then runs wrk against GET /_health and GET /auth/me (bearer
# token) and prints req/s, p50, p99 and the api's RSS. Everything it starts is stopped.
#   bench/api.sh                 # defaults: 10 s per run, 32 connections, 2 threads
#   DURATION=5 CONNS=64 WORKERS=2 BUILD_DIR=build bench/api.sh
#   API_LOG=/dev/null bench/api.sh   # the api's log lines to /dev/null instead of a file
# wrk runs closed-loop: each connection sends its next request as soon as the answer is
# in, so the box is saturated and the latencies are those of a full CPU (wrk shares the
# two cores). The "paced" line runs /auth/me again with every connection waiting 1 ms
# between requests (about 20,000 req/s with 32 connections): the latency at that load.
# Needs: wrk, curl, python3 (apt-get install -y wrk).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
# shellcheck source=scripts/env.sh
. scripts/env.sh

DURATION=${DURATION:-10}
CONNS=${CONNS:-32}
THREADS=${THREADS:-2}
WORKERS=${WORKERS:-2}
command -v wrk >/dev/null || { echo "bench: wrk not found (apt-get install -y wrk)" >&2; exit 1; }

BUILD_DIR=${BUILD_DIR:-build}
[ -d "$BUILD_DIR" ] || meson setup "$BUILD_DIR" >/dev/null
ninja -C "$BUILD_DIR" daemons/api/platform-api daemons/migrate/platform-migrate >/dev/null
api_exe=$root/$BUILD_DIR/daemons/api/platform-api
migrate_exe=$root/$BUILD_DIR/daemons/migrate/platform-migrate

work=$(mktemp -d /tmp/bench-api-XXXXXX)
chmod 755 "$work"
pgport=$(free_port 56900)
apiport=$(free_port 38900)
api_pid=
cleanup() {
  [ -n "$api_pid" ] && kill -TERM "$api_pid" 2>/dev/null && wait "$api_pid" 2>/dev/null || true
  PGCLUSTER_FAST=1 scripts/pgcluster.sh destroy "$work/pg" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

PGCLUSTER_FAST=1 scripts/pgcluster.sh start "$work/pg" "$pgport" >/dev/null
export POSTGRES_HOST=127.0.0.1:$pgport POSTGRES_USER=postgres POSTGRES_DATABASE=bench
export PLATFORM_DB_SSLMODE=disable NODE_ENV=development LPC_BACKEND_ENVIRONMENT=acceptance
export APP_KEYS=bench-signing-key-0123456789abcdef PORT=$apiport PLATFORM_API_LISTEN=127.0.0.1
export PLATFORM_API_WORKERS=$WORKERS PLATFORM_API_TENANTS_FILE=$root/conf/tenants.json
export PLATFORM_LOG_FORMAT=ndjson
unset PLATFORM_CONFIG POSTGRES_URI
psql -q -h 127.0.0.1 -p "$pgport" -U postgres -c 'CREATE DATABASE bench' >/dev/null
"$migrate_exe" --dir "$root/migrations" >"$work/migrate.log" 2>&1

"$api_exe" >"${API_LOG:-$work/api.log}" 2>&1 &
api_pid=$!
for _ in $(seq 1 1200); do curl -fs "http://127.0.0.1:$apiport/_health" >/dev/null && break; sleep 0.05; done
curl -fs "http://127.0.0.1:$apiport/_health" >/dev/null || { echo "bench: platform-api did not start:" >&2; cat "$work/api.log" >&2; exit 1; }

hdr='x-lpc-tenant-origin: scaffold.acc.lightbase.nl'
base=http://127.0.0.1:$apiport
token=$(curl -fs -X POST -H "$hdr" "$base/scaffold/create-user" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["loginToken"])')
access=$(curl -fs -X POST -H "$hdr" -H 'Content-Type: application/json' \
  -d "{\"token\":\"$token\"}" "$base/auth/anonymous-based/login" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["accessToken"])')
curl -fs -H "$hdr" -H "Authorization: Bearer $access" "$base/auth/me" >/dev/null

rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$api_pid/status"; }
# CPU time (utime + stime, in clock ticks) of the api process so far.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$api_pid/stat"; }
hz=$(getconf CLK_TCK)

# wrk --latency output -> "req/s p50 p99"
run() { # $1 label, rest: wrk args
  local label=$1; shift
  local out t0 t1 reqs
  t0=$(cpu_ticks)
  out=$(wrk --latency -t"$THREADS" -c"$CONNS" -d"${DURATION}s" "$@")
  t1=$(cpu_ticks)
  local rps p50 p99 errors cpu
  reqs=$(awk '/requests in/ {print $1}' <<<"$out")
  cpu=$(awk -v t="$((t1 - t0))" -v hz="$hz" -v n="$reqs" 'BEGIN {printf "%.0f", t / hz * 1e6 / (n > 0 ? n : 1)}')
  rps=$(awk '/^Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
  errors=$(grep -E 'Non-2xx|Socket errors' <<<"$out" | tr '\n' ' ' || true)
  printf '%-14s %10s req/s  p50 %8s  p99 %8s  api CPU %4s us/req  RSS %6s KiB %s\n' \
    "$label" "$rps" "$p50" "$p99" "$cpu" "$(rss_kib)" "$errors"
}

echo "bench: load average $(cut -d' ' -f1-3 /proc/loadavg) (other work on the box skews req/s;"\
  "api CPU per request does not depend on it as much)"
echo "bench: $(nproc) cores, wrk -t$THREADS -c$CONNS -d${DURATION}s, api workers $WORKERS" \
  "(the log of each request goes to a file)"
run /_health "$base/_health"
run /auth/me -H "$hdr" -H "Authorization: Bearer $access" "$base/auth/me"
printf 'function delay() return 1 end\n' >"$work/pace.lua"
run "/auth/me paced" -s "$work/pace.lua" -H "$hdr" -H "Authorization: Bearer $access" \
  "$base/auth/me"
# Password logins (issue 4): one argon2id verification each at the configured parameters
# (auth.argon2_*), so CPU-bound by design; the user comes from platformctl user add.
ninja -C "$BUILD_DIR" daemons/platformd/platformctl >/dev/null
printf 'Bench password 1\n' | PLATFORM_VAR_DIR=$work/var \
  "$root/$BUILD_DIR/daemons/platformd/platformctl" user add --tenant scaffold \
  --email bench@example.com --password-stdin >/dev/null
cat >"$work/login.lua" <<'LUA'
wrk.method = "POST"
wrk.body = '{"email":"bench@example.com","password":"Bench password 1"}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["x-lpc-tenant-origin"] = "scaffold.acc.lightbase.nl"
LUA
run login -s "$work/login.lua" "$base/auth/password-based/login"
echo "bench: peak RSS $(awk '/^VmHWM/ {print $2}' "/proc/$api_pid/status") KiB"
