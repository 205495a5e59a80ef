#!/usr/bin/env bash
# The project's test command (README): formatting, lints, and every test of
# the workspace, with PostgreSQL (store tests) and Dovecot (mailbox tests)
# started on loopback and stopped by PID afterwards.
# Postfix (in front of SMTP ingress) is started the same way.
# Installs what it needs from Debian's packages; safe to run repeatedly.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

step() { printf '\n== %s\n' "$*" >&2; }

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy -D warnings"
cargo clippy --workspace --all-targets --locked -- -D warnings

# Private state files: two runs (or worktrees) on one machine never stop
# each other's servers.
state_dir="$(mktemp -d /tmp/countersign-test.XXXXXX)"
export COUNTERSIGN_PG_STATE="$state_dir/pg.state"
export COUNTERSIGN_IMAP_STATE="$state_dir/imap.state"
export COUNTERSIGN_POSTFIX_STATE="$state_dir/postfix.state"

cleanup() {
  scripts/postgres.sh stop >/dev/null 2>&1 || true
  scripts/dovecot.sh stop >/dev/null 2>&1 || true
  scripts/postfix.sh stop >/dev/null 2>&1 || true
  rm -rf "$state_dir"
}
trap cleanup EXIT

if [ -x scripts/postgres.sh ]; then
  step "PostgreSQL on loopback for the store tests"
  eval "$(scripts/postgres.sh start)"
fi

if [ -x scripts/dovecot.sh ]; then
  step "Dovecot IMAP on loopback for the mailbox tests"
  eval "$(scripts/dovecot.sh start)"
fi

if [ -x scripts/postfix.sh ]; then
  step "Postfix on loopback in front of SMTP ingress"
  eval "$(scripts/postfix.sh start)"
fi

step "cargo test"
cargo test --workspace --locked --no-fail-fast

step "fuzz the SMTP dialogue (cargo-fuzz, a fixed number of executions)"
scripts/fuzz.sh

step "the web console in a real browser (chromium, playwright-core, axe-core)"
scripts/browser-test.sh

step "conformance suites and corpora: pass counts"
# Re-runs the (fast) drivers with their tables shown; failures already
# failed the step above.
cargo test --workspace --locked --quiet \
    -p countersign-auth -p countersign-model -p countersign-lookalike -p countersign-server \
    -p countersign-posture \
    --test spf_suites --test dkim_corpora --test arc_suite --test psl_vectors \
    --test evaluation --test corpora -- --nocapture 2>&1 \
  | grep -E '^(==|[A-Za-z][^ ]*.*: [0-9]+/[0-9]+ pass|psl vectors|eval lookalike|accuracy|expected |required controls)' || true

step "the main job on the bundled samples"
DEMO_PROFILE=dev scripts/demo.sh >/dev/null
echo "demo: ok" >&2
