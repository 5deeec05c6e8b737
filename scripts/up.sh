#!/usr/bin/env bash
# up.sh: the README's first command. Installs what is missing, builds, and starts the
# embedded default under the supervisor: platformd runs a local PostgreSQL cluster in
# var/pg (port 54329, created on first start), the migrations, the api and the queue,
# each with its log in var/log/<daemon>.log; files go to var/files, mails to var/mail
# as .eml. It returns once everything is ready; platformctl status|logs|stop from there.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
# shellcheck source=scripts/env.sh
. scripts/env.sh

scripts/setup.sh
mkdir -p var var/files var/mail var/log var/run
ctl=build/daemons/platformd/platformctl
export NODE_ENV=${NODE_ENV:-development}
export PLATFORM_CONFIG=${PLATFORM_CONFIG:-$root/conf/platform.conf}

if "$ctl" status >/dev/null 2>&1; then
  echo "up: already running" >&2
  exec "$ctl" status
fi
# As root the cluster runs as the postgres user, which may not reach this checkout:
# then var/pg is a symlink to a directory under /tmp (scripts/env.sh).
pgdir=$(pg_cluster_dir "$root/var/pg")
# A server left running by an older up.sh (pg_ctl) or a killed platformd holds the
# data directory; stop it so that platformd can supervise its own.
if [ -f "$pgdir/data/postmaster.pid" ]; then
  scripts/pgcluster.sh stop "$pgdir" >/dev/null 2>&1 || true
fi
"$ctl" start
echo "up: platformd supervises postgres, migrate, api and queue (data in var/)" >&2
