#!/usr/bin/env bash
# Usage: Tests/Fuzz/run-fuzz.sh TARGET SECONDS
#   TARGET: FuzzHTTPParser | FuzzSSE | FuzzWebSocket | FuzzSparkFrame | FuzzRESP | FuzzSparkHTTPStream
# Builds TARGET optimized (-c release: the optimizer is what users run) with libFuzzer + ASan into
# .build-fuzz, fuzzes a temporary copy of its seed corpus for SECONDS, and exits non-zero on any
# crash (crash files are kept in the temp dir).
set -euo pipefail

target="${1:?usage: $0 TARGET SECONDS}"
seconds="${2:?usage: $0 TARGET SECONDS}"
root="$(cd "$(dirname "$0")/../.." && pwd)"

case "$target" in
    FuzzHTTPParser) corpus="$root/Tests/Fuzz/Corpus/HTTPParser" ;;
    FuzzSSE) corpus="$root/Tests/Fuzz/Corpus/SSE" ;;
    FuzzWebSocket) corpus="$root/Tests/Fuzz/Corpus/WebSocket" ;;
    FuzzSparkFrame) corpus="$root/Tests/Fuzz/Corpus/SparkFrame" ;;
    FuzzRESP) corpus="$root/Tests/Fuzz/Corpus/FuzzRESP" ;;
    FuzzSparkHTTPStream) corpus="$root/Tests/Fuzz/Corpus/SparkHTTPStream" ;;
    *) echo "unknown target: $target" >&2; exit 2 ;;
esac

cd "$root"
build=(swift build -c release --product "$target" --scratch-path .build-fuzz -Xswiftc -sanitize=fuzzer,address)
"${build[@]}"
binary="$("${build[@]}" --show-bin-path)/$target"

work="$(mktemp -d)"
mkdir -p "$work/corpus" "$work/artifacts"
cp "$corpus"/* "$work/corpus/"
echo "fuzzing $target for ${seconds}s in $work"

status=0
# Swift's crash reporter can hang for minutes under libFuzzer; ASan's per-allocation stack traces
# cost a quarter of the throughput and are not needed to find a crash.
export SWIFT_BACKTRACE=enable=no
export ASAN_OPTIONS="${ASAN_OPTIONS:-malloc_context_size=0}"
"$binary" "$work/corpus" -max_total_time="$seconds" -artifact_prefix="$work/artifacts/" -print_final_stats=1 || status=$?
if [ "$status" -ne 0 ] || [ -n "$(ls -A "$work/artifacts")" ]; then
    echo "FUZZ FAILURE: $target exited $status; artifacts in $work/artifacts" >&2
    ls -la "$work/artifacts" >&2
    exit 1
fi
rm -rf "$work"
echo "$target: no crashes in ${seconds}s"
