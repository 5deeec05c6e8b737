#!/usr/bin/env bash
# verify_units.sh SRCDIR [API_EXE QUEUE_EXE MIGRATE_EXE]: systemd-analyze verify over
# systemd/*.{service,target}. ExecStart must name an existing executable, so the units
# are copied to a temporary directory with /usr/local/bin/platform-<x> replaced by the
# built binary (or /bin/true when that daemon is not built). systemd-analyze only warns
# (rc 0) on unknown keys and bad values, so ANY output fails the test. A copy with a
# deliberate typo must produce output, which shows the check can fail.
set -u
src=$1/systemd
command -v systemd-analyze >/dev/null || { echo "1..0 # SKIP systemd-analyze missing (apt-get install systemd)"; exit 0; }
echo "1..3"
tmp=$(mktemp -d /tmp/platform-units.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
cp "$src"/*.service "$src"/*.target "$tmp"/
exe() { if [ -n "${1:-}" ] && [ -x "$1" ]; then echo "$1"; else echo /bin/true; fi; }
sed -i "s#/usr/local/bin/platform-api#$(exe "${2:-}")#" "$tmp/platform-api.service"
sed -i "s#/usr/local/bin/platform-queue#$(exe "${3:-}")#" "$tmp/platform-queue.service"
sed -i "s#/usr/local/bin/platform-migrate#$(exe "${4:-}")#" "$tmp/platform-migrate.service"
for u in platform.target platform-api.service platform-queue.service platform-migrate.service; do
  [ -f "$tmp/$u" ] || { echo "not ok - missing unit $u"; exit 1; }
done
rc=0
out=$(cd "$tmp" && systemd-analyze verify ./platform.target ./platform-*.service 2>&1) || rc=$?
if [ "$rc" != 0 ] || [ -n "$out" ]; then
  echo "not ok - systemd-analyze verify (rc $rc):"; echo "$out"; exit 1
fi
echo "ok - systemd-analyze verify: no warnings"
for key in "Type=notify" "RestartPreventExitStatus=64 65 78" "NoNewPrivileges=yes" \
           "ProtectSystem=strict" "PrivateTmp=yes" "User=platform" "Restart=on-failure"; do
  grep -qx "$key" "$tmp/platform-api.service" || { echo "not ok - api unit lacks $key"; exit 1; }
  grep -qx "$key" "$tmp/platform-queue.service" || { echo "not ok - queue unit lacks $key"; exit 1; }
done
grep -qx "Type=oneshot" "$tmp/platform-migrate.service" || { echo "not ok - migrate is not oneshot"; exit 1; }
echo "ok - units carry notify, restart policy and hardening"
mkdir "$tmp/bad"
sed 's/^Restart=on-failure/Restart=sometimes\nTypo=1/' "$tmp/platform-api.service" > "$tmp/bad/platform-api.service"
out=$(cd "$tmp/bad" && systemd-analyze verify ./platform-api.service 2>&1)
if ! grep -q "Unknown key 'Typo'" <<<"$out"; then echo "not ok - a broken unit produced no warning"; exit 1; fi
echo "ok - a broken unit is reported"
