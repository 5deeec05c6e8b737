# env.sh: sourced by up.sh and test.sh. Resolves where the local PostgreSQL cluster
# lives. initdb refuses root, so as root the cluster runs as the 'postgres' user, which
# must be able to reach its directory; when the checkout is somewhere 'postgres' cannot
# traverse (e.g. /root), the cluster lives under /tmp and var/pg is a symlink to it.
# shellcheck shell=bash

pg_cluster_dir() { # $1: wanted directory (absolute)
  local want=$1
  if [ "$(id -u)" -ne 0 ] || runuser -u postgres -- test -x "$(dirname "$want")" 2>/dev/null; then
    echo "$want"; return
  fi
  local alt
  alt="/tmp/platform-pg-$(printf '%s' "$want" | sha1sum | cut -c1-12)"
  mkdir -p "$alt" "$(dirname "$want")"
  [ -L "$want" ] || { rm -rf "$want"; ln -s "$alt" "$want"; }
  echo "$alt"
}

free_port() { # a free TCP port on 127.0.0.1, starting near $1
  local p=$1
  while (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; do p=$((p + 1)); done
  echo "$p"
}
