#!/usr/bin/env bash
# Throw-away PostgreSQL for Countersign's tests: installs Debian's package if
# missing (without letting it start a system service), then runs an
# unprivileged cluster in a temporary directory on 127.0.0.1.
#
#   eval "$(scripts/postgres.sh start)"   # exports COUNTERSIGN_TEST_PG_URL
#   scripts/postgres.sh stop              # stops it and removes its directory
#
# `start` prints shell `export` lines on stdout (everything else goes to
# stderr), so that it can be eval'd. State lives in $COUNTERSIGN_PG_STATE
# (default /tmp/countersign-pg.state) so that `stop` can find the cluster.
set -euo pipefail

STATE_FILE="${COUNTERSIGN_PG_STATE:-/tmp/countersign-pg.state}"
DB_NAME="${COUNTERSIGN_PG_DB:-countersign_test}"

log() { echo "postgres.sh: $*" >&2; }

pg_bindir() {
    local d
    for d in /usr/lib/postgresql/*/bin; do
        [ -x "$d/initdb" ] && { echo "$d"; return 0; }
    done
    return 1
}

install_postgres() {
    if pg_bindir >/dev/null; then return 0; fi
    if [ "$(id -u)" -ne 0 ]; then
        log "PostgreSQL is not installed and we are not root: apt-get install postgresql first"
        exit 1
    fi
    log "installing PostgreSQL from Debian's packages"
    # policy-rc.d exit 101 forbids maintainer scripts from starting services:
    # the package must not launch a system-wide cluster.
    local guard_created=0
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
        chmod +x /usr/sbin/policy-rc.d
        guard_created=1
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2 || true
    apt-get install -y -qq postgresql >&2
    [ "$guard_created" = 1 ] && rm -f /usr/sbin/policy-rc.d
    pg_bindir >/dev/null || { log "initdb not found after install"; exit 1; }
}

free_port() {
    python3 - <<'PY' 2>/dev/null || echo $(( 20000 + RANDOM % 20000 ))
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()
PY
}

# Runs a command as the unprivileged cluster owner (initdb refuses root).
as_owner() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u "$OWNER" -- "$@"
    else
        "$@"
    fi
}

start() {
    if [ -f "$STATE_FILE" ]; then
        log "a cluster is already recorded in $STATE_FILE; run '$0 stop' first"
        exit 1
    fi
    install_postgres
    local bin dir port
    bin="$(pg_bindir)"
    if [ "$(id -u)" -eq 0 ]; then
        if id postgres >/dev/null 2>&1; then OWNER=postgres; else OWNER=nobody; fi
    else
        OWNER="$(id -un)"
    fi
    dir="$(mktemp -d /tmp/countersign-pg.XXXXXX)"
    chmod 755 "$dir"
    [ "$(id -u)" -eq 0 ] && chown "$OWNER" "$dir"
    port="$(free_port)"
    as_owner "$bin/initdb" -D "$dir/data" -U countersign --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
        || as_owner "$bin/initdb" -D "$dir/data" -U countersign --auth=trust -E UTF8 --no-locale >"$dir/initdb.log" 2>&1 \
        || { log "initdb failed:"; cat "$dir/initdb.log" >&2; exit 1; }
    # Loopback TCP only; the socket directory is ours, not /var/run.
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c max_connections=200" start >&2 \
        || { log "server failed to start:"; cat "$dir/server.log" >&2; exit 1; }
    printf 'DIR=%q\nPORT=%q\nOWNER=%q\nBIN=%q\n' "$dir" "$port" "$OWNER" "$bin" > "$STATE_FILE"
    as_owner "$bin/createdb" -h 127.0.0.1 -p "$port" -U countersign "$DB_NAME" >&2
    local url="postgres://countersign@127.0.0.1:$port/$DB_NAME"
    log "PostgreSQL running at $url (data in $dir)"
    echo "export COUNTERSIGN_TEST_PG_URL='$url'"
}

stop() {
    if [ ! -f "$STATE_FILE" ]; then
        log "no cluster recorded in $STATE_FILE"
        return 0
    fi
    # shellcheck disable=SC1090
    . "$STATE_FILE"
    as_owner "$BIN/pg_ctl" -D "$DIR/data" -m fast -w stop >&2 || log "pg_ctl stop failed (already stopped?)"
    rm -rf "$DIR" "$STATE_FILE"
    log "stopped and removed $DIR"
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    *) echo "usage: $0 start|stop  (eval \"\$($0 start)\" exports COUNTERSIGN_TEST_PG_URL)" >&2; exit 2 ;;
esac
