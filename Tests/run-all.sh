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
# The warnings allowed: the linker's note on `mktemp` inside the toolchain's own static
# FoundationEssentials (linked by swift-argument-parser), printed by --static-swift-stdlib builds.
# And swift-distributed-tracing's note on its own CMake files, which its manifest does not declare.
allowed_warnings="^warning: 'main'|swift_static/linux/libFoundationEssentials\.a\(Data\+Writing\.swift\.o\).*the use of .mktemp. is dangerous|^warning: 'swift-distributed-tracing': found [0-9]+ file\(s\) which are unhandled"
check_build_log() {
  if grep -E "(warning|error):" "$1" | grep -Ev "$allowed_warnings" >/dev/null; then
    grep -E "(warning|error):" "$1" | grep -Ev "$allowed_warnings" | sort -u >&2
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
# Built as README.md "Running as a service" installs it: the Swift runtime linked in (--static-swift-stdlib),
# so the binary runs on a host without a Swift toolchain; linked by lld with packed relative
# relocations (DT_RELR, glibc >= 2.36) and no exported symbol table, which is the smaller idle memory
# measured in Sources/relay-bench/README.md.
release_flags=(--static-swift-stdlib -Xswiftc -use-ld=lld -Xlinker -z -Xlinker pack-relative-relocs -Xlinker --no-export-dynamic)
step "build (release, as deployed: the binaries users run)"
swift build -c release "${release_flags[@]}" 2>&1 | tee /tmp/spark-relay-release.log | tail -n 3
check_build_log /tmp/spark-relay-release.log
release_bin="$(swift build -c release --show-bin-path)"
if ldd "$release_bin/spark-relay" | grep -E "libswiftCore|libFoundation" >&2; then
  echo "spark-relay still links the Swift runtime or Foundation dynamically" >&2
  exit 1
fi
if ! readelf -d "$release_bin/spark-relay" | grep -q "(RELR)"; then
  echo "spark-relay was linked without packed relative relocations (DT_RELR)" >&2
  exit 1
fi

step "end-to-end (release binaries: spark-relay, spark-sim, spark-chat)"
SPARK_RELAY_BIN="$release_bin/spark-relay" bash Tests/EndToEnd/run.sh

step "benchmark smoke (release; correctness only, never timings)"
BENCH_SCRATCH_PATH=.build BENCH_CONFIGURATION=release BENCH_BUILD_FLAGS="${release_flags[*]}" bash Tests/Bench/smoke.sh
# The Redis engine's cost (Sources/relay-bench/README.md), quick: 50 ticket streams on each engine, its own redis-server.
BENCH_SCRATCH_PATH=.build BENCH_CONFIGURATION=release BENCH_BUILD_FLAGS="${release_flags[*]}" bash Tests/Bench/smoke.sh --scenarios engine --engine redis

# Last among the release steps: building the tests rebuilds the release modules with testing enabled
# (`@testable import`, as `swift test -c release` does), replacing the binaries tested above.
step "swift test -c release (differential tests of every fast path)"
swift build -c release --build-tests -Xswiftc -enable-testing 2>&1 | tee /tmp/spark-relay-release-tests.log | tail -n 3
check_build_log /tmp/spark-relay-release-tests.log
swift test -c release --skip-build --filter "Differential|FastPath" 2>&1

step "fuzzing (optimized builds)"
for target in FuzzHTTPParser FuzzSSE FuzzWebSocket FuzzSparkFrame FuzzRESP FuzzSparkHTTPStream; do
  bash Tests/Fuzz/run-fuzz.sh "$target" "${FUZZ_SECONDS:-60}"
done

step "all tests passed"
