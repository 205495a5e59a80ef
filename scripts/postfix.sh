#!/usr/bin/env bash
# Throw-away Postfix in front of Countersign, for the SMTP ingress tests:
# installs Debian's package if missing (without letting it start a system
# service), then runs an instance of its own on loopback from a temporary
# directory. It relays mail for northwind-health.example to Countersign on
# 127.0.0.1:$COUNTERSIGN_TEST_POSTFIX_RELAY_PORT with XFORWARD (the
# original client, HELO and protocol), as README's settings deploy it.
#
#   eval "$(scripts/postfix.sh start)"   # exports COUNTERSIGN_TEST_POSTFIX_PORT
#                                        # and COUNTERSIGN_TEST_POSTFIX_RELAY_PORT
#   scripts/postfix.sh stop              # stops its master by PID, removes the directory
#
# State lives in $COUNTERSIGN_POSTFIX_STATE (default /tmp/countersign-postfix.state).
#
# For bench/smtp_compare.sh (Postfix with rspamd as its milter, what a site
# would deploy instead of Countersign), all optional, the defaults above
# otherwise:
#   COUNTERSIGN_POSTFIX_DOMAIN     the relayed domain (northwind-health.example)
#   COUNTERSIGN_POSTFIX_RELAY_PORT the downstream port (a free one)
#   COUNTERSIGN_POSTFIX_MILTER     e.g. inet:127.0.0.1:11332: smtpd_milters, with
#                                  milter_default_action = tempfail (a failing
#                                  milter never lets mail pass)
#   COUNTERSIGN_POSTFIX_XCLIENT    hosts allowed XCLIENT (smtpd_authorized_xclient_hosts)
#   COUNTERSIGN_POSTFIX_TMP        parent of the instance's folder (/tmp)
set -euo pipefail

STATE_FILE="${COUNTERSIGN_POSTFIX_STATE:-/tmp/countersign-postfix.state}"
log() { echo "postfix.sh: $*" >&2; }

install_postfix() {
    if [ -x /usr/lib/postfix/sbin/master ]; then return 0; fi
    if [ "$(id -u)" -ne 0 ]; then
        log "Postfix is not installed and we are not root: apt-get install postfix first"
        exit 1
    fi
    log "installing Postfix from Debian's packages"
    local guard_created=0
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
        chmod +x /usr/sbin/policy-rc.d
        guard_created=1
    fi
    export DEBIAN_FRONTEND=noninteractive
    echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
    apt-get update -qq >&2 || true
    apt-get install -y -qq postfix >&2
    [ "$guard_created" = 1 ] && rm -f /usr/sbin/policy-rc.d
    [ -x /usr/lib/postfix/sbin/master ] || { log "master not found after install"; exit 1; }
}

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

