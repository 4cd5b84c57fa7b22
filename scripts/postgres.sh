#!/usr/bin/env bash
# A throw-away PostgreSQL server for the test suite (Debian's `postgresql` package).
#
#   scripts/postgres.sh ensure         install Debian's postgresql when its binaries are missing
#                                      (needs root and apt-get; exit 3 when it cannot)
#   scripts/postgres.sh start          initdb into a new temporary folder, start the server on a
#                                      free loopback port; prints the folder (the URI is in
#                                      FOLDER/uri, the password only there and in FOLDER/pwfile)
#   scripts/postgres.sh stop FOLDER    stop that server and remove its folder
#   scripts/postgres.sh run CMD...     ensure + start, run CMD with CUSTVALUE_TEST_POSTGRES_URI
#                                      (and _DIR, its folder) set, stop the server whatever CMD
#                                      does (also on ^C), exit
#                                      with CMD's status; where PostgreSQL cannot be installed,
#                                      CMD runs with CUSTVALUE_TEST_POSTGRES_SKIP naming why
#
# PostgreSQL refuses to run as root: as root the cluster belongs to the `postgres` user that
# the Debian package creates.  The server listens on 127.0.0.1 only, with scram-sha-256
# passwords for TCP and its unix socket inside the folder.  `make test` uses `run`.
# CUSTVALUE_PG_BINDIR names another folder of PostgreSQL programs (default: pg_config's, or
# the newest /usr/lib/postgresql/*/bin).
set -euo pipefail

die() { echo "postgres.sh: $*" >&2; exit 1; }

pg_bindir() {
    local dir
    if [ -n "${CUSTVALUE_PG_BINDIR:-}" ]; then  # another installation (tests use stubs)
        echo "$CUSTVALUE_PG_BINDIR"; return 0
    fi
    if command -v pg_config >/dev/null 2>&1; then
        dir="$(pg_config --bindir 2>/dev/null || true)"
        [ -x "$dir/initdb" ] && { echo "$dir"; return 0; }
    fi
    for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
        [ -x "$dir/initdb" ] && { echo "$dir"; return 0; }
    done
    command -v initdb >/dev/null 2>&1 && { dirname "$(command -v initdb)"; return 0; }
    return 1
}

cmd_ensure() {
    pg_bindir >/dev/null && return 0
    if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
        echo "postgres.sh: PostgreSQL is not installed and cannot be (needs root and apt-get)" >&2
        return 3
    fi
    echo "postgres.sh: installing Debian's postgresql" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2 || return 3
    apt-get install -y -qq --no-install-recommends postgresql >&2 || return 3
    # the package may start its default cluster (port 5432): the tests do not use it
    if command -v pg_lsclusters >/dev/null 2>&1; then
        pg_lsclusters -h 2>/dev/null | while read -r version name _; do
            pg_ctlcluster "$version" "$name" stop >/dev/null 2>&1 || true
        done
    fi
    pg_bindir >/dev/null || return 3
}

free_port() {
    local py
    for py in python3 python; do
        if command -v "$py" >/dev/null 2>&1; then
            "$py" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
            return 0
        fi
    done
    echo $(( 20000 + RANDOM % 20000 ))
}

# as_owner CMD...: run CMD as the cluster's owner (postgres when we are root)
as_owner() {
    if [ "$(id -u)" = 0 ]; then
        if command -v runuser >/dev/null 2>&1; then
            runuser -u postgres -- "$@"
        else
            su postgres -s /bin/sh -c "$(printf '%q ' "$@")"
        fi
    else
        "$@"
    fi
}

cmd_start() {
    local bin base dir port password
    bin="$(pg_bindir)" || die "PostgreSQL is not installed (scripts/postgres.sh ensure)"
    if [ "$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then
        die "running as root but there is no 'postgres' user to own the cluster"
    fi
    # as root the folder must be reachable by `postgres`: /tmp, not a private TMPDIR
    if [ "$(id -u)" = 0 ]; then base=/tmp; else base="${TMPDIR:-/tmp}"; fi
    dir="$(mktemp -d "$base/custvalue-pg.XXXXXX")"
    chmod 700 "$dir"
    password="$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
    port="$(free_port)"
    (umask 077; printf "%s\n" "$password" > "$dir/pwfile")
    [ "$(id -u)" = 0 ] && chown -R postgres "$dir"
    as_owner "$bin/initdb" -D "$dir/data" -U custvalue --pwfile="$dir/pwfile" --no-sync \
        --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 \
        >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; die "initdb failed"; }
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c full_page_writes=off -c synchronous_commit=off -c max_connections=40" \
        start >/dev/null || { cat "$dir/server.log" >&2; rm -rf "$dir"; die "the server did not start"; }
    as_owner "$bin/createdb" -h "$dir" -p "$port" -U custvalue custvalue \
        || { cmd_stop "$dir"; die "createdb failed"; }
    printf 'postgresql://custvalue:%s@127.0.0.1:%s/custvalue\n' "$password" "$port" > "$dir/uri"
    [ "$(id -u)" = 0 ] && chown postgres "$dir/uri"
    chmod 600 "$dir/uri"
    echo "$dir"
}

cmd_stop() {
    local dir="${1:?usage: postgres.sh stop FOLDER}" bin
    [ -d "$dir" ] || return 0
    case "$(basename "$dir")" in custvalue-pg.*) ;; *) die "not a folder made by start: $dir";; esac
    if [ -f "$dir/data/postmaster.pid" ] && bin="$(pg_bindir)"; then
        as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate -w -t 60 stop >/dev/null 2>&1 || true
    fi
    rm -rf "$dir"
}

cmd_run() {
    [ $# -gt 0 ] || die "usage: postgres.sh run CMD..."
    local dir="" status=0
    if cmd_ensure; then
        dir="$(cmd_start)"
        # shellcheck disable=SC2064  # stop this server, whatever happens to CMD
        trap "cmd_stop '$dir'" EXIT
        trap "exit 130" INT TERM
        CUSTVALUE_TEST_POSTGRES_URI="$(cat "$dir/uri")" CUSTVALUE_TEST_POSTGRES_DIR="$dir" \
            "$@" || status=$?
    else
        CUSTVALUE_TEST_POSTGRES_SKIP="PostgreSQL is not installed and cannot be here (scripts/postgres.sh ensure needs root and apt-get)" \
            "$@" || status=$?
    fi
    return "$status"
}

case "${1:-}" in
    ensure) cmd_ensure ;;
    start) cmd_start ;;
    stop) shift; cmd_stop "$@" ;;
    run) shift; cmd_run "$@" ;;
    *) echo "usage: $0 ensure | start | stop FOLDER | run CMD..." >&2; exit 2 ;;
esac
