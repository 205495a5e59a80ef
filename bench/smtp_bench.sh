#!/usr/bin/env bash
# SMTP ingress throughput with durability on, beside the `analyze` figure
# for the same corpus, in one run:
#
#   bench/smtp_bench.sh                      # eval corpus, 2000 messages, 16 sessions
#   MESSAGES=5000 SESSIONS=32 bench/smtp_bench.sh
#
# Starts `countersign serve` with SMTP ingress on loopback (a fresh SQLite
# store in a temporary folder, the evaluation directory loaded through the
# real change control, DNS from eval/zone/eval.zone), runs the
# `smtp_bench` example (client sessions with XCLIENT, and the downstream
# sink), prints msgs/s and end-of-DATA-to-250 p50/p99, then stops the
# server by its PID.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
MESSAGES=${MESSAGES:-2000}
SESSIONS=${SESSIONS:-16}
WORK=$(mktemp -d /tmp/cs-smtp-bench.XXXXXX)
BIN=$ROOT/target/release/countersign
PID=
cleanup() {
  if [ -n "$PID" ] && kill -0 "$PID" 2>/dev/null; then
    kill -TERM "$PID"; wait "$PID" || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

cargo build --quiet --release --bin countersign --example smtp_bench \
  --manifest-path "$ROOT/Cargo.toml" -p countersign-server
export COUNTERSIGN_DB=$WORK/countersign.db COUNTERSIGN_AUDIT_KEY=$WORK/audit.key
unset COUNTERSIGN_CONFIG COUNTERSIGN_ACTOR

# The evaluation directory, through two administrators and an approval.
python3 - "$ROOT/eval/directory.json" "$WORK/directory.json" <<'PY'
import json, sys
snap = json.load(open(sys.argv[1]))
for s in snap["staff"]:
    if s["staff_id"] in ("S-1002", "S-1008"):
        s["role"] = "security-admin"
json.dump(snap, open(sys.argv[2], "w"))
PY
for who in "S-1002 Daniel.Okoye daniel.okoye +442079460102" "S-1008 Yusuf.Demir yusuf.demir +442079460108"; do
  set -- $who
  "$BIN" directory init --org-name "Northwind Health" --org-domain northwind-health.example \
    --org-domain nwh.example --staff-id "$1" --name "${2/./ }" \
    --email "$3@northwind-health.example" --phone "$4" >/dev/null
done
REQ=$("$BIN" directory import --format json --actor S-1002 --reason "bench" --json "$WORK/directory.json" \
  | python3 -c 'import json,sys; v=json.load(sys.stdin); print(v.get("change_request") or v.get("request") or v.get("request_id"))')
"$BIN" directory approve "$REQ" --actor S-1008 --reason checked >/dev/null

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
SMTP_PORT=$(free_port); SINK_PORT=$(free_port)
cat > "$WORK/countersign.toml" <<TOML
authserv_id = "mx.northwind-health.example"
[serve]
listen = "127.0.0.1:0"
[smtp]
listen = "127.0.0.1:$SMTP_PORT"
relay = "127.0.0.1:$SINK_PORT"
hostname = "gw.northwind-health.example"
xclient_from = ["127.0.0.1"]
spool_dir = "spool"
TOML
"$BIN" --config "$WORK/countersign.toml" serve --zone "$ROOT/eval/zone/eval.zone" \
  > "$WORK/serve.out" 2> "$WORK/serve.log" &
PID=$!
for _ in $(seq 1 100); do
  grep -q "smtp on" "$WORK/serve.out" 2>/dev/null && break
  sleep 0.1
done
grep -q "smtp on" "$WORK/serve.out" || { cat "$WORK/serve.log"; exit 1; }

echo "analyze (same corpus, no SMTP, no store):"
"$BIN" analyze --zone "$ROOT/eval/zone/eval.zone" --directory "$ROOT/eval/directory.json" \
  --manifest "$ROOT/eval/manifest.jsonl" --bench | tail -3
echo "SMTP ingress (durable spool, verdict recorded, relay downstream):"
"$ROOT/target/release/examples/smtp_bench" --smtp "127.0.0.1:$SMTP_PORT" \
  --sink "127.0.0.1:$SINK_PORT" --manifest "$ROOT/eval/manifest.jsonl" \
  --messages "$MESSAGES" --sessions "$SESSIONS"
