# Shared by scripts/serve-demo.sh and bench/serve_compare.sh: a fresh
# `countersign serve` on a loopback port, and a signed-in analyst's token.
# Source it with BIN set to the countersign binary; it exports
# COUNTERSIGN_DB and COUNTERSIGN_AUDIT_KEY into WORK (a new temp dir).

WORK=$(mktemp -d /tmp/countersign-serve.XXXXXX)
export COUNTERSIGN_DB=$WORK/countersign.db COUNTERSIGN_AUDIT_KEY=$WORK/audit.key
SERVER=""
BASE=""

# An analyst account `sam` (staff ID $1, optional); prints its one-time password.
serve_add_analyst() {
  if [ -n "${1:-}" ]; then
    "$BIN" user add --role analyst --staff-id "$1" sam | tail -1
  else
    "$BIN" user add --role analyst sam | tail -1
  fi
}

# Starts the server with DNS from zone file $1; sets SERVER (pid) and BASE.
serve_start() {
  local port
  port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  "$BIN" serve --listen "127.0.0.1:$port" --zone "$1" 2>"$WORK/serve.log" &
  SERVER=$!
  BASE="http://127.0.0.1:$port"
  for _ in $(seq 1 100); do
    curl -fsS "$BASE/readyz" >/dev/null 2>&1 && return 0
    kill -0 "$SERVER" 2>/dev/null || { cat "$WORK/serve.log" >&2; return 1; }
    sleep 0.1
  done
  echo "serve did not become ready; log: $WORK/serve.log" >&2
  return 1
}

# Stops the server we started, by PID.
serve_stop() {
  if [ -n "$SERVER" ] && kill -0 "$SERVER" 2>/dev/null; then
    kill -TERM "$SERVER"
    wait "$SERVER" 2>/dev/null || true
  fi
  SERVER=""
}

# Signs `sam` in with one-time password $1, sets a new password, and prints
# a full session token.
serve_analyst_token() {
  local first=$1 password setup
  password="demo-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
  setup=$(serve_sign_in "$first")
  curl -fsS "$BASE/api/v1/me/password" -H "authorization: Bearer $setup" \
    -H 'content-type: application/json' \
    -d "{\"current_password\":\"$first\",\"new_password\":\"$password\"}" >/dev/null
  serve_sign_in "$password"
}

serve_sign_in() {
  curl -fsS "$BASE/api/v1/session" -H 'content-type: application/json' \
    -d "{\"username\":\"sam\",\"password\":\"$1\"}" \
    | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])'
}
