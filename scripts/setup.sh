#!/usr/bin/env bash
# setup.sh: install what is missing (Debian/Ubuntu packages) and build.
#   scripts/setup.sh            plain build in build/
#   scripts/setup.sh --asan     also the sanitizer build in build-asan/
# As root it installs with apt-get; as a user with sudo, through sudo; otherwise it
# prints the exact apt-get line and stops.
set -euo pipefail
cd "$(dirname "$0")/.."

PKGS=(meson ninja-build pkg-config gcc libevent-dev libpq-dev libcjson-dev libssl-dev
      libcurl4-openssl-dev check libargon2-dev libcrypt-dev postgresql postgresql-client
      python3 python3-aiosmtpd curl wrk clang-format systemd)

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  line="apt-get install -y --no-install-recommends ${missing[*]}"
  if [ "$(id -u)" -eq 0 ]; then SUDO=()
  elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then SUDO=(sudo)
  else
    echo "setup: missing packages; run as root:" >&2
    echo "  apt-get update && $line" >&2
    exit 1
  fi
  echo "setup: installing ${missing[*]}" >&2
  "${SUDO[@]}" apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

# S3 test peer for tests/storage: npm @20minutes/s3rver (checks SigV4; needs Node >= 20),
# installed project-locally into tests/node (gitignored). Without it storage-s3 is skipped.
if [ ! -f tests/node/node_modules/@20minutes/s3rver/package.json ]; then
  if ! command -v npm >/dev/null; then
    if [ "$(id -u)" -eq 0 ]; then NSUDO=()
    elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then NSUDO=(sudo)
    else echo "setup: npm missing; run as root: apt-get install -y nodejs npm" >&2; exit 1
    fi
    "${NSUDO[@]}" apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive "${NSUDO[@]}" apt-get install -y -qq --no-install-recommends nodejs npm >&2
  fi
  echo "setup: installing @20minutes/s3rver@4.0.4 into tests/node" >&2
  npm install --prefix tests/node --no-audit --no-fund @20minutes/s3rver@4.0.4 >&2
fi

build() { # dir, extra meson args...
  local dir=$1; shift
  if [ ! -f "$dir/build.ninja" ]; then
    meson setup "$dir" --werror "$@" >&2
  fi
  ninja -C "$dir" >&2
}

build build
if [ "${1:-}" = --asan ]; then
  build build-asan -Db_sanitize=address,undefined
fi
