#!/usr/bin/env bash
# `countersign serve` on the bundled samples, end to end and offline:
# a fresh SQLite file, the sample directory loaded through the real change
# control (two security administrators: one imports, the other approves),
# an analyst account, the server (DNS from samples/samples.zone) on a
# loopback port, and every sample message judged through
# POST /api/v1/messages. The server is stopped by PID at the end; with
# KEEP=1 it stays up and the script prints how to reach it.
#
#   scripts/serve-demo.sh            # work files in a new /tmp/countersign-serve.XXXXXX
#   KEEP=1 scripts/serve-demo.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD

cargo build --quiet --release --locked --bin countersign
BIN=$ROOT/target/release/countersign
# shellcheck source=scripts/lib/serve.sh
. scripts/lib/serve.sh
log() { printf 'serve-demo: %s\n' "$*" >&2; }
trap '[ "${KEEP:-0}" = 1 ] || serve_stop' EXIT

log "directory: two security administrators, import, approval (work in $WORK)"
"$BIN" directory init --org-name Acme --org-domain acme.example --staff-id S-1002 \
  --name "Priya Raman" --email priya.raman@acme.example --phone +15555550102 >/dev/null
"$BIN" directory init --org-name Acme --org-domain acme.example --staff-id S-1009 \
  --name "Lee Hart" --email lee.hart@acme.example --phone +15555550109 >/dev/null
request=$("$BIN" directory import --format json --actor S-1002 --reason "initial load" --json \
  samples/directory.json | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["change_request"])')
"$BIN" directory approve "$request" --actor S-1009 --reason "checked against HR and contracts" >/dev/null

log "an analyst account (one-time password, changed at first sign-in)"
first=$(serve_add_analyst S-1001)
serve_start samples/samples.zone
log "serving on $BASE (pid $SERVER)"
token=$(serve_analyst_token "$first")

log "every sample message through POST /api/v1/messages"
/usr/bin/python3 - "$BASE" "$token" samples/manifest.jsonl <<'PY'
import json, os, sys, urllib.parse, urllib.request
base, token, manifest = sys.argv[1:]
for line in open(manifest):
    m = json.loads(line)
    query = urllib.parse.urlencode([("client_ip", m["ip"]), ("helo", m["helo"]),
                                    ("mail_from", m["mail_from"]), ("rcpt", m["rcpt"])])
    body = open(os.path.join(os.path.dirname(manifest), m["file"]), "rb").read()
    req = urllib.request.Request(f"{base}/api/v1/messages?{query}", data=body, method="POST",
                                 headers={"authorization": f"Bearer {token}",
                                          "content-type": "message/rfc822"})
    with urllib.request.urlopen(req) as resp:
        v = json.load(resp)
    case = f" case {v['case_id']}" if v.get("case_id") else ""
    print(f"{m['file']:45} {v['verdict']:10}{case}  (expected {m.get('expected_verdict', '?')})")
PY

if [ "${KEEP:-0}" = 1 ]; then
  log "left running: pid $SERVER, $BASE; analyst 'sam'"
  log "  curl -H 'authorization: Bearer $token' $BASE/api/v1/cases"
  log "  stop it with: kill $SERVER"
fi
