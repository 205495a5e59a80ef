#!/usr/bin/env bash
# Side by side, in one run, on the same 2 cores and the same corpus:
# the peer harness (../shared/bench: rspamd 3.4, DNS from NSD on loopback)
# and `countersign analyze --bench` (DNS from the same zone file, served by
# our loopback zone server; and once more through the harness's NSD).
#
#   BENCH_WORK=/tmp/cs-bench bench/compare.sh
#
# Ours runs before and after the peer, so a drift of the machine's speed
# shows. The last line is the ratio of medians.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SHARED=${SHARED:-$ROOT/../shared/bench}
export BENCH_WORK=${BENCH_WORK:-/tmp/cs-bench}
CORPUS=$BENCH_WORK/corpus
PASSES=${PASSES:-5}
BIN=$ROOT/target/release/countersign

log() { printf '[compare %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }

# The peer's processes, stopped by the PIDs its harness reports, never by
# name (other rspamd or NSD instances on the machine are not ours).
RSPAMD_PID=""
NSD_PID=""
# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"
trap 'stop_pid "$RSPAMD_PID" rspamd; stop_pid "$NSD_PID" nsd' EXIT INT TERM

cargo build --quiet --release --locked --bin countersign --manifest-path "$ROOT/Cargo.toml"

ours() {  # label, extra args...
  local label=$1; shift
  "$BIN" analyze --manifest "$CORPUS/manifest.jsonl" --bench --passes "$PASSES" "$@" \
    | tee "$BENCH_WORK/countersign-$label.json"
}

if [ ! -f "$CORPUS/manifest.jsonl" ]; then
  log "generating the corpus with the peer harness (RUNS=0)"
  RUNS=0 PHYS=0 "$SHARED/run.sh" >&2
fi

log "correctness: countersign vs the manifest's expected results"
"$BIN" analyze --zone "$CORPUS/zone/test.zone" --manifest "$CORPUS/manifest.jsonl" --json \
  > "$BENCH_WORK/countersign-results.jsonl"
/usr/bin/python3 "$ROOT/bench/check_expected.py" "$CORPUS/manifest.jsonl" "$BENCH_WORK/countersign-results.jsonl"

log "countersign, before the peer (zone file on our loopback server)"
ours before --zone "$CORPUS/zone/test.zone"

log "peer: rspamd via ../shared/bench/run.sh (leaves NSD up for our NSD run)"
KEEP_RUNNING=1 "$SHARED/run.sh" 2>"$BENCH_WORK/rspamd.log" | tail -2
# The harness names the PIDs it left running in its log.
peer_pids_from_log "$BENCH_WORK/rspamd.log"
# Stop rspamd (it would compete for the cores) but keep NSD for the next run.
stop_pid "$RSPAMD_PID" rspamd
RSPAMD_PID=""

log "countersign, DNS from the peer's NSD on 127.0.0.1:${DNS_PORT:-10053}"
ours nsd --dns "127.0.0.1:${DNS_PORT:-10053}" || log "NSD run failed (NSD not running?)"
stop_pid "$NSD_PID" nsd
NSD_PID=""

log "countersign, after the peer"
ours after --zone "$CORPUS/zone/test.zone"

log "countersign, authentication only (what the peer does)"
ours authonly --zone "$CORPUS/zone/test.zone" --auth-only

/usr/bin/python3 - "$BENCH_WORK" <<'PY'
import json, os, statistics, sys
w = sys.argv[1]
peer = json.load(open(os.path.join(w, "results/auth/summary.json")))
ours = {k: json.load(open(os.path.join(w, f"countersign-{k}.json"))) for k in ("before", "after", "nsd", "authonly") if os.path.exists(os.path.join(w, f"countersign-{k}.json"))}
full = [o for k, o in ours.items() if k in ("before", "after")]
rate = statistics.median([o["msgs_per_s"] for o in full])
cpu = statistics.median([o["cpu_ms_per_msg"] for o in full])
print(f"rspamd:      {peer['msgs_per_s_median']:.0f} msgs/s, p99 {peer['p99_ms_median']:.1f} ms, {peer['rspamd_cpu_ms_per_msg_median']:.2f} ms CPU/msg")
for k, o in ours.items():
    print(f"countersign ({k}): {o['msgs_per_s']:.0f} msgs/s, p50 {o['lat_ms']['p50']:.3f} ms, p99 {o['lat_ms']['p99']:.3f} ms, {o['cpu_ms_per_msg']:.3f} ms CPU/msg")
print(f"ratio (full pipeline: authentication, impersonation, risk, policy): {rate / peer['msgs_per_s_median']:.1f}x throughput, {peer['rspamd_cpu_ms_per_msg_median'] / cpu:.1f}x less CPU per message")
if "authonly" in ours:
    a = ours["authonly"]
    print(f"ratio (authentication only, as the peer): {a['msgs_per_s'] / peer['msgs_per_s_median']:.1f}x throughput, {peer['rspamd_cpu_ms_per_msg_median'] / a['cpu_ms_per_msg']:.1f}x less CPU per message")
PY
