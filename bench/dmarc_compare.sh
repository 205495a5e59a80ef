#!/usr/bin/env bash
# DMARC aggregate report ingestion, side by side in one run: parsedmarc (from
# PyPI, in a venv under $BENCH_WORK, `--offline`) and `countersign dmarc
# ingest` on the same files:
#   - the parsedmarc aggregate samples (../shared/corpora, 19 files),
#   - synthetic reports of 10,000 and 100,000 records made deterministically
#     by bench/gen_dmarc_report.py.
# For each: wall time, records per second and peak RSS of each tool; for
# countersign both the full ingest into a fresh SQLite store (what it is
# for) and `--dry-run` (parse and print, which is what parsedmarc does
# here), and the ratio to parsedmarc.
#
#   BENCH_WORK=/tmp/cs-bench bench/dmarc_compare.sh
#
# Not part of scripts/test.sh. Needs python3 with venv, pip access to PyPI
# (once) and GNU time (/usr/bin/time, installed from Debian's `time` package
# if missing). RUNS=N repeats each measurement and keeps the fastest (default 1).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT="$PWD"
WORK="${BENCH_WORK:?set BENCH_WORK to a scratch directory, e.g. BENCH_WORK=/tmp/cs-bench}"
RUNS="${RUNS:-1}"
CORPUS="$ROOT/../shared/corpora/dmarc-parsedmarc-samples/aggregate"
mkdir -p "$WORK"
WORK="$(cd "$WORK" && pwd)"

log() { printf '%s\n' "$*" >&2; }

if [ ! -x /usr/bin/time ]; then
    log "installing GNU time (peak RSS)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time >&2
fi

log "== building countersign (release)"
cargo build --release --locked -p countersign-server >&2
BIN="$ROOT/target/release/countersign"

if [ ! -x "$WORK/venv/bin/parsedmarc" ]; then
    log "== installing parsedmarc from PyPI into $WORK/venv"
    python3 -m venv "$WORK/venv"
    "$WORK/venv/bin/pip" install -q parsedmarc >&2
fi
PM="$WORK/venv/bin/parsedmarc"
PM_VERSION="$("$WORK/venv/bin/pip" show parsedmarc 2>/dev/null | awk '/^Version:/{print $2}')"

