#!/usr/bin/env bash
# Runs every test of the project: unit and in-process integration tests (swift test), the
# end-to-end suites with real outside programs, and bounded fuzzing. Installs what it needs
# (Debian packages when run as root, Python packages with pip).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

step() { printf '\n==> %s\n' "$*"; }

step "dependencies"
need_apt=()
for pkg in libssl-dev pkg-config curl openssl redis-server; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need_apt+=("$pkg")
done
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "${need_apt[@]}" >/dev/null
  else
    echo "missing Debian packages (run as root to install): ${need_apt[*]}" >&2
    exit 1
  fi
fi
python3 -m pip install -q --disable-pip-version-check -r Tests/EndToEnd/requirements.txt

# Fails on any compiler warning or error in the log of the build just made.
check_build_log() {
  if grep -E "(warning|error):" "$1" | grep -v "^warning: 'main'" >/dev/null; then
    grep -E "(warning|error):" "$1" | sort -u >&2
    echo "the build has warnings or errors" >&2
    exit 1
  fi
}

step "build (debug, with tests)"
swift build --build-tests 2>&1 | tee /tmp/spark-relay-build.log | tail -n 3
check_build_log /tmp/spark-relay-build.log

step "swift test (debug)"
swift test --skip-build 2>&1

# Users run the release build, and the optimizer can change what unsafe or word-at-a-time code does
# (it once corrupted every masked WebSocket frame): everything below runs optimized code.
step "build (release: the binaries users run)"
swift build -c release 2>&1 | tee /tmp/spark-relay-release.log | tail -n 3
check_build_log /tmp/spark-relay-release.log
release_bin="$(swift build -c release --show-bin-path)"

step "end-to-end (release binaries: spark-relay, spark-sim, spark-chat)"
SPARK_RELAY_BIN="$release_bin/spark-relay" bash Tests/EndToEnd/run.sh

step "benchmark smoke (release; correctness only, never timings)"
BENCH_SCRATCH_PATH=.build BENCH_CONFIGURATION=release bash Tests/Bench/smoke.sh
# The Redis engine's cost (issue 13), quick: 50 ticket streams on each engine, its own redis-server.
BENCH_SCRATCH_PATH=.build BENCH_CONFIGURATION=release bash Tests/Bench/smoke.sh --scenarios engine --engine redis

# Last among the release steps: building the tests rebuilds the release modules with testing enabled
# (`@testable import`, as `swift test -c release` does), replacing the binaries tested above.
step "swift test -c release (differential tests of every fast path)"
swift build -c release --build-tests -Xswiftc -enable-testing 2>&1 | tee /tmp/spark-relay-release-tests.log | tail -n 3
check_build_log /tmp/spark-relay-release-tests.log
swift test -c release --skip-build --filter "Differential|FastPath" 2>&1

step "fuzzing (optimized builds)"
for target in FuzzHTTPParser FuzzSSE FuzzWebSocket FuzzSparkFrame FuzzRESP; do
  bash Tests/Fuzz/run-fuzz.sh "$target" "${FUZZ_SECONDS:-60}"
done

step "all tests passed"
