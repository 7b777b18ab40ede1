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

step "build"
swift build --build-tests 2>&1 | tee /tmp/spark-relay-build.log | tail -n 3
if grep -E "(warning|error):" /tmp/spark-relay-build.log | grep -v "^warning: 'main'" >/dev/null; then
  grep -E "(warning|error):" /tmp/spark-relay-build.log | sort -u >&2
  echo "the build has warnings or errors" >&2
  exit 1
fi

step "swift test"
swift test --skip-build 2>&1

step "end-to-end"
SPARK_RELAY_BIN="$root/.build/debug/spark-relay" bash Tests/EndToEnd/run.sh

step "benchmark smoke (correctness only, never timings)"
BENCH_SCRATCH_PATH=.build BENCH_CONFIGURATION=debug bash Tests/Bench/smoke.sh

step "fuzzing"
for target in FuzzHTTPParser FuzzSSE FuzzWebSocket FuzzSparkFrame FuzzRESP; do
  bash Tests/Fuzz/run-fuzz.sh "$target" "${FUZZ_SECONDS:-60}"
done

step "all tests passed"
