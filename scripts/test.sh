#!/usr/bin/env bash
# test.sh: the README's second command (and what .ci/run runs). Installs what is
# missing, builds the plain and the sanitizer (ASan+UBSan) builds, starts a private
# PostgreSQL cluster on a free port under /tmp, runs the whole suite against both
# builds, removes the cluster, and ends with "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/env.sh
. scripts/env.sh

scripts/setup.sh --asan || exit 1

pgdir=$(mktemp -d /tmp/platform-test-pg.XXXXXX)
chmod 755 "$pgdir"
cleanup() { scripts/pgcluster.sh destroy "$pgdir" >/dev/null 2>&1 || true; }
trap cleanup EXIT INT TERM
port=$(free_port 56432)
rmdir "$pgdir"
PGCLUSTER_FAST=1 scripts/pgcluster.sh start "$pgdir" "$port" >/dev/null || exit 1
export TEST_PG_HOST=127.0.0.1 TEST_PG_PORT=$port
export TEST_PG_CONNINFO="host=127.0.0.1 port=$port user=postgres dbname=postgres sslmode=disable"

rc=0
for b in build build-asan; do
  echo "== meson test -C $b" >&2
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    meson test -C "$b" --print-errorlogs --num-processes 2 || rc=1
done

# clang-format check over every C file (the project's .clang-format)
if command -v clang-format >/dev/null; then
  bad=$(git ls-files '*.c' '*.h' 2>/dev/null | xargs -r clang-format --dry-run 2>&1 | grep -c warning || true)
  if [ "$bad" != 0 ]; then echo "clang-format: $bad formatting differences (run scripts/format.sh)" >&2; rc=1; fi
fi

/usr/bin/python3 - build/meson-logs/testlog.json build-asan/meson-logs/testlog.json <<'PY'
# Count check's individual test cases (TAP "ok"/"not ok" lines) where a test prints
# them, otherwise the meson test itself.
import json, re, sys
p = f = s = 0
for path in sys.argv[1:]:
    try:
        rows = [json.loads(l) for l in open(path)]
    except OSError:
        f += 1
        continue
    for r in rows:
        out = r.get('stdout') or ''
        oks = len(re.findall(r'^ok \d+', out, re.M))
        bad = len(re.findall(r'^not ok \d+', out, re.M))
        if r['result'] == 'SKIP':
            s += 1
        elif oks + bad > 0:
            p += oks
            f += bad
            if r['result'] not in ('OK', 'EXPECTEDFAIL') and bad == 0:
                f += 1  # crashed or timed out after its last reported case
        elif r['result'] in ('OK', 'EXPECTEDFAIL'):
            p += 1
        else:
            f += 1
print(f"{p} passed, {f} failed, {s} skipped")
PY
exit $rc
