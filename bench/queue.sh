#!/usr/bin/env bash
# bench/queue.sh: drain N no-op jobs ("platform.noop") with platform-queue against a
# private PostgreSQL cluster; prints jobs/s, worker and PostgreSQL CPU, worker RSS.
# Not a test: numbers depend on the machine. From a clean clone: bench/queue.sh
#   N=100000 PARALLEL=2 BATCH=100 BUILD_DIR=build-bench PORT=56690 bench/queue.sh
# BENCH_FAST=1 turns PostgreSQL durability off (fsync, synchronous_commit) to show the
# CPU-bound ceiling; the default keeps it on, as in production.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-100000}
PARALLEL=${PARALLEL:-2}
BATCH=${BATCH:-100}
BUILD_DIR=${BUILD_DIR:-build-bench}
PORT=${PORT:-56690}
DIR=$(mktemp -d /tmp/platform-bench-queue.XXXXXX)
chmod 755 "$DIR"
QPID=
cleanup() {
  [ -n "$QPID" ] && kill "$QPID" 2>/dev/null && wait "$QPID" 2>/dev/null || true
  scripts/pgcluster.sh destroy "$DIR/pg" >/dev/null 2>&1 || true
  rm -rf "$DIR"
}
trap cleanup EXIT

if [ ! -f "$BUILD_DIR/build.ninja" ]; then
  meson setup "$BUILD_DIR" --buildtype=release -Dtests=false >/dev/null
fi
ninja -C "$BUILD_DIR" daemons/queue/platform-queue >/dev/null
EXE="$BUILD_DIR/daemons/queue/platform-queue"

PGCLUSTER_FAST=${BENCH_FAST:-0} scripts/pgcluster.sh start "$DIR/pg" "$PORT" >/dev/null
export PGHOST=127.0.0.1 PGPORT=$PORT PGUSER=postgres
PSQL=(psql -X -q -v ON_ERROR_STOP=1 -d bench)
psql -X -q -d postgres -c 'CREATE DATABASE bench'
for f in migrations/*.sql; do "${PSQL[@]}" -f "$f" >/dev/null; done
"${PSQL[@]}" -c "INSERT INTO \"job\" (\"name\", \"data\") SELECT 'platform.noop', '{}' FROM generate_series(1, $N)"
"${PSQL[@]}" -c 'VACUUM ANALYZE "job"'

# CPU seconds (user+system) of a pid, and of the cluster: postmaster, its live children
# and its reaped children.
ticks=$(getconf CLK_TCK)
calc() { awk "BEGIN { print $1 }"; }
cpu_of() { awk -v t="$ticks" '{ sub(/^.*\) /, ""); print ($12 + $13) / t }' "/proc/$1/stat"; }
pg_cpu() {
  local pm total=0 c
  pm=$(head -1 "$DIR/pg/data/postmaster.pid")
  total=$(awk -v t="$ticks" '{ sub(/^.*\) /, ""); print ($12 + $13 + $14 + $15) / t }' "/proc/$pm/stat")
  for c in $(pgrep -P "$pm"); do
    total=$(calc "$total + $(cpu_of "$c" 2>/dev/null || echo 0)")
  done
  echo "$total"
}

# WAL written and HOT share of the row updates (a HOT update adds no index entries).
wal_stat() { "${PSQL[@]}" -tA -F ' ' -c 'SELECT pg_current_wal_lsn(), wal_fpi FROM pg_stat_wal'; }
read -r wal0 fpi0 <<<"$(wal_stat)"
pg0=$(pg_cpu)
t0=$(date +%s%3N)
env -i PATH="$PATH" APP_KEYS=bench-signing-key-0123456789abcdef NODE_ENV=development \
  POSTGRES_HOST="127.0.0.1:$PORT" POSTGRES_USER=postgres POSTGRES_DATABASE=bench \
  PLATFORM_DB_SSLMODE=disable PLATFORM_LOG_FORMAT=ndjson PLATFORM_QUEUE_CRON=false \
  PLATFORM_QUEUE_PARALLEL="$PARALLEL" PLATFORM_QUEUE_BATCH_SIZE="$BATCH" \
  PLATFORM_QUEUE_POLL_INTERVAL_MS=50 "$EXE" >"$DIR/queue.log" 2>&1 &
QPID=$!
# Poll rarely (each psql is a new backend, counted as PostgreSQL CPU); the end time is
# taken from the last job's log line.
until [ "$("${PSQL[@]}" -tA -c 'SELECT NOT EXISTS (SELECT 1 FROM "job" WHERE NOT "isComplete" AND "failedAt" IS NULL)')" = t ]; do
  if ! kill -0 "$QPID" 2>/dev/null; then
    echo "platform-queue exited early:" >&2; tail -5 "$DIR/queue.log" >&2; QPID=; exit 1
  fi
  sleep 0.5
done
wcpu=$(cpu_of "$QPID")
pg1=$(pg_cpu)
rss=$(awk '/VmRSS/ { print $2 }' "/proc/$QPID/status")
hwm=$(awk '/VmHWM/ { print $2 }' "/proc/$QPID/status")
kill "$QPID"; wait "$QPID" || true; QPID=
done_n=$("${PSQL[@]}" -tA -c 'SELECT count(*) FROM "job" WHERE "isComplete"')
sleep 0.6 # the daemon's backends report their statistics as they exit
wal=$("${PSQL[@]}" -tA -F ' ' -c "SELECT round(pg_wal_lsn_diff(pg_current_wal_lsn(), '$wal0') / 1048576.0, 1), wal_fpi - $fpi0 FROM pg_stat_wal")
upd=$("${PSQL[@]}" -tA -F ' ' -c "SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables WHERE relname = 'job'")
lines=$(grep -c '"outcome":"ok"' "$DIR/queue.log" || true)
t1=$(grep '"outcome":"ok"' "$DIR/queue.log" | tail -1 | sed 's/.*"time":\([0-9]*\).*/\1/')
secs=$(calc "($t1 - $t0) / 1000")
printf 'jobs:            %d completed (%d log lines), parallel=%s batch=%s durable=%s\n' \
  "$done_n" "$lines" "$PARALLEL" "$BATCH" "$([ "${BENCH_FAST:-0}" = 1 ] && echo no || echo yes)"
printf 'wall time:       %.2f s\n' "$secs"
printf 'throughput:      %.0f jobs/s\n' "$(calc "$done_n / $secs")"
printf 'worker CPU:      %.2f s (%.0f%% of one core)\n' "$wcpu" "$(calc "100 * $wcpu / $secs")"
printf 'PostgreSQL CPU:  %.2f s (%.0f%% of one core)\n' "$(calc "$pg1 - $pg0")" \
  "$(calc "100 * ($pg1 - $pg0) / $secs")"
printf 'WAL:             %s MiB (%s full-page images); row updates %s (HOT: %s)\n' \
  "${wal%% *}" "${wal##* }" "${upd%% *}" "${upd##* }"
printf 'worker RSS:      %d KiB at the end, %d KiB peak\n' "$rss" "$hwm"
