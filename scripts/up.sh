#!/usr/bin/env bash
# up.sh: the README's first command. Installs what is missing, builds, starts the
# embedded default (a local PostgreSQL cluster under var/pg on port 54329, files under
# var/files, mails as .eml under var/mail), migrates it and runs the platform.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
# shellcheck source=scripts/env.sh
. scripts/env.sh

scripts/setup.sh
mkdir -p var var/files var/mail var/log var/run
port=${PLATFORM_SUPERVISOR_POSTGRES_PORT:-54329}
pgdir=$(pg_cluster_dir "$root/var/pg")
scripts/pgcluster.sh start "$pgdir" "$port" >/dev/null

# A random signing key on first start, kept in var/ (never in the repository).
if [ ! -s var/app_keys ]; then
  head -c 32 /dev/urandom | base64 | tr -d '\n=+/' > var/app_keys
  chmod 600 var/app_keys
fi
export APP_KEYS=${APP_KEYS:-$(cat var/app_keys)}
export NODE_ENV=${NODE_ENV:-development}
export POSTGRES_HOST=${POSTGRES_HOST:-127.0.0.1:$port}
export POSTGRES_USER=${POSTGRES_USER:-postgres}
export PLATFORM_DB_SSLMODE=${PLATFORM_DB_SSLMODE:-disable}
export PLATFORM_CONFIG=${PLATFORM_CONFIG:-$root/conf/platform.conf}

build/daemons/migrate/platform-migrate
echo "up: PostgreSQL on 127.0.0.1:$port (data in var/pg), API on http://127.0.0.1:${PORT:-3000}" >&2
echo "up: try: curl http://127.0.0.1:${PORT:-3000}/_health   (Ctrl-C stops the api)" >&2
exec build/daemons/api/platform-api
