#!/usr/bin/env bash
# The console's browser journeys (tests/browser/journeys.test.mjs): Debian's
# chromium driven by playwright-core, every page checked with axe-core,
# against the real `countersign serve` on loopback with a fresh SQLite file
# (the test starts the server, an SMTP listener for the codes, and stops
# them by PID). Installs what it needs: chromium from Debian's packages, the
# pinned npm packages from tests/browser/package-lock.json.
#
#   scripts/browser-test.sh                 # builds the debug binary if needed
#   BIN=target/release/countersign scripts/browser-test.sh
#
# Screenshots (desktop and 360 px) and axe-core's results go to
# $SHOTS (default target/console-screenshots); the last lines say where.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if ! command -v chromium >/dev/null 2>&1; then
  echo "installing chromium from Debian's packages" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq chromium >/dev/null
fi
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "installing node and npm from Debian's packages" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq nodejs npm >/dev/null
fi
node_major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$node_major" -lt 20 ]; then
  echo "browser-test.sh: playwright-core needs Node.js 20 or later (found $(node --version))" >&2
  exit 1
fi
if [ ! -d tests/browser/node_modules/playwright-core ] || [ ! -d tests/browser/node_modules/axe-core ]; then
  (cd tests/browser && npm ci --no-audit --no-fund --loglevel=error)
fi

BIN=${BIN:-${CARGO_TARGET_DIR:-target}/debug/countersign}
if [ -z "${SKIP_BUILD:-}" ]; then
  cargo build --quiet --locked --bin countersign
fi
export BIN SHOTS=${SHOTS:-$PWD/target/console-screenshots}
mkdir -p "$SHOTS"
node --test --test-reporter=spec tests/browser/journeys.test.mjs