log "== inputs"
rm -rf "$WORK/samples" && mkdir -p "$WORK/samples"
cp "$CORPUS"/* "$WORK/samples/"
for n in 10000 100000; do
    f="$WORK/synthetic-$n.xml"
    python3 "$ROOT/bench/gen_dmarc_report.py" "$n" "$f"
done

# run_timed OUT_PREFIX CMD...: runs RUNS times (after $BEFORE each time),
# keeps the fastest; writes "<seconds> <max RSS KB>" to OUT_PREFIX.time and
# stdout to OUT_PREFIX.out. Wall time from the clock (ns), RSS from GNU time.
run_timed() {
    local prefix="$1"; shift
    local best="" i start end secs rss
    for i in $(seq 1 "$RUNS"); do
        [ -n "${BEFORE:-}" ] && eval "$BEFORE"
        start="$(date +%s%N)"
        /usr/bin/time -f '%M' -o "$prefix.t" "$@" >"$prefix.out" 2>"$prefix.err" || true
        end="$(date +%s%N)"
        secs="$(awk -v a="$start" -v b="$end" 'BEGIN{printf "%.4f", (b-a)/1e9}')"
        rss="$(tail -n 1 "$prefix.t")"
        if [ -z "$best" ] || awk -v a="$secs" -v b="${best%% *}" 'BEGIN{exit !(a<b)}'; then best="$secs $rss"; fi
    done
    echo "$best" > "$prefix.time"
}

# A fresh store with its schema: what `ingest` writes into in real use
# (creating the database is not part of ingesting).
fresh_db() {
    rm -f "$1" "$1-wal" "$1-shm"
    "$BIN" --db "$1" dmarc report --json --no-rdns >/dev/null 2>&1
}

records_countersign() { # sum of "records" in countersign --json lines
    python3 -c 'import json,sys; print(sum(json.loads(l).get("records",0) for l in open(sys.argv[1]) if l.strip().startswith("{") and json.loads(l).get("kind")=="aggregate"))' "$1"
}
records_parsedmarc() { # records in parsedmarc's aggregate.json
    python3 -c 'import json,sys; print(sum(len(r["records"]) for r in json.load(open(sys.argv[1]))))' "$1"
}

# Fixed cost of each tool (process start, imports, opening the store): a
# one-record report. Subtracted for the "net" rates, which compare reading
# and storing alone.
ONE="$ROOT/../shared/corpora/dmarc-rua-schema-and-fixtures-mail-dmarc/test_dmarc.xml"
log "== fixed costs (one-record report)"
BEFORE="rm -rf '$WORK/pm-one'" run_timed "$WORK/pm-one" "$PM" --offline -s -o "$WORK/pm-one" "$ONE"
BEFORE="fresh_db '$WORK/cs-one.db'" run_timed "$WORK/cs-one" "$BIN" --db "$WORK/cs-one.db" dmarc ingest --json --audit-key "$WORK/audit.key" "$ONE"
PM_FIXED="$(cut -d' ' -f1 "$WORK/pm-one.time")"
CS_FIXED="$(cut -d' ' -f1 "$WORK/cs-one.time")"

declare -A INPUT=(
    [samples]="$WORK/samples"
    [10k]="$WORK/synthetic-10000.xml"
    [100k]="$WORK/synthetic-100000.xml"
)
ORDER=(samples 10k 100k)
ROWS=()
for set in "${ORDER[@]}"; do
    in="${INPUT[$set]}"
    bytes="$(du -sb "$in" | cut -f1)"
    log "== $set ($bytes bytes)"
    # parsedmarc: parse, print nothing (-s), write its JSON/CSV output.
    BEFORE="rm -rf '$WORK/pm-$set'" run_timed "$WORK/pm-$set" "$PM" --offline -s -o "$WORK/pm-$set" "$in"
    pm_records="$(records_parsedmarc "$WORK/pm-$set/aggregate.json" 2>/dev/null || echo 0)"
    # countersign: full ingest into a fresh SQLite store.
    BEFORE="fresh_db '$WORK/cs-$set.db'" \
        run_timed "$WORK/cs-$set" "$BIN" --db "$WORK/cs-$set.db" dmarc ingest --json \
        --audit-key "$WORK/audit.key" "$in"
    cs_records="$(records_countersign "$WORK/cs-$set.out")"
    # countersign: parse only.
    BEFORE="" run_timed "$WORK/csdry-$set" "$BIN" dmarc ingest --dry-run --json "$in"
    if [ "$cs_records" != "$pm_records" ]; then
        log "WARNING: $set: countersign read $cs_records records, parsedmarc $pm_records"
    fi
    ROWS+=("$set $bytes $cs_records $pm_records $(cat "$WORK/pm-$set.time") $(cat "$WORK/cs-$set.time") $(cat "$WORK/csdry-$set.time")")
done

echo
echo "DMARC aggregate ingestion: parsedmarc $PM_VERSION (--offline) vs countersign $(git -C "$ROOT" rev-parse --short HEAD), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), best of $RUNS run(s)"
echo "fixed cost (one-record report): parsedmarc ${PM_FIXED} s, countersign ${CS_FIXED} s"
printf '%-8s %10s %8s | %8s %9s %9s | %8s %9s %9s | %8s %9s %9s | %6s %6s %6s\n' \
    set bytes records pm_s pm_rec/s pm_rss_MB cs_s cs_rec/s cs_rss_MB dry_s dry_rec/s dry_rss_MB ratio net dry
for row in "${ROWS[@]}"; do
    # shellcheck disable=SC2086
    set -- $row
    awk -v set="$1" -v bytes="$2" -v rec="$3" -v pms="$5" -v pmk="$6" -v css="$7" -v csk="$8" \
        -v drs="$9" -v drk="${10}" -v pmf="$PM_FIXED" -v csf="$CS_FIXED" 'BEGIN {
        pmr = rec / pms; csr = rec / css; drr = rec / drs
        pmn = (pms > pmf) ? rec / (pms - pmf) : 0; csn = (css > csf) ? rec / (css - csf) : 0
        printf "%-8s %10d %8d | %8.3f %9.0f %9.1f | %8.3f %9.0f %9.1f | %8.3f %9.0f %9.1f | %5.0fx %5.0fx %5.0fx\n",
            set, bytes, rec, pms, pmr, pmk/1024, css, csr, csk/1024, drs, drr, drk/1024,
            csr / pmr, (pmn > 0 && csn > 0) ? csn / pmn : 0, drr / pmr
    }'
done
echo "rec/s = records / wall seconds, process start included; rss = peak resident set size."
echo "ratio = countersign ingest (SQLite) rec/s / parsedmarc rec/s; net = the same with each tool's fixed cost"
echo "subtracted; dry = countersign --dry-run (parse only, like parsedmarc here) rec/s / parsedmarc rec/s."
echo "commands: $PM --offline -s -o OUT INPUT"
echo "          $BIN --db DB dmarc ingest --json INPUT    (DB: a fresh store, schema created beforehand)"
echo "          $BIN dmarc ingest --dry-run --json INPUT"
