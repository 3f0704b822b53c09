#!/usr/bin/env bash
# A throwaway PostgreSQL server on loopback, for the tests and the distributed example.
#
#   scripts/with-postgres.sh CMD [ARGS...]   runs CMD with BO_TEST_POSTGRES_URL set, then
#                                            stops the server and deletes its files
#   source scripts/with-postgres.sh          defines bo_postgres_start / bo_postgres_stop
#
# Installs Debian's `postgresql` package when no initdb/pg_ctl is found. The cluster lives in
# a temp dir, listens on 127.0.0.1 on a free port, trusts local connections (user `bo`), and
# runs without fsync (its data is thrown away). PostgreSQL refuses to run as root, so as root
# the server runs as the `postgres` user (created by the Debian package, or here).
# If BO_TEST_POSTGRES_URL is already set, that server is used and nothing is started.

bo_postgres_bindir() {
  if command -v pg_ctl >/dev/null 2>&1 && command -v initdb >/dev/null 2>&1; then
    dirname "$(readlink -f "$(command -v pg_ctl)")"
    return 0
  fi
  local d
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  [[ -n "$d" && -x "$d/initdb" && -x "$d/pg_ctl" ]] || return 1
  echo "$d"
}

bo_postgres_start() {
  if [[ -n "${BO_TEST_POSTGRES_URL:-}" ]]; then
    echo "== using the PostgreSQL server at BO_TEST_POSTGRES_URL" >&2
    return 0
  fi
  local bindir
  if ! bindir=$(bo_postgres_bindir); then
    echo "== installing PostgreSQL (Debian package postgresql)" >&2
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
    bindir=$(bo_postgres_bindir) || { echo "PostgreSQL is not installed (no initdb/pg_ctl found)" >&2; return 1; }
  fi
  local -a as_user=()
  local owner
  owner=$(id -un)
  if [[ $(id -u) == 0 ]]; then
    owner=postgres
    id -u "$owner" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$owner"
    as_user=(runuser -u "$owner" --)
  fi
  BO_POSTGRES_DIR=$(mktemp -d -t bo-postgres.XXXXXX)
  chown "$owner" "$BO_POSTGRES_DIR"
  "${as_user[@]}" "$bindir/initdb" -D "$BO_POSTGRES_DIR/data" -U bo --auth=trust -E UTF8 --no-locale \
    >"$BO_POSTGRES_DIR/initdb.log" 2>&1 || { cat "$BO_POSTGRES_DIR/initdb.log" >&2; return 1; }
  local port try
  for try in 1 2 3; do
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    if "${as_user[@]}" "$bindir/pg_ctl" -D "$BO_POSTGRES_DIR/data" -l "$BO_POSTGRES_DIR/server.log" -w -t 120 \
      -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$BO_POSTGRES_DIR \
          -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" \
      start >/dev/null; then
      BO_POSTGRES_BINDIR=$bindir
      BO_POSTGRES_AS_USER=("${as_user[@]}")
      export BO_TEST_POSTGRES_URL="postgres://bo@127.0.0.1:$port/postgres"
      echo "== PostgreSQL ($("$bindir/pg_ctl" --version)) at $BO_TEST_POSTGRES_URL" >&2
      return 0
    fi
    echo "PostgreSQL did not start on port $port (try $try):" >&2
    tail -n 5 "$BO_POSTGRES_DIR/server.log" >&2 || true
  done
  return 1
}

bo_postgres_stop() {
  if [[ -n "${BO_POSTGRES_DIR:-}" && -d "$BO_POSTGRES_DIR" ]]; then
    "${BO_POSTGRES_AS_USER[@]}" "$BO_POSTGRES_BINDIR/pg_ctl" -D "$BO_POSTGRES_DIR/data" -m immediate stop \
      >/dev/null 2>&1 || true
    rm -rf "$BO_POSTGRES_DIR"
    BO_POSTGRES_DIR=
    unset BO_TEST_POSTGRES_URL
  fi
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  set -euo pipefail
  [[ $# -gt 0 ]] || { echo "usage: $0 CMD [ARGS...]" >&2; exit 2; }
  trap bo_postgres_stop EXIT
  bo_postgres_start
  "$@"
fi
