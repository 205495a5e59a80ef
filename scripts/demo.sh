#!/usr/bin/env bash
# The main job on the bundled samples: authenticate every sample message
# offline, DNS answered from samples/samples.zone. Extra arguments go to
# `countersign analyze` (e.g. --json). DEMO_PROFILE=dev uses the debug build
# (the test script's, already compiled) instead of building a release one.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
profile="${DEMO_PROFILE:-release}"
exec cargo run --quiet --profile "$profile" --locked --bin countersign -- \
  analyze --zone samples/samples.zone --directory samples/directory.json \
  --manifest samples/manifest.jsonl "$@"
