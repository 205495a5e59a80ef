#!/usr/bin/env bash
# Throw-away Dovecot IMAP server for Countersign's mailbox tests: installs
# Debian's package if missing (without letting it start a system service),
# then runs its own instance on 127.0.0.1 from a temporary directory, with
# one plain IMAP port and one IMAP-over-TLS port (certificate from a CA made
# here), and one test user.
#
#   eval "$(scripts/dovecot.sh start)"   # exports COUNTERSIGN_TEST_IMAP_*
#   scripts/dovecot.sh stop              # stops it (by PID) and removes it
#
# `start` prints shell `export` lines on stdout (everything else goes to
# stderr), so that it can be eval'd. State lives in $COUNTERSIGN_IMAP_STATE
# (default /tmp/countersign-dovecot.state) so that `stop` can find it.
set -euo pipefail

STATE_FILE="${COUNTERSIGN_IMAP_STATE:-/tmp/countersign-dovecot.state}"
USER_NAME="dmarc"

log() { echo "dovecot.sh: $*" >&2; }

install_dovecot() {
    if command -v dovecot >/dev/null 2>&1; then return 0; fi
    if [ "$(id -u)" -ne 0 ]; then
        log "Dovecot is not installed and we are not root: apt-get install dovecot-imapd first"
        exit 1
    fi
    log "installing Dovecot from Debian's packages"
    # policy-rc.d exit 101 forbids maintainer scripts from starting services.
    local guard_created=0
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
        chmod +x /usr/sbin/policy-rc.d
        guard_created=1
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2 || true
    apt-get install -y -qq dovecot-imapd >&2
    [ "$guard_created" = 1 ] && rm -f /usr/sbin/policy-rc.d
    command -v dovecot >/dev/null 2>&1 || { log "dovecot not found after install"; exit 1; }
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

make_certs() {
    local dir="$1"
    # A CA, and a server certificate for localhost/127.0.0.1 signed by it
    # (rustls refuses a CA certificate used as the server's own).
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=Countersign test CA" \
        -keyout "$dir/ca.key" -out "$dir/ca.pem" >/dev/null 2>&1
    openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" \
        -keyout "$dir/server.key" -out "$dir/server.csr" >/dev/null 2>&1
    printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' > "$dir/ext.cnf"
    openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" -CAcreateserial \
        -days 2 -extfile "$dir/ext.cnf" -out "$dir/server.pem" >/dev/null 2>&1
}

start() {
    if [ -f "$STATE_FILE" ]; then
        log "a server is already recorded in $STATE_FILE; run '$0 stop' first"
        exit 1
    fi
    install_dovecot
    local dir port tls_port password uid gid owner
    dir="$(mktemp -d /tmp/countersign-dovecot.XXXXXX)"
    chmod 755 "$dir"
    port="$(free_port)"
    tls_port="$(free_port)"
    while [ "$tls_port" = "$port" ]; do tls_port="$(free_port)"; done
    password="$(head -c 18 /dev/urandom | base64 | tr -d '/+=')"
    make_certs "$dir"
    # Mail is stored as an unprivileged user.
    if [ "$(id -u)" -eq 0 ]; then
        owner=nobody
        uid="$(id -u nobody)"
        gid="$(id -g nobody)"
    else
        owner="$(id -un)"
        uid="$(id -u)"
        gid="$(id -g)"
    fi
    mkdir -p "$dir/run" "$dir/state" "$dir/home"
    [ "$(id -u)" -eq 0 ] && chown "$uid:$gid" "$dir/home"
    printf '%s:{PLAIN}%s::::::\n' "$USER_NAME" "$password" > "$dir/users"
    chmod 644 "$dir/users"
    local internal_user login_user
    if [ "$(id -u)" -eq 0 ]; then
        internal_user=dovecot; login_user=dovenull
        id dovecot >/dev/null 2>&1 || internal_user=nobody
        id dovenull >/dev/null 2>&1 || login_user=nobody
    else
        internal_user="$owner"; login_user="$owner"
    fi
    cat > "$dir/dovecot.conf" <<EOF
base_dir = $dir/run
state_dir = $dir/state
log_path = $dir/dovecot.log
info_log_path = $dir/dovecot.log
protocols = imap
listen = 127.0.0.1
default_internal_user = $internal_user
default_login_user = $login_user
first_valid_uid = 1
ssl = yes
ssl_cert = <$dir/server.pem
ssl_key = <$dir/server.key
disable_plaintext_auth = no
auth_mechanisms = plain login
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u $dir/users
}
userdb {
  driver = static
  args = uid=$uid gid=$gid home=$dir/home/%u
}
mail_location = maildir:~/Maildir
namespace inbox {
  inbox = yes
  separator = /
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $port
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = $tls_port
    ssl = yes
  }
}
service anvil {
  chroot =
}
service imap-login {
  chroot =
}
EOF
    chmod 644 "$dir"/*.pem "$dir/dovecot.conf"
    chmod 640 "$dir/server.key"
    [ "$(id -u)" -eq 0 ] && chgrp "$(id -gn "$login_user")" "$dir/server.key" 2>/dev/null || true
    dovecot -c "$dir/dovecot.conf" >&2 || { log "dovecot failed to start:"; cat "$dir/dovecot.log" >&2 2>/dev/null; exit 1; }
    # Wait (bounded) for its PID file and both ports.
    local pid="" i
    for i in $(seq 1 100); do
        if [ -s "$dir/run/master.pid" ]; then pid="$(cat "$dir/run/master.pid")"; fi
        if [ -n "$pid" ] && (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null \
            && (exec 3<>"/dev/tcp/127.0.0.1/$tls_port") 2>/dev/null; then
            break
        fi
        sleep 0.1
    done
    if [ -z "$pid" ] || ! kill -0 "$pid" 2>/dev/null; then
        log "dovecot did not come up:"; cat "$dir/dovecot.log" >&2 2>/dev/null; exit 1
    fi
    printf 'DIR=%q\nPID=%q\n' "$dir" "$pid" > "$STATE_FILE"
    log "Dovecot running (pid $pid): imap://127.0.0.1:$port imaps://localhost:$tls_port (data in $dir)"
    echo "export COUNTERSIGN_TEST_IMAP_URL='imap://$USER_NAME@127.0.0.1:$port/INBOX'"
    echo "export COUNTERSIGN_TEST_IMAPS_URL='imaps://$USER_NAME@localhost:$tls_port/INBOX'"
    echo "export COUNTERSIGN_TEST_IMAP_PASSWORD='$password'"
    echo "export COUNTERSIGN_TEST_IMAP_CA='$dir/ca.pem'"
}

stop() {
    if [ ! -f "$STATE_FILE" ]; then
        log "no server recorded in $STATE_FILE"
        return 0
    fi
    # shellcheck disable=SC1090
    . "$STATE_FILE"
    if kill -0 "$PID" 2>/dev/null; then
        kill "$PID"
        local i
        for i in $(seq 1 100); do
            kill -0 "$PID" 2>/dev/null || break
            sleep 0.1
        done
        kill -0 "$PID" 2>/dev/null && { log "pid $PID still running; sending KILL"; kill -9 "$PID" || true; }
    fi
    rm -rf "$DIR" "$STATE_FILE"
    log "stopped and removed $DIR"
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    *) echo "usage: $0 start|stop  (eval \"\$($0 start)\" exports COUNTERSIGN_TEST_IMAP_*)" >&2; exit 2 ;;
esac
