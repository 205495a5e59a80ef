#!/usr/bin/env bash
# The project's test command (README): formatting, lints, and every test of
# the workspace, with PostgreSQL started on loopback for the store tests.
# Installs what it needs from Debian's packages; safe to run repeatedly.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

step() { printf '\n== %s\n' "$*" >&2; }

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy -D warnings"
cargo clippy --workspace --all-targets --locked -- -D warnings

if [ -x scripts/postgres.sh ]; then
  step "PostgreSQL on loopback for the store tests"
  eval "$(scripts/postgres.sh start)"
  trap 'scripts/postgres.sh stop >/dev/null 2>&1 || true' EXIT
fi

step "cargo test"
cargo test --workspace --locked

step "the main job on the bundled samples"
scripts/demo.sh >/dev/null
echo "demo: ok" >&2
