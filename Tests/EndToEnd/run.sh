#!/usr/bin/env bash
# End-to-end tests of the HTTP server core with real clients (curl, httpx, h11).
# CI entry point, from the repository root:  bash Tests/EndToEnd/run.sh [extra pytest args]
# The relay binary must already be built: $SPARK_RELAY_BIN, default .build/debug/spark-relay.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
cd "$ROOT"

export SPARK_RELAY_BIN="${SPARK_RELAY_BIN:-$ROOT/.build/debug/spark-relay}"
if [ ! -x "$SPARK_RELAY_BIN" ]; then
  echo "run.sh: relay binary not found at $SPARK_RELAY_BIN" >&2
  echo "        build it first: swift build --product spark-relay (or set SPARK_RELAY_BIN)" >&2
  exit 1
fi

# Debian packages of the outside programs the tests use: curl, and for the nginx, browser and
# systemd-unit tests nginx, chromium, chromium-driver and systemd, for the cluster tests redis-server (for systemd-analyze, which
# works without systemd running as PID 1). Installed (one apt-get update first) when missing
# and we are root; without root those tests skip themselves with the reason.
missing=()
command -v curl >/dev/null 2>&1 || missing+=(curl)
command -v systemd-analyze >/dev/null 2>&1 || missing+=(systemd)
[ -x /usr/sbin/nginx ] || missing+=(nginx)
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ -x /usr/bin/chromedriver ] || missing+=(chromium-driver)
[ -x /usr/bin/redis-server ] || missing+=(redis-server)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "run.sh: installing ${missing[*]}" >&2
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  elif ! command -v curl >/dev/null 2>&1; then
    echo "run.sh: curl is required (apt-get install -y curl)" >&2
    exit 1
  else
    echo "run.sh: not root, cannot install ${missing[*]}: the tests that need them will be skipped" >&2
  fi
fi

python3 -m pip install -q --disable-pip-version-check -r "$HERE/requirements.txt"

# Never send 127.0.0.1 traffic through a proxy, and keep pytest's cache out of the tree.
export NO_PROXY="127.0.0.1,localhost${NO_PROXY:+,$NO_PROXY}"
export no_proxy="$NO_PROXY"
export PYTHONDONTWRITEBYTECODE=1

exec python3 -m pytest -q -p no:cacheprovider "$HERE" "$@"
