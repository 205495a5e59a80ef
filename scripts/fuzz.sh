#!/usr/bin/env bash
# Fuzzes the SMTP dialogue (crates/countersign-smtp-protocol) with
# cargo-fuzz for a fixed number of executions; fails on any panic or
# broken bound. Seeds are real sessions: every message of eval/ sent the
# way an MTA sends it (EHLO, pipelined envelope, dot-stuffed DATA), through
# Postfix's XCLIENT/XFORWARD, and around STARTTLS.
#
#   scripts/fuzz.sh                      # 500,000 executions (what CI runs)
#   FUZZ_RUNS=20000000 scripts/fuzz.sh   # the long run
#
# cargo-fuzz runs on stable Rust with `--sanitizer none` (libFuzzer's
# coverage instrumentation without a sanitizer: enough for safe Rust,
# whose memory errors the compiler already rules out). It is installed
# into ~/.cargo/bin when missing (pinned version).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

RUNS="${FUZZ_RUNS:-500000}"
CARGO_FUZZ_VERSION=0.13.2

if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "fuzz.sh: installing cargo-fuzz $CARGO_FUZZ_VERSION" >&2
  cargo install cargo-fuzz --locked --version "$CARGO_FUZZ_VERSION" >&2
fi
if ! command -v c++ >/dev/null 2>&1; then
  # libFuzzer itself is C++.
  apt-get install -y g++ >&2
fi

seeds="fuzz/target/seeds/smtp_dialogue"
corpus="fuzz/target/corpus/smtp_dialogue"
rm -rf "$seeds"
mkdir -p "$seeds" "$corpus"
/usr/bin/python3 - "$seeds" <<'PY'
import pathlib, sys
out = pathlib.Path(sys.argv[1])
msgs = sorted(pathlib.Path("eval/messages").glob("*.eml"))[:60]
def stuffed(raw):
    lines = raw.replace(b"\r\n", b"\n").split(b"\n")
    return b"".join((b"." + l if l.startswith(b".") else l) + b"\r\n" for l in lines)
def envelope(i):
    return (b"EHLO mail%d.sender.example\r\nMAIL FROM:<a%d@sender.example> SIZE=900 BODY=8BITMIME\r\n"
            b"RCPT TO:<servicedesk@org.example>\r\nRCPT TO:<it@org.example>\r\nDATA\r\n" % (i, i))
for i, m in enumerate(msgs):
    raw = m.read_bytes()[:1800]
    body = envelope(i) + stuffed(raw) + b".\r\nQUIT\r\n"
    knobs = 0x80 | (i % 32)
    (out / f"plain-{i:03}").write_bytes(bytes([knobs]) + body)
    if i % 10 == 0:
        postfix = (b"EHLO postfix.local\r\nXCLIENT NAME=mx.sender.example ADDR=IPV6:2001:db8::5 PROTO=ESMTP HELO=mx.sender.example\r\n"
                   b"EHLO mx.sender.example\r\nXFORWARD NAME=[UNAVAILABLE] ADDR=198.51.100.7 SOURCE=REMOTE\r\n")
        (out / f"postfix-{i:03}").write_bytes(bytes([0x80 | 3]) + postfix + envelope(i)[len(b"EHLO mail0.sender.example\r\n"):] + stuffed(raw) + b".\r\nQUIT\r\n")
        tls = b"EHLO c.example\r\nSTARTTLS\r\n" + envelope(i) + stuffed(raw) + b".\r\nRSET\r\nNOOP\r\nVRFY x\r\nHELP\r\nBDAT 10 LAST\r\nQUIT\r\n"
        (out / f"tls-{i:03}").write_bytes(bytes([0x40 | 0x20 | 1]) + tls)
print(f"fuzz.sh: {len(list(out.iterdir()))} seed sessions", file=sys.stderr)
PY

echo "fuzz.sh: smtp_dialogue, $RUNS executions" >&2
log="fuzz/target/smtp_dialogue.log"
status=0
cargo fuzz run smtp_dialogue --sanitizer none "$corpus" "$seeds" -- \
  -runs="$RUNS" -max_len=16384 -seed=1 -print_final_stats=1 >"$log" 2>&1 || status=$?
grep -E '^(Done [0-9]+ runs|stat::number_of_executed_units|stat::peak_rss_mb|==[0-9]+== ERROR)|panicked' "$log" >&2 || true
if [ "$status" -ne 0 ]; then
  tail -30 "$log" >&2
  echo "fuzz.sh: FAILED (the input is in fuzz/artifacts/smtp_dialogue; log: $log)" >&2
  exit "$status"
fi
echo "fuzz.sh: smtp_dialogue: $RUNS executions, no panic" >&2
