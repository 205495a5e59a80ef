#!/usr/bin/env bash
# The HTTP API under load, side by side with the peer in one run, with the
# same client (the `load` example) on the same corpus and cores:
#   rspamd 3.4 POST /checkv2 (../shared/bench harness, DNS from its NSD)
#   countersign serve POST /api/v1/messages (DNS from the corpus zone file;
#   every verdict recorded in SQLite and the audit log, as in production)
#
#   BENCH_WORK=/tmp/cs-bench bench/serve_compare.sh
#   SECONDS_PER_RUN=10 CONC=32 RATE=1000 bench/serve_compare.sh
#
# Closed loop (CONC requests in flight) for both: sustained throughput.
# Open loop at RATE requests/s for countersign: latency at a fixed load,
# counted from when each request was due.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SHARED=${SHARED:-$ROOT/../shared/bench}
export BENCH_WORK=${BENCH_WORK:-/tmp/cs-bench}
CORPUS=$BENCH_WORK/corpus
SECS=${SECONDS_PER_RUN:-10}
CONC=${CONC:-32}
RATE=${RATE:-1000}
cd "$ROOT"
log() { printf '[serve_compare %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }

cargo build --quiet --release --locked --bin countersign -p countersign-server --example load
BIN=$ROOT/target/release/countersign
LOAD=$ROOT/target/release/examples/load
# shellcheck source=scripts/lib/serve.sh
. scripts/lib/serve.sh

RSPAMD_PID=""
NSD_PID=""
# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"
trap 'stop_pid "$RSPAMD_PID" rspamd; stop_pid "$NSD_PID" nsd; serve_stop' EXIT INT TERM

if [ ! -f "$CORPUS/manifest.jsonl" ]; then
  log "generating the corpus with the peer harness (RUNS=0)"
  RUNS=0 PHYS=0 "$SHARED/run.sh" >&2
fi

log "peer: rspamd and NSD started by the harness, left running for our client"
QUIET_WAIT=${QUIET_WAIT:-60} RUNS=0 PHYS=0 KEEP_RUNNING=1 "$SHARED/run.sh" 2>"$BENCH_WORK/serve-rspamd.log" >/dev/null || true
peer_pids_from_log "$BENCH_WORK/serve-rspamd.log"
[ -n "$RSPAMD_PID" ] || { log "the harness did not leave rspamd running; see $BENCH_WORK/serve-rspamd.log"; exit 1; }
"$LOAD" --target rspamd --base http://127.0.0.1:11333 --manifest "$CORPUS/manifest.jsonl" \
  --concurrency "$CONC" --seconds "$SECS" | tee "$BENCH_WORK/serve-rspamd.json"
stop_pid "$RSPAMD_PID" rspamd; RSPAMD_PID=""
stop_pid "$NSD_PID" nsd; NSD_PID=""

log "countersign serve (work in $WORK)"
first=$(serve_add_analyst)
serve_start "$CORPUS/zone/test.zone"
token=$(serve_analyst_token "$first")
"$LOAD" --target countersign --base "$BASE" --token "$token" --manifest "$CORPUS/manifest.jsonl" \
  --concurrency "$CONC" --seconds "$SECS" | tee "$BENCH_WORK/serve-countersign.json"
"$LOAD" --target countersign --base "$BASE" --token "$token" --manifest "$CORPUS/manifest.jsonl" \
  --rate "$RATE" --seconds "$SECS" | tee "$BENCH_WORK/serve-countersign-open.json"
serve_stop

/usr/bin/python3 - "$BENCH_WORK" <<'PY'
import json, os, sys
w = sys.argv[1]
r = json.load(open(os.path.join(w, "serve-rspamd.json")))
c = json.load(open(os.path.join(w, "serve-countersign.json")))
o = json.load(open(os.path.join(w, "serve-countersign-open.json")))
for name, x in (("rspamd /checkv2", r), ("countersign /api/v1/messages", c)):
    print(f"{name:30} closed loop x{x['concurrency']}: {x['msgs_per_s']:.0f} msgs/s, p50 {x['lat_ms']['p50']:.2f} ms, p99 {x['lat_ms']['p99']:.2f} ms, errors {x['errors']}")
print(f"{'countersign /api/v1/messages':30} open loop {o['rate']}/s: {o['msgs_per_s']:.0f} msgs/s, p50 {o['lat_ms']['p50']:.2f} ms, p99 {o['lat_ms']['p99']:.2f} ms, errors {o['errors']}")
print(f"ratio (closed loop throughput): {c['msgs_per_s'] / r['msgs_per_s']:.1f}x")
PY
