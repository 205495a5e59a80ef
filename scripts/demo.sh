#!/usr/bin/env bash
# The main job on the bundled samples: authenticate every sample message
# offline, DNS answered from samples/samples.zone. Extra arguments go to
# `countersign analyze` (e.g. --json).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
exec cargo run --quiet --release --locked --bin countersign -- \
  analyze --zone samples/samples.zone --directory samples/directory.json \
  --manifest samples/manifest.jsonl "$@"