start() {
    install_postfix
    if [ -f "$STATE_FILE" ]; then
        log "already started (state in $STATE_FILE); stop it first"
        exit 1
    fi
    local dir port relay domain milter_conf=""
    dir=$(mktemp -d "${COUNTERSIGN_POSTFIX_TMP:-/tmp}/countersign-postfix.XXXXXX")
    port=$(free_port)
    relay=${COUNTERSIGN_POSTFIX_RELAY_PORT:-$(free_port)}
    domain=${COUNTERSIGN_POSTFIX_DOMAIN:-northwind-health.example}
    if [ -n "${COUNTERSIGN_POSTFIX_MILTER:-}" ]; then
        # rspamd's documented milter settings; tempfail, not accept, when
        # the milter fails: mail is never passed unchecked.
        milter_conf="smtpd_milters = ${COUNTERSIGN_POSTFIX_MILTER}
milter_default_action = tempfail
milter_protocol = 6
milter_mail_macros = i {mail_addr} {client_addr} {client_name} {auth_authen}"
    fi
    if [ -n "${COUNTERSIGN_POSTFIX_XCLIENT:-}" ]; then
        milter_conf="$milter_conf
smtpd_authorized_xclient_hosts = ${COUNTERSIGN_POSTFIX_XCLIENT}"
    fi
    # Postfix daemons run as the postfix user: they must reach the queue.
    chmod 755 "$dir"
    mkdir -p "$dir/etc" "$dir/queue" "$dir/data"
    chown postfix "$dir/data"
    cat > "$dir/etc/main.cf" <<EOF
compatibility_level = 3.6
queue_directory = $dir/queue
data_directory = $dir/data
meta_directory = /etc/postfix
command_directory = /usr/sbin
daemon_directory = /usr/lib/postfix/sbin
mail_owner = postfix
setgid_group = postdrop
myhostname = mx-front.test
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mydestination =
alias_maps =
alias_database =
local_recipient_maps =
# Logs go to the start-fg output, $dir/postfix.log.
maillog_file = /dev/stdout
smtp_tls_security_level = none
smtpd_tls_security_level = none
mynetworks = 127.0.0.0/8
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
# As a site deploys it (README): mail for the help desk goes to Countersign.
relay_domains = $domain
transport_maps = inline:{ $domain=smtp:[127.0.0.1]:$relay }
smtp_send_xforward_command = yes
$milter_conf
# Tests: retry soon when Countersign is not up yet.
queue_run_delay = 2s
minimal_backoff_time = 2s
maximal_backoff_time = 4s
EOF
    cat > "$dir/etc/master.cf" <<EOF
127.0.0.1:$port inet n - n - - smtpd
cleanup   unix  n - n - 0 cleanup
qmgr      unix  n - n 300 1 qmgr
rewrite   unix  - - n - - trivial-rewrite
bounce    unix  - - n - 0 bounce
defer     unix  - - n - 0 bounce
trace     unix  - - n - 0 bounce
verify    unix  - - n - 1 verify
flush     unix  n - n 1000? 0 flush
proxymap  unix  - - n - - proxymap
smtp      unix  - - n - - smtp
relay     unix  - - n - - smtp
error     unix  - - n - - error
retry     unix  - - n - - error
discard   unix  - - n - - discard
anvil     unix  - - n - 1 anvil
scache    unix  - - n - 1 scache
postlog   unix-dgram n - n - 1 postlogd
EOF
    # start-fg keeps the wrapper in the foreground; the master's PID is
    # what we stop later.
    postfix -c "$dir/etc" check >&2 || true
    postfix -c "$dir/etc" start-fg >"$dir/postfix.log" 2>&1 &
    local pid=""
    for _ in $(seq 1 100); do
        if [ -s "$dir/queue/pid/master.pid" ]; then
            pid=$(tr -d ' \n' < "$dir/queue/pid/master.pid")
            break
        fi
        sleep 0.1
    done
    if [ -z "$pid" ]; then
        log "Postfix did not start:"; cat "$dir/postfix.log" >&2 2>/dev/null || true
        exit 1
    fi
    for _ in $(seq 1 100); do
        python3 -c "import socket; socket.create_connection(('127.0.0.1', $port)).close()" 2>/dev/null && break
        sleep 0.1
    done
    printf 'dir=%s\npid=%s\n' "$dir" "$pid" > "$STATE_FILE"
    echo "export COUNTERSIGN_TEST_POSTFIX_MASTER_PID=$pid"
    log "Postfix master $pid on 127.0.0.1:$port, relaying to 127.0.0.1:$relay (logs in $dir/postfix.log)"
    echo "export COUNTERSIGN_TEST_POSTFIX_PORT=$port"
    echo "export COUNTERSIGN_TEST_POSTFIX_RELAY_PORT=$relay"
}

stop() {
    [ -f "$STATE_FILE" ] || { log "not started"; return 0; }
    local dir pid
    dir=$(sed -n 's/^dir=//p' "$STATE_FILE")
    pid=$(sed -n 's/^pid=//p' "$STATE_FILE")
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid"
        for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    fi
    rm -rf "$dir" "$STATE_FILE"
    log "stopped"
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
