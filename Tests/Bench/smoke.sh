#!/usr/bin/env bash
# Bench smoke: builds relay-bench (with spark-sim and spark-relay) and runs its quick mode: a couple of
# hundred streams for a few seconds. Fails on wrong results (lost, duplicated or reordered chunks,
# wrong text, streams that did not complete), never on timings.
set -euo pipefail
cd "$(dirname "$0")/../.."
SCRATCH="${BENCH_SCRATCH_PATH:-.build-bench}"
CONFIG="${BENCH_CONFIGURATION:-release}"
# Extra `swift build` flags, e.g. --static-swift-stdlib to reuse CI's release binaries as built.
read -r -a FLAGS <<< "${BENCH_BUILD_FLAGS:-}"
swift build -c "$CONFIG" --scratch-path "$SCRATCH" "${FLAGS[@]}" --product spark-sim
swift build -c "$CONFIG" --scratch-path "$SCRATCH" "${FLAGS[@]}" --product spark-relay
swift build -c "$CONFIG" --scratch-path "$SCRATCH" "${FLAGS[@]}" --product relay-bench
BIN="$(swift build -c "$CONFIG" --scratch-path "$SCRATCH" --show-bin-path)"
exec "$BIN/relay-bench" --quick "$@"
