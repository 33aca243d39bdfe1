#!/usr/bin/env bash
# A throwaway PostgreSQL + PostGIS cluster for the tests (docs/database.md).
#   bash scripts/pg_cluster.sh start      # prints "DIR URL": data, socket and log live in DIR
#   bash scripts/pg_cluster.sh stop DIR   # stops that cluster and removes DIR
# Installs Debian's postgresql and postgresql-<major>-postgis-3 when missing (as root, or with
# passwordless sudo). The server runs as the `postgres` user when started by root (initdb and
# postgres refuse root), listens on 127.0.0.1 on a free port, trusts local connections, and keeps
# everything in a temp folder; `stop` leaves nothing behind.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/_bootstrap.sh"

_pg_bindir() {  # the newest server binaries Debian installed, if any
    local dir
    dir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)"
    [ -n "$dir" ] && [ -x "$dir/initdb" ] && printf '%s\n' "$dir"
}

_pg_install() {  # apt-get install the given packages, or die saying how
    local sudo=()
    command -v apt-get >/dev/null 2>&1 || atlas_die "PostgreSQL + PostGIS are needed for the database tests.
    Install PostgreSQL 15+ with PostGIS 3 (Debian: apt-get install -y postgresql postgresql-15-postgis-3)."
    if [ "$(id -u)" != 0 ]; then
        if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
            sudo=(sudo -n)
        else
            atlas_die "$* missing and this user cannot install them.
    Run:  sudo apt-get update && sudo apt-get install -y $*   (then re-run)"
        fi
    fi
    atlas_say "installing $* (apt-get) ..."
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null \
        || atlas_die "apt-get install $* failed"
}

ensure_postgis() {  # sets PG_BIN; installs the server and PostGIS when missing
    PG_BIN="$(_pg_bindir)" || { _pg_install postgresql; PG_BIN="$(_pg_bindir)"; } \
        || atlas_die "no PostgreSQL server binaries under /usr/lib/postgresql after installing"
    local major
    major="$(basename "$(dirname "$PG_BIN")")"
    if [ ! -f "/usr/share/postgresql/$major/extension/postgis.control" ]; then
        _pg_install "postgresql-$major-postgis-3"
        [ -f "/usr/share/postgresql/$major/extension/postgis.control" ] \
            || atlas_die "PostGIS is still missing for PostgreSQL $major after installing postgresql-$major-postgis-3"
    fi
}

_as_server_user() {  # root runs the server as postgres; anyone else as themselves
    # from /: postgres may not enter the caller's folder (a mktemp clone is mode 700)
    if [ "$(id -u)" = 0 ]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi
}

start() {
    ensure_postgis
    local dir port
    dir="$(mktemp -d "${TMPDIR:-/tmp}/atlas-pg.XXXXXX")"
    [ "$(id -u)" = 0 ] && chown postgres: "$dir"
    port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
    if ! { _as_server_user "$PG_BIN/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 \
               >"$dir/initdb.log" 2>&1 \
           && _as_server_user "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
               -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c full_page_writes=off" \
               start >/dev/null; }; then
        cat "$dir"/*.log >&2 2>/dev/null || true
        rm -rf "$dir"
        atlas_die "the throwaway PostgreSQL cluster did not start (log above)"
    fi
    printf '%s postgresql://postgres@127.0.0.1:%s/postgres\n' "$dir" "$port"
}

stop() {
    local dir="${1:?usage: pg_cluster.sh stop DIR}"
    [ -f "$dir/data/PG_VERSION" ] || atlas_die "$dir is not a cluster this script started"
    PG_BIN="$(_pg_bindir)" || atlas_die "no PostgreSQL server binaries to stop $dir with"
    _as_server_user "$PG_BIN/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null || true
    rm -rf "$dir"
}

case "${1:-}" in
    start) start ;;
    stop) stop "${2:-}" ;;
    *) atlas_die "usage: pg_cluster.sh start | stop DIR" ;;
esac
