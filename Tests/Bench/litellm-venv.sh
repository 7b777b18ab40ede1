#!/usr/bin/env bash
# Installs the LiteLLM proxy (PyPI litellm[proxy], >= 1.108) into its own virtualenv for relay-bench's
# LiteLLM peer, unless a recent enough one is already there, and prints the `litellm` executable's path
# on the last line of stdout. Only PyPI is contacted (pip); everything else goes to stderr.
#   LITELLM_VENV      where the venv lives (default: .build-bench/litellm-venv under the repo root)
#   LITELLM_SPEC      the pip requirement (default: litellm[proxy]>=1.108)
#   PYTHON            the interpreter that creates the venv (default: python3)
set -euo pipefail
cd "$(dirname "$0")/../.."
VENV="${LITELLM_VENV:-$PWD/.build-bench/litellm-venv}"
SPEC="${LITELLM_SPEC:-litellm[proxy]>=1.108}"
PY="${PYTHON:-python3}"

installed_ok() {
    [ -x "$VENV/bin/litellm" ] || return 1
    "$VENV/bin/python" - "$SPEC" <<'EOF' >&2
import sys
from importlib.metadata import version
from packaging.requirements import Requirement
req = Requirement(sys.argv[1])
have = version(req.name)
ok = req.specifier.contains(have, prereleases=True)
if "proxy" in req.extras:  # the proxy extra's server packages (importing litellm itself would fetch the cost map)
    for name in ("fastapi", "uvicorn", "backoff", "orjson"):
        version(name)
print(f"litellm {have} {'satisfies' if ok else 'does not satisfy'} {req}")
sys.exit(0 if ok else 1)
EOF
}

if ! installed_ok 2>/dev/null; then
    echo "litellm-venv: installing $SPEC into $VENV (PyPI)" >&2
    [ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV" >&2
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip >&2
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "$SPEC" >&2
    installed_ok
fi
echo "$VENV/bin/litellm"
